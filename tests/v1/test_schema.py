"""SPEC 14: GET /api/v1/schema in v1's own format, generated from the v2 catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from candidates.v1.names import (
    CANDIDATE_V1_TO_V2,
    INTERACTION_V1_TO_V2,
    V1_CUSTOM_FIELDS,
    V1_INTERACTIONS,
)
from candidates.v1.schema import V1_FIELD_TYPES
from regions.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1_client(region_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_API_KEY=region_key.full_key)  # v1's header
    return client


def _v1_schema(client, path="/api/v1/schema") -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_schema_has_three_parts_in_v1_format(v1_client, custom_fields):
    schema = _v1_schema(v1_client)
    assert set(schema) == {"sharedFields", "interactions", "customFields"}
    fields = [
        *schema["sharedFields"],
        *schema["interactions"]["fields"],
        *schema["customFields"]["fields"],
    ]
    for field in fields:
        assert set(field) <= {"fieldName", "fieldType", "required", "options", "fieldDescription"}
        assert field["fieldType"] in V1_FIELD_TYPES
        assert isinstance(field["required"], bool)
    shared = {f["fieldName"]: f for f in schema["sharedFields"]}
    assert shared["naam"] == {
        "fieldName": "naam",
        "fieldType": "string",
        "required": True,
        "fieldDescription": "At most 200 characters.",
    }
    assert shared["privacy_consent"]["fieldType"] == "boolean"
    assert shared["privacy_consent"]["required"] is True
    assert shared["fase"]["options"][:2] == ["nieuw", "matchen"]
    assert shared["sector"]["fieldType"] == "array"
    assert "Primair onderwijs" in shared["sector"]["options"]
    assert shared["cv"]["fieldType"] == "objectArray"
    assert schema["interactions"]["fieldName"] == V1_INTERACTIONS
    interaction = {f["fieldName"]: f for f in schema["interactions"]["fields"]}
    assert interaction["soort"]["required"] is True
    assert interaction["duur"]["fieldType"] == "number"
    assert schema["customFields"]["fieldName"] == V1_CUSTOM_FIELDS
    custom = {f["fieldName"]: f for f in schema["customFields"]["fields"]}
    assert set(custom) == {c.key for c in custom_fields}  # not amsterdam's secretCode
    assert custom["shoeSize"] == {
        "fieldName": "shoeSize",
        "fieldType": "number",
        "required": True,
        "fieldDescription": "Schoenmaat",
    }
    assert custom["languages"]["options"] == ["Nederlands", "Engels", "Arabisch"]
    assert custom["languages"]["fieldType"] == "array"


def test_every_v2_property_has_a_v1_counterpart_and_back(region_client, v1_client, custom_fields):
    v2 = region_client.get("/api/v2/schema").json()["data"]
    v1 = _v1_schema(v1_client)
    v1_shared = {f["fieldName"] for f in v1["sharedFields"]}
    v1_interaction = {f["fieldName"] for f in v1["interactions"]["fields"]}
    v1_custom = {f["fieldName"] for f in v1["customFields"]["fields"]}

    v2_shared = set(v2["properties"]) - {"interactions", "customFields"}
    v2_interaction = set(v2["$defs"]["interactionCreate"]["properties"])
    v2_custom = set(v2["properties"]["customFields"]["properties"])
    # v1 → v2: every field v1 publishes is a v2 property under the catalogue's name
    assert {CANDIDATE_V1_TO_V2[n] for n in v1_shared} == v2_shared
    assert {INTERACTION_V1_TO_V2[n] for n in v1_interaction} == v2_interaction
    assert v1_custom == v2_custom
    # v2 → v1: same sizes, so no two v2 properties share a v1 name
    assert len(v1_shared) == len(v2_shared)
    assert len(v1_interaction) == len(v2_interaction)
    # required-ness agrees
    v1_required = {f["fieldName"] for f in v1["sharedFields"] if f["required"]}
    assert {CANDIDATE_V1_TO_V2[n] for n in v1_required} == set(v2["required"]) - {"customFields"}


def test_v1_answers_carry_deprecation_and_successor_link(v1_client, settings):
    settings.API_V1_SUNSET_AT = None
    response = v1_client.get("/api/v1/schema")
    deprecated_at = int(settings.API_V1_DEPRECATED_AT.timestamp())
    assert response["Deprecation"] == f"@{deprecated_at}"
    assert response["Link"] == '<http://testserver/api/v2/schema>; rel="successor-version"'
    assert not response.has_header("Sunset")


def test_sunset_header_when_configured(v1_client, settings):
    settings.API_V1_SUNSET_AT = datetime(2027, 7, 1, tzinfo=UTC)
    response = v1_client.get("/api/v1/schema")
    assert response["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    unauthenticated = APIClient().get("/api/v1/schema")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "UNAUTHENTICATED"
    assert unauthenticated["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert unauthenticated["Deprecation"].startswith("@")


def test_unversioned_base_serves_v1_and_x_api_key_works(region_client):
    response = region_client.get("/api/schema")
    assert response.status_code == 200
    assert set(response.json()["data"]) == {"sharedFields", "interactions", "customFields"}
    assert response["Deprecation"].startswith("@")


def test_v2_and_sandbox_routes_are_untouched(region_client):
    for path in ("/api/v2/schema", "/api/sandbox/schema"):
        response = region_client.get(path)
        assert response.status_code == 200
        assert response.json()["data"]["$schema"].startswith("https://json-schema.org/")
        assert not response.has_header("Deprecation")
    assert region_client.get("/api/v2/regions/me").status_code == 200
    assert region_client.get("/api/candidates").status_code == 404
    assert region_client.get("/api/health").status_code == 200


def test_v1_use_is_recorded_on_the_key_and_v2_use_is_not(region_client, v1_client, region_key):
    region_client.get("/api/v2/schema")
    assert ApiKey.objects.get(pk=region_key.api_key.pk).v1_last_used_at is None
    v1_client.get("/api/v1/schema")
    api_key = ApiKey.objects.get(pk=region_key.api_key.pk)
    assert api_key.v1_last_used_at is not None
    assert api_key.last_used_at is not None


def test_v1_schema_with_sandbox_header_answers_from_the_sandbox(v1_client):
    response = v1_client.get("/api/v1/schema", HTTP_X_API_SANDBOX="true")
    assert response.status_code == 200
    assert response.json()["meta"]["sandbox"] is True


def test_v1_use_is_written_at_most_once_a_minute(v1_client, region_key):
    key = ApiKey.objects.filter(pk=region_key.api_key.pk)
    recently = timezone.now() - timedelta(seconds=30)
    key.update(v1_last_used_at=recently)
    v1_client.get("/api/v1/schema")
    assert key.get().v1_last_used_at == recently
    long_ago = timezone.now() - timedelta(minutes=5)
    key.update(v1_last_used_at=long_ago)
    v1_client.get("/api/v1/schema")
    assert key.get().v1_last_used_at > long_ago
