"""Finding 6 (API): failed authentication is throttled per client address, before the
credential is even checked, for API keys and candidate session tokens alike."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

BAD_KEY = "ork_abcdefgh.wrongwrongwrongwrongwrongwrong"


@pytest.fixture(autouse=True)
def _three_failures(settings):
    settings.API_AUTH_FAILURE_BURST = 3
    settings.API_AUTH_FAILURE_WINDOW_S = 600


def _get(client: APIClient, **headers) -> int:
    return client.get("/api/v2/regions/me", **headers).status_code


def test_wrong_keys_are_throttled_per_address_then_even_a_good_key_waits(region_key):
    attacker = APIClient(REMOTE_ADDR="198.51.100.9")
    statuses = [_get(attacker, HTTP_X_API_KEY=f"{BAD_KEY}{i}") for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = attacker.get("/api/v2/regions/me", HTTP_X_API_KEY=region_key.full_key)
    assert refused.status_code == 429  # refused before the key is looked at
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused["Retry-After"]) >= 1
    # Another address, and the same key from it, are unaffected.
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.5")
    assert _get(elsewhere, HTTP_X_API_KEY=BAD_KEY) == 401
    assert _get(elsewhere, HTTP_X_API_KEY=region_key.full_key) == 200


def test_successes_do_not_use_up_the_failure_budget(region_key):
    client = APIClient(REMOTE_ADDR="198.51.100.10")
    assert {_get(client, HTTP_X_API_KEY=region_key.full_key) for _ in range(10)} == {200}


def test_wrong_session_tokens_are_throttled_too(region):
    attacker = APIClient(REMOTE_ADDR="198.51.100.11")
    statuses = [
        attacker.get(
            "/api/v2/auth/candidates/me", HTTP_AUTHORIZATION=f"Bearer guess{i}"
        ).status_code
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_rotating_x_forwarded_for_does_not_reset_the_count(region):
    attacker = APIClient(REMOTE_ADDR="198.51.100.12")
    statuses = [
        _get(attacker, HTTP_X_API_KEY=BAD_KEY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
