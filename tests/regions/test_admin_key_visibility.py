"""Finding 1: admin-scope keys are seen and managed by admin keys and superusers only."""

from __future__ import annotations

import pytest

from regions.models import ApiKeyScope
from regions.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def regional_admin_key(region):
    """An admin-scope key whose home region is the region key's region."""
    return api_key_create(region=region, name="ops master key", scope=ApiKeyScope.ADMIN).api_key


def test_region_key_never_sees_the_regions_admin_keys(
    region_client, region_key, regional_admin_key
):
    listed = region_client.get("/api/v2/api-keys").json()["data"]
    assert [key["id"] for key in listed] == [str(region_key.api_key.pk)]

    revoked = region_client.delete(f"/api/v2/api-keys/{regional_admin_key.pk}")
    assert revoked.status_code == 404
    assert revoked.json()["error"]["code"] == "NOT_FOUND"
    regional_admin_key.refresh_from_db()
    assert regional_admin_key.revoked_at is None


def test_admin_key_still_manages_admin_keys(admin_key_client, region, regional_admin_key):
    listed = admin_key_client.get("/api/v2/api-keys", HTTP_X_REGION_ID="utrecht").json()["data"]
    assert str(regional_admin_key.pk) in [key["id"] for key in listed]
    revoked = admin_key_client.delete(
        f"/api/v2/api-keys/{regional_admin_key.pk}", HTTP_X_REGION_ID="utrecht"
    )
    assert revoked.status_code == 200
    assert revoked.json()["data"]["revokedAt"] is not None
