"""Finding 10: API messages are English whatever the Accept-Language (Dutch is the site
default), every error code the API answers is in the documented table, and the RateLimit
headers say what the documentation says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.api import errors

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"


@pytest.mark.parametrize("language", [None, "nl", "nl-NL,nl;q=0.9"])
def test_405_is_english(region_client, language):
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = region_client.put("/api/v2/candidates", {}, format="json", **extra)
    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "METHOD_NOT_ALLOWED",
        "message": 'Method "PUT" not allowed.',
        "details": [],
    }


@pytest.mark.parametrize("language", [None, "nl"])
def test_webhook_url_validator_is_english(region_client, language):
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = region_client.post(
        "/api/v2/webhooks",
        {"url": "not a url", "events": ["candidate.created"]},
        format="json",
        **extra,
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details == [{"field": "url", "message": "Enter a valid URL."}]


def test_staff_screens_stay_dutch(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl")
    assert 'lang="nl"' in page.content.decode()


def _documented_codes() -> set[str]:
    return set(re.findall(r"^\| \d{3} \| `([A-Z_]+)` \|", DOCS.read_text(), flags=re.MULTILINE))


def test_every_error_code_is_documented():
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.ApiError) and cls is not errors.ApiError
    }
    assert codes <= _documented_codes()
    assert "METHOD_NOT_ALLOWED" in _documented_codes()


def test_ratelimit_headers_match_the_documentation(region_client, settings):
    settings.API_RATE_LIMIT_PER_S = 20
    settings.API_RATE_LIMIT_BURST = 40
    response = region_client.get("/api/v2/regions/me")
    assert response["RateLimit-Policy"] == "40;w=2"
    assert response["RateLimit-Limit"] == "40"
    assert response["RateLimit-Remaining"] == "39"
    assert response["RateLimit-Reset"] == "1"
    text = DOCS.read_text()
    assert "20 requests/s sustained with bursts of 40" in text
    assert "RateLimit-Policy: 40;w=2" in text
    assert "RateLimit-Limit: 40" in text
