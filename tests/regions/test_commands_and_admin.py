from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from regions.models import ApiKey, Region
from regions.selectors import api_key_authenticate

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_region_and_key_then_revoke():
    region_id = _call("create_region", "--code", "twente", "--name", "Regio Twente").strip()
    assert Region.objects.get(code="twente").pk.hex == region_id.replace("-", "")

    full_key = _call("create_api_key", "--region", "twente", "--name", "site").splitlines()[-1]
    api_key = api_key_authenticate(full_key)
    assert api_key is not None and api_key.region.code == "twente"

    _call("revoke_api_key", full_key.split(".")[0])
    assert api_key_authenticate(full_key) is None


def test_create_admin_key_without_region():
    full_key = _call("create_api_key", "--name", "ops", "--admin").splitlines()[-1]
    assert api_key_authenticate(full_key).scope == "admin"


def test_commands_fail_clearly():
    with pytest.raises(CommandError, match="No region"):
        _call("create_api_key", "--region", "nowhere", "--name", "x")
    with pytest.raises(CommandError, match="No key"):
        _call("revoke_api_key", "ork_zzzzzzzz")
    _call("create_region", "--code", "a", "--name", "A")
    with pytest.raises(CommandError, match="exists"):
        _call("create_region", "--code", "a", "--name", "A")


def test_admin_key_creation_shows_the_key_once(admin_client, region):
    response = admin_client.post(
        "/admin/regions/apikey/add/",
        {"region": str(region.pk), "name": "from admin", "scope": "region"},
        follow=True,
        headers={"accept-language": "en"},  # the back office is Dutch by default
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    shown = [m for m in messages if "shown only this once" in m]
    assert len(shown) == 1
    full_key = shown[0].rsplit(" ", 1)[-1]
    created = ApiKey.objects.get(name="from admin")
    assert api_key_authenticate(full_key) == created
    detail = admin_client.get(f"/admin/regions/apikey/{created.pk}/change/")
    assert full_key.split(".", 1)[1].encode() not in detail.content


def test_admin_revoke_action(admin_client, region_key):
    admin_client.post(
        "/admin/regions/apikey/",
        {"action": "revoke", "_selected_action": [str(region_key.api_key.pk)]},
    )
    assert api_key_authenticate(region_key.full_key) is None


def test_admin_region_pages_render(admin_client, region):
    assert admin_client.get("/admin/regions/region/").status_code == 200
    assert admin_client.get(f"/admin/regions/region/{region.pk}/change/").status_code == 200
    assert admin_client.get("/admin/regions/region/add/").status_code == 200
