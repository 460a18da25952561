"""SPEC 14: create-user refuses bad input in v1 terms, before anything is queued."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from candidates.fields import INTERACTION_TYPES
from mutations.models import Mutation

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1_client(region_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_API_KEY=region_key.full_key)
    return client


INTERACTION_TYPE_MESSAGE = "Must be one of: " + ", ".join(f'"{t}"' for t in INTERACTION_TYPES) + "."
MINIMAL = {"naam": "Sanne de Vries", "email": "sanne@example.nl", "privacy_consent": True}


def _details(response) -> list[dict]:
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert response["Deprecation"].startswith("@")
    return response.json()["error"]["details"]


def test_missing_privacy_consent_names_the_v1_field(v1_client):
    body = {k: v for k, v in MINIMAL.items() if k != "privacy_consent"}
    response = v1_client.post("/api/v1/create-user", body, format="json")
    assert _details(response) == [
        {"field": "privacy_consent", "message": "This field is required."}
    ]
    assert Mutation.objects.count() == 0


def test_unknown_fase_names_the_v1_field_and_the_allowed_values(v1_client):
    response = v1_client.post("/api/v1/create-user", {**MINIMAL, "fase": "klaar"}, format="json")
    [detail] = _details(response)
    assert detail["field"] == "fase"
    assert detail["message"].startswith('Must be one of: "nieuw", "matchen"')


def test_v2_names_and_unknown_members_are_refused_with_everything_else(v1_client):
    body = {**MINIMAL, "phone": "0612345678", "telefoon": "nope", "sector": ["Kleuters"]}
    response = v1_client.post("/api/v1/create-user", body, format="json")
    fields = {d["field"] for d in _details(response)}
    assert fields == {"phone", "telefoon", "sector[0]"}


def test_interaction_and_custom_field_errors_point_into_the_v1_lists(v1_client, custom_fields):
    body = {
        **MINIMAL,
        "interacties": [
            {"soort": "Telefonisch", "uitgevoerd_op": "2025-03-01T10:00:00Z"},
            {"soort": "Fax", "uitgevoerd_op": "gisteren", "type": "x"},
        ],
        "custom_fields": [
            {"field_name": "nickname", "field_value": "San"},
            {"field_name": "shoeSize", "field_value": "groot"},
            {"field_name": "unknownKey", "field_value": 1},
            {"field_value": 3},
        ],
    }
    response = v1_client.post("/api/v1/create-user", body, format="json")
    assert [(d["field"], d["message"]) for d in _details(response)] == [
        ("custom_fields[1].field_value", "Must be a number."),
        ("custom_fields[2].field_name", "Unknown field."),
        ("custom_fields[3]", 'Must be {"field_name": <string>, "field_value": <value>}.'),
        ("interacties[1].soort", INTERACTION_TYPE_MESSAGE),
        ("interacties[1].type", "Unknown field."),
        (
            "interacties[1].uitgevoerd_op",
            "Not a valid date-time (RFC 3339, e.g. 2025-01-31T14:00:00Z).",
        ),
    ]


def test_missing_required_custom_field_is_named(v1_client, custom_fields):
    response = v1_client.post(
        "/api/v1/create-user", {**MINIMAL, "custom_fields": []}, format="json"
    )
    assert _details(response) == [
        {"field": "custom_fields", "message": '"shoeSize": This field is required.'}
    ]


@pytest.mark.parametrize("value", [{"shoeSize": 42}, "x", [["shoeSize", 42]]])
def test_custom_fields_must_be_a_list_of_name_value_pairs(v1_client, value):
    response = v1_client.post(
        "/api/v1/create-user", {**MINIMAL, "custom_fields": value}, format="json"
    )
    assert _details(response)[0]["field"].startswith("custom_fields")


def test_bad_json_and_wrong_method_answer_the_envelope(v1_client):
    response = v1_client.generic(
        "POST", "/api/v1/create-user", b"{", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    response = v1_client.get("/api/v1/create-user")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    response = APIClient().post("/api/create-user", MINIMAL, format="json")
    assert response.status_code == 401


def test_slower_than_the_bound_answers_202_with_the_mutation_link(v1_client, settings):
    settings.API_V1_WAIT_S = 0  # no engine runs in this test
    response = v1_client.post("/api/v1/create-user", MINIMAL, format="json")
    assert response.status_code == 202
    mutation = Mutation.objects.get()
    assert mutation.operation == "candidate.upsert"
    assert mutation.payload["candidate"]["name"] == "Sanne de Vries"
    link = f"http://testserver/api/v2/mutations/{mutation.uuid}"
    assert response["Location"] == link
    assert response.json()["data"]["links"] == {"self": link}
    assert response["Link"] == (
        '<http://testserver/api/v2/candidates/upsert>; rel="successor-version"'
    )


def test_sandbox_header_queues_a_sandbox_mutation(v1_client, settings):
    settings.API_V1_WAIT_S = 0
    response = v1_client.post("/api/create-user", MINIMAL, format="json", HTTP_X_API_SANDBOX="true")
    assert response.status_code == 202
    assert response.json()["meta"]["sandbox"] is True
    assert Mutation.objects.get().environment == "sandbox"
    assert response["Location"].startswith("http://testserver/api/sandbox/mutations/")


def test_beyond_the_waiting_cap_answers_202_without_waiting(v1_client, settings, monkeypatch):
    from candidates.v1 import apis

    def must_not_wait(**kwargs):
        raise AssertionError("waited although every slot was taken")

    monkeypatch.setattr(apis, "mutation_wait", must_not_wait)
    settings.API_V1_WAIT_S = 60
    settings.API_V1_MAX_WAITING = 1
    with apis.wait_slots.slot() as granted:  # another request of this process is waiting
        assert granted
        response = v1_client.post("/api/v1/create-user", MINIMAL, format="json")
    assert response.status_code == 202
    assert apis.wait_slots.in_use == 0
