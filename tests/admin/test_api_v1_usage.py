"""SPEC 14: the back office shows which regions and keys still call API v1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from regions.models import ApiKey, ApiKeyScope
from regions.services import api_key_create

pytestmark = pytest.mark.django_db

TILE = "Keys still on API v1 (30 days)"


@pytest.fixture
def v1_keys(region, other_region):
    now = timezone.now()
    recent = api_key_create(region=region, name="oude website").api_key
    stale = api_key_create(region=other_region, name="oud formulier").api_key
    platform = api_key_create(region=None, name="platform", scope=ApiKeyScope.ADMIN).api_key
    api_key_create(region=region, name="nieuwe website")  # never used v1
    ApiKey.objects.filter(pk__in=[recent.pk, platform.pk]).update(
        v1_last_used_at=now - timedelta(days=2)
    )
    ApiKey.objects.filter(pk=stale.pk).update(v1_last_used_at=now - timedelta(days=40))
    return {"recent": recent, "stale": stale, "platform": platform}


def _tile(page):
    return next((t for t in page.context["tiles"] if t.label == TILE), None)


def test_dashboard_line_lists_regions_still_on_v1(
    superuser_client, platform_client, coordinator_client, v1_keys
):
    tile = _tile(superuser_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert (tile.value, tile.note, tile.alert) == ("2", "utrecht", True)
    tile = _tile(platform_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert (tile.value, tile.note) == ("1", "utrecht")  # no admin key, no other region
    # Coordinators do not see API keys at all.
    assert _tile(coordinator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")) is None


def test_no_dashboard_line_when_nobody_calls_v1(superuser_client, region):
    api_key_create(region=region, name="nieuwe website")
    assert _tile(superuser_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("recent", {"oude website", "platform"}),
        ("ever", {"oude website", "platform", "oud formulier"}),
    ],
)
def test_api_key_admin_filters_by_v1_use(superuser_client, v1_keys, value, expected):
    page = superuser_client.get("/admin/regions/apikey/", {"api_v1": value})
    assert page.status_code == 200
    assert {k.name for k in page.context["cl"].result_list} == expected


def test_api_key_admin_filter_never(superuser_client, v1_keys):
    page = superuser_client.get("/admin/regions/apikey/", {"api_v1": "never"})
    assert {k.name for k in page.context["cl"].result_list} == {"nieuwe website"}
