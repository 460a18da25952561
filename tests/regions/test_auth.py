from __future__ import annotations

import pytest
from django.apps import apps

from regions.models import ApiKey
from regions.services import api_key_create, api_key_revoke
from tests.factories import create_body

pytestmark = pytest.mark.django_db


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    assert body["meta"]["requestId"] == response["x-request-id"]
    assert body["meta"]["sandbox"] is False
    return body


def test_missing_key_is_401(anon_client):
    _assert_error(anon_client.get("/api/v2/regions/me"), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "raw",
    [
        "ork_abcdefgh.notthesecretnotthesecretnotthesecret",  # unknown prefix
        "ork_short.secret",  # malformed
        "garbage",
        "Bearer ork_abcdefgh.xxx",
    ],
)
def test_unknown_or_malformed_key_is_401(anon_client, raw):
    anon_client.credentials(HTTP_X_API_KEY=raw)
    _assert_error(anon_client.get("/api/v2/regions/me"), 401, "UNAUTHENTICATED")


def test_wrong_secret_for_a_real_prefix_is_401(anon_client, region_key):
    prefix = region_key.full_key.split(".")[0]
    anon_client.credentials(HTTP_X_API_KEY=f"{prefix}.{'x' * 43}")
    _assert_error(anon_client.get("/api/v2/regions/me"), 401, "UNAUTHENTICATED")


def test_legacy_api_key_header_is_accepted(anon_client, region_key, region):
    anon_client.credentials(HTTP_API_KEY=region_key.full_key)
    response = anon_client.get("/api/v2/regions/me")
    assert response.status_code == 200
    assert response.json()["data"]["code"] == region.code


def test_revoked_key_fails_on_the_very_next_request(region_client, region_key):
    assert region_client.get("/api/v2/regions/me").status_code == 200
    api_key_revoke(api_key=region_key.api_key)
    _assert_error(region_client.get("/api/v2/regions/me"), 401, "UNAUTHENTICATED")


def test_region_key_on_admin_route_is_403(region_client):
    _assert_error(region_client.get("/api/v2/regions"), 403, "FORBIDDEN")
    _assert_error(
        region_client.post("/api/v2/regions", {"code": "x", "name": "X"}, format="json"),
        403,
        "FORBIDDEN",
    )


def test_region_key_cannot_use_region_override(region_client, other_region):
    response = region_client.get("/api/v2/regions/me", HTTP_X_REGION_ID=other_region.code)
    _assert_error(response, 403, "FORBIDDEN")


def test_admin_key_acts_for_a_region_by_code_or_id(admin_key_client, region, other_region):
    by_code = admin_key_client.get("/api/v2/regions/me", HTTP_X_REGION_ID=region.code)
    by_id = admin_key_client.get("/api/v2/regions/me", HTTP_X_REGION_ID=str(other_region.pk))
    assert by_code.json()["data"]["code"] == region.code
    assert by_id.json()["data"]["code"] == other_region.code


def test_admin_key_with_unknown_region_is_404(admin_key_client):
    _assert_error(
        admin_key_client.get("/api/v2/regions/me", HTTP_X_REGION_ID="nope"), 404, "NOT_FOUND"
    )


def test_admin_key_without_region_on_region_route_is_400(admin_key_client):
    _assert_error(admin_key_client.get("/api/v2/regions/me"), 400, "BAD_REQUEST")


def test_keys_are_never_stored_in_plain_text_anywhere(region_client, region_key, admin_key):
    # Exercise the paths that persist things about a request: auth, a write, a failed auth.
    region_client.get("/api/v2/regions/me")
    region_client.post(
        "/api/v2/candidates",
        create_body(),
        format="json",
    )
    region_client.post("/api/v2/api-keys", {"name": "second"}, format="json")
    secrets = [k.full_key.split(".", 1)[1] for k in (region_key, admin_key)]
    dump = []
    for model in apps.get_models():
        dump.append(repr(list(model.objects.values_list())))
    everything = "\n".join(dump)
    assert "anna@example.nl" in everything  # the scan does see stored request data
    for secret in secrets:
        assert secret not in everything


def test_last_used_is_written_at_most_once_a_minute(region_client, region_key):
    region_client.get("/api/v2/regions/me")
    first = ApiKey.objects.get(pk=region_key.api_key.pk).last_used_at
    assert first is not None
    region_client.get("/api/v2/regions/me")
    assert ApiKey.objects.get(pk=region_key.api_key.pk).last_used_at == first


def test_inactive_region_key_is_403(region, region_client):
    region.active = False
    region.save()
    _assert_error(region_client.get("/api/v2/regions/me"), 403, "FORBIDDEN")


def test_created_key_has_documented_shape(region):
    created = api_key_create(region=region, name="x")
    prefix, secret = created.full_key.split(".", 1)
    assert prefix == f"ork_{created.api_key.prefix}" and len(created.api_key.prefix) == 8
    assert len(secret) >= 40
