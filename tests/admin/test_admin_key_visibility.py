"""Finding 1 in the back office: platform staff never see, rename or revoke admin-scope keys,
not even one whose home region is theirs; superusers do."""

from __future__ import annotations

import pytest

from regions.models import ApiKeyScope
from regions.services import api_key_create

pytestmark = pytest.mark.django_db

KEYS = "/admin/regions/apikey/"


@pytest.fixture
def regional_admin_key(region):
    return api_key_create(region=region, name="ops master key", scope=ApiKeyScope.ADMIN).api_key


def _listed_pks(response) -> set[str]:
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def test_platform_staff_cannot_list_open_rename_or_revoke_admin_keys(
    platform_client, own_key, regional_admin_key
):
    assert _listed_pks(platform_client.get(KEYS)) == {str(own_key.pk)}
    assert platform_client.get(f"{KEYS}{regional_admin_key.pk}/change/").status_code == 404

    renamed = platform_client.post(
        f"{KEYS}{regional_admin_key.pk}/change/", {"name": "renamed by staff"}
    )
    assert renamed.status_code == 404
    revoke = platform_client.post(
        KEYS, {"action": "revoke", "_selected_action": [str(regional_admin_key.pk)]}
    )
    assert revoke.status_code == 403
    regional_admin_key.refresh_from_db()
    assert regional_admin_key.name == "ops master key"
    assert regional_admin_key.revoked_at is None


def test_platform_staff_region_page_lists_no_admin_keys(
    platform_client, region, own_key, regional_admin_key
):
    page = platform_client.get(f"/admin/regions/region/{region.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "own website" in content
    assert "ops master key" not in content


def test_superusers_manage_admin_keys(superuser_client, regional_admin_key):
    assert str(regional_admin_key.pk) in _listed_pks(superuser_client.get(KEYS))
    superuser_client.post(
        KEYS, {"action": "revoke", "_selected_action": [str(regional_admin_key.pk)]}
    )
    regional_admin_key.refresh_from_db()
    assert regional_admin_key.revoked_at is not None
