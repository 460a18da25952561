"""Findings 3 and 4: hostile bodies get small, bounded answers — never a 500, never megabytes."""

from __future__ import annotations

import json
import logging

import pytest

from candidates.fields import SECTORS
from candidates.schema import candidate_json_schema
from config.api.errors import MAX_ERROR_DETAILS
from config.api.parsers import MAX_JSON_DEPTH
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db

CANDIDATE = candidate_body()
SMALL_ANSWER = 64 * 1024


def test_huge_arrays_answer_a_bounded_422(region_client):
    candidates = [
        CANDIDATE | {"sectors": ["Geen sector"] * 20_000, "roles": ["Docent / leraar"] * 20_000}
        for _ in range(10)
    ]
    response = region_client.post("/api/v2/candidates", {"candidates": candidates}, format="json")
    assert response.status_code == 422
    assert len(response.content) < SMALL_ANSWER
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    # One violation per oversized array: maxItems, not one per item.
    assert error["details"][:2] == [
        {"field": "candidates[0].roles", "message": "Must have at most 8 items."},
        {"field": "candidates[0].sectors", "message": f"Must have at most {len(SECTORS)} items."},
    ]
    assert len(error["details"]) == 20
    assert "omittedDetails" not in error


def test_many_unknown_members_are_capped_with_a_count(anon_client):
    body = {"email": "ada@example.com"} | {f"x{i:06d}": 1 for i in range(50_000)}
    response = anon_client.post("/api/v2/auth/verification", body, format="json")
    assert response.status_code == 422
    assert len(response.content) < SMALL_ANSWER
    error = response.json()["error"]
    assert len(error["details"]) == MAX_ERROR_DETAILS
    assert error["details"][0] == {"field": "x000000", "message": "Unknown member."}
    assert error["omittedDetails"] == 50_000 - MAX_ERROR_DETAILS


def test_many_unknown_candidate_fields_are_capped(region_client):
    candidate = CANDIDATE | {f"field{i:06d}": "x" for i in range(5_000)}
    response = region_client.post(
        "/api/v2/candidates", {"candidates": [candidate] * 10}, format="json"
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert len(error["details"]) == MAX_ERROR_DETAILS
    assert error["omittedDetails"] >= 1000 - MAX_ERROR_DETAILS
    assert len(response.content) < SMALL_ANSWER


def test_every_array_in_the_candidate_schema_has_max_items(region):
    def arrays(node):
        if isinstance(node, dict):
            if node.get("type") == "array" or "array" in (node.get("type") or []):
                yield node
            for child in node.values():
                yield from arrays(child)
        elif isinstance(node, list):
            for child in node:
                yield from arrays(child)

    for operation in ("create", "update"):
        found = list(arrays(candidate_json_schema(region=region, operation=operation)))
        assert found, operation
        assert all("maxItems" in node for node in found), operation


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deep_nesting_is_a_400_not_a_500(anon_client, region_client, caplog, depth):
    body = '{"email": ' + "[" * depth + "]" * depth + "}"
    caplog.set_level(logging.ERROR)
    for client, path in (
        (anon_client, "/api/v2/auth/verification"),
        (region_client, "/api/v2/candidates"),
    ):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
        assert response.json()["error"] == {
            "code": "BAD_REQUEST",
            "message": f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.",
            "details": [],
        }
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_nesting_at_the_limit_is_parsed(anon_client):
    nested: object = "x"
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    response = anon_client.post(
        "/api/v2/auth/verification", json.dumps({"email": nested}), content_type="application/json"
    )
    assert response.status_code == 422  # parsed, then refused as not an email address
