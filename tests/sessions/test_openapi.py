"""SPEC 2/7: the session operations are documented under "Auth" with the bearer scheme."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(anon_client) -> dict:
    response = anon_client.get("/api/v2/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_bearer_scheme_and_auth_operations_are_documented(document):
    assert document["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = document["paths"]
    operations = {
        ("post", "/api/v2/auth/verification"): ("auth_verification_request", [{}], "202"),
        ("post", "/api/v2/auth/session"): ("auth_session_create", [{}], "201"),
        ("delete", "/api/v2/auth/session"): ("auth_session_delete", [{"bearerAuth": []}], "200"),
        ("get", "/api/v2/auth/candidates/me"): ("auth_candidates_me", [{"bearerAuth": []}], "200"),
        ("get", "/api/v2/auth/candidates/me/export"): (
            "auth_candidates_me_export",
            [{"bearerAuth": []}],
            "200",
        ),
    }
    # Public operations: drf-spectacular's "no credential needed" ([{}]).
    for (method, path), (operation_id, security, success) in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert operation["tags"] == ["Auth"]
        assert operation.get("security") == security, (method, path)
        assert success in operation["responses"]
    assert "401" in paths["/api/v2/auth/session"]["post"]["responses"]


def test_only_get_and_patch_of_a_candidate_accept_a_session(document):
    candidate = document["paths"]["/api/v2/candidates/{candidate_id}"]
    both = [{"apiKey": []}, {"bearerAuth": []}]
    assert candidate["get"]["security"] == both
    assert candidate["patch"]["security"] == both
    assert candidate["delete"]["security"] == [{"apiKey": []}]
    assert document["paths"]["/api/v2/candidates"]["get"]["security"] == [{"apiKey": []}]
