from __future__ import annotations

import uuid

import pytest

from regions.models import ApiKey, Region

pytestmark = pytest.mark.django_db


def test_regions_me_whole_body(region_client, region):
    response = region_client.get("/api/v2/regions/me", HTTP_X_REQUEST_ID="trace-123")
    assert response.status_code == 200
    assert response["x-request-id"] == "trace-123"
    assert response.json() == {
        "data": {
            "id": str(region.pk),
            "code": "utrecht",
            "name": "Onderwijsregio Utrecht",
            "contactEmail": "contact@utrecht.example.nl",
            "website": "",
            "active": True,
            "retentionMonths": 24,
            "createdAt": region.created_at.isoformat().replace("+00:00", "Z"),
            "updatedAt": response.json()["data"]["updatedAt"],
        },
        "meta": {"requestId": "trace-123", "sandbox": False},
    }


def test_sandbox_by_path_and_by_header(region_client):
    assert region_client.get("/api/sandbox/regions/me").json()["meta"]["sandbox"] is True
    by_header = region_client.get("/api/v2/regions/me", HTTP_X_API_SANDBOX="true")
    assert by_header.json()["meta"]["sandbox"] is True
    assert region_client.get("/api/v2/regions/me").json()["meta"]["sandbox"] is False


def test_unsafe_request_id_is_replaced(region_client):
    response = region_client.get("/api/v2/regions/me", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["x-request-id"] != "bad id\nwith newline"
    assert len(response["x-request-id"]) == 32


def test_admin_creates_lists_and_updates_regions(admin_key_client, region):
    created = admin_key_client.post(
        "/api/v2/regions",
        {"code": "zeeland", "name": "Onderwijsregio Zeeland", "contactEmail": "a@zeeland.nl"},
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["code"] == "zeeland" and data["active"] is True
    assert Region.objects.get(code="zeeland").signing_secret.startswith("whsec_")

    listed = admin_key_client.get("/api/v2/regions?pageSize=1")
    assert [r["code"] for r in listed.json()["data"]] == ["utrecht"]
    cursor = listed.json()["meta"]["cursor"]
    second = admin_key_client.get(f"/api/v2/regions?pageSize=1&cursor={cursor}")
    assert [r["code"] for r in second.json()["data"]] == ["zeeland"]
    assert second.json()["meta"]["cursor"] is None

    patched = admin_key_client.patch(
        f"/api/v2/regions/{data['id']}", {"active": False, "retentionMonths": 12}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["active"] is False
    assert patched.json()["data"]["retentionMonths"] == 12


def test_region_create_validation_lists_every_violation(admin_key_client, region):
    response = admin_key_client.post(
        "/api/v2/regions",
        {"code": "utrecht", "name": "", "contactEmail": "nope", "colour": "red"},
        format="json",
    )
    assert response.status_code == 422
    fields = sorted(d["field"] for d in response.json()["error"]["details"])
    assert fields == ["code", "colour", "contactEmail", "name"]


def test_region_update_refuses_code_change(admin_key_client, region):
    response = admin_key_client.patch(
        f"/api/v2/regions/{region.pk}", {"code": "other"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "code"


def test_region_update_unknown_region_is_404(admin_key_client):
    response = admin_key_client.patch(
        f"/api/v2/regions/{uuid.uuid4()}", {"name": "x"}, format="json"
    )
    assert response.status_code == 404


def test_api_keys_list_create_revoke(region_client, region_key, region):
    created = region_client.post("/api/v2/api-keys", {"name": "crm sync"}, format="json")
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["key"].startswith("ork_") and data["prefix"] == data["key"].split(".")[0]
    assert data["scope"] == "region" and data["region"] == "utrecht"

    listed = region_client.get("/api/v2/api-keys").json()["data"]
    assert {k["name"] for k in listed} == {"website", "crm sync"}
    assert all("key" not in k for k in listed)

    revoked = region_client.delete(f"/api/v2/api-keys/{data['id']}")
    assert revoked.status_code == 200 and revoked.json()["data"]["revokedAt"]
    assert ApiKey.objects.get(pk=data["id"]).revoked_at is not None


def test_region_key_cannot_create_admin_key(region_client):
    response = region_client.post(
        "/api/v2/api-keys", {"name": "x", "scope": "admin"}, format="json"
    )
    assert response.status_code == 403


def test_key_may_not_revoke_itself_when_last_active(region_client, region_key):
    response = region_client.delete(f"/api/v2/api-keys/{region_key.api_key.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    region_client.post("/api/v2/api-keys", {"name": "successor"}, format="json")
    assert region_client.delete(f"/api/v2/api-keys/{region_key.api_key.pk}").status_code == 200


def test_another_regions_key_is_404(region_client, other_region_client):
    other_key_id = other_region_client.get("/api/v2/api-keys").json()["data"][0]["id"]
    response = region_client.delete(f"/api/v2/api-keys/{other_key_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert region_client.delete("/api/v2/api-keys/not-a-uuid").status_code == 404
