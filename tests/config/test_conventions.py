"""SPEC 2: envelopes, errors for every kind of bad input, rate limit, health, OpenAPI."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400_envelope(admin_key_client):
    response = admin_key_client.generic(
        "POST", "/api/v2/regions", b'{"code": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b'{"a": NaN}', b"\xff\xfe"])
def test_non_object_or_non_standard_json_is_400(admin_key_client, body):
    response = admin_key_client.generic(
        "POST", "/api/v2/regions", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_wrong_content_type_is_415(admin_key_client):
    response = admin_key_client.generic(
        "POST", "/api/v2/regions", b"code=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_oversize_body_is_413(admin_key_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"code": "x", "name": "y" * 2000}).encode()
    response = admin_key_client.generic(
        "POST", "/api/v2/regions", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_wrong_types_are_422_with_field_paths(admin_key_client):
    response = admin_key_client.post(
        "/api/v2/regions", {"code": ["x"], "name": {"a": 1}, "active": "maybe"}, format="json"
    )
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"code", "name", "active"}


def test_unknown_route_is_404_envelope(region_client):
    for path in ("/api/v2/nope", "/api/sandbox/nope/deeper", "/api/whatever"):
        response = region_client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
        assert response["x-request-id"]


def test_wrong_method_is_405_envelope(region_client):
    response = region_client.put("/api/v2/regions/me", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_database_down_is_503(region_client, monkeypatch):
    from regions import apis

    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(apis.RegionMeApi, "get", broken)
    response = region_client.get("/api/v2/regions/me")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"


def test_unexpected_bug_is_500_without_traceback(region_client, monkeypatch):
    from regions import apis

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(apis.RegionMeApi, "get", broken)
    response = region_client.get("/api/v2/regions/me")
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "INTERNAL",
        "message": "An internal error occurred.",
        "details": [],
    }
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_rate_limit_answers_429_with_retry_after(region_client, settings):
    settings.API_RATE_LIMIT_PER_S = 1
    settings.API_RATE_LIMIT_BURST = 2
    first = region_client.get("/api/v2/regions/me")
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert region_client.get("/api/v2/regions/me").status_code == 200
    limited = region_client.get("/api/v2/regions/me")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited["Retry-After"]) >= 1
    assert limited["RateLimit-Remaining"] == "0"


def test_rate_limit_is_per_key(region_client, other_region_client, settings):
    settings.API_RATE_LIMIT_PER_S = 1
    settings.API_RATE_LIMIT_BURST = 1
    assert region_client.get("/api/v2/regions/me").status_code == 200
    assert region_client.get("/api/v2/regions/me").status_code == 429
    assert other_region_client.get("/api/v2/regions/me").status_code == 200


def test_rate_limit_without_redis_falls_back_to_process_memory(region_client, settings):
    settings.REDIS_URL = ""
    settings.API_RATE_LIMIT_PER_S = 1
    settings.API_RATE_LIMIT_BURST = 1
    assert region_client.get("/api/v2/regions/me").status_code == 200
    assert region_client.get("/api/v2/regions/me").status_code == 429


def test_health_reports_each_dependency(anon_client):
    response = anon_client.get("/api/health")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "ok"
    assert data["checks"]["database"]["status"] == "ok"
    assert data["checks"]["redis"]["status"] == "ok"
    # The engine registers the queue figures (config imports no app).
    assert data["checks"]["queue"] == {"status": "ok", "depth": 0, "oldestQueuedAgeS": None}


def test_health_is_503_when_database_fails(anon_client, monkeypatch):
    from config.api import health

    monkeypatch.setattr(
        health, "_check_database", lambda: {"status": "failing", "error": "OperationalError"}
    )
    response = anon_client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["data"]["status"] == "failing"


def test_health_reports_redis_failing_as_degraded(anon_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = anon_client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["data"]["checks"]["redis"]["status"] == "failing"
    assert response.json()["data"]["status"] == "degraded"


def test_openapi_document_validates_and_lists_every_operation(anon_client):
    response = anon_client.get("/api/v2/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.1")
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert _routed_operations() <= operations, _routed_operations() - operations
    assert not any(path.startswith("/api/sandbox") for _, path in operations)
    me = document["paths"]["/api/v2/regions/me"]["get"]
    assert me["security"] == [{"apiKey": []}]
    assert {"200", "401", "404", "429"} <= set(me["responses"])
    schemas = document["components"]["schemas"]
    assert "ErrorEnvelope" in schemas and "RegionEnvelope" in schemas


def _routed_operations() -> set[tuple[str, str]]:
    """Every (method, path) the URLconf serves under /api/v2 and /api/health."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    found = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                path = "/" + route.replace("<str:", "{").replace(">", "}")
                if view is None or not path.startswith(("/api/v2/", "/api/health")):
                    continue
                if path.endswith("openapi.json"):
                    continue
                for method in ("get", "post", "patch", "put", "delete"):
                    if hasattr(view, method):
                        found.add((method.upper(), path))

    walk(get_resolver().url_patterns, "")
    return found


def test_docs_ui_is_served_without_a_cdn(anon_client):
    response = anon_client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn." not in response.content


@pytest.mark.parametrize(
    "body",
    [
        {"name": 0},
        {"name": True},
        {"name": "crm", "scope": 1},
    ],
)
def test_json_types_are_not_coerced(region_client, body):
    response = region_client.post("/api/v2/api-keys", body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"


def test_booleans_are_not_coerced(admin_key_client, region):
    for value in ("yes", 1, "true"):
        response = admin_key_client.patch(
            f"/api/v2/regions/{region.pk}", {"active": value}, format="json"
        )
        assert response.status_code == 422, value
        assert response.json()["error"]["details"][0]["field"] == "active"


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800"'])
def test_unstorable_strings_are_400_not_500(admin_key_client, text):
    body = ('{"code": "x", "name": ' + text + "}").encode()
    response = admin_key_client.generic(
        "POST", "/api/v2/regions", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_nul_in_query_or_header_is_400(region_client):
    assert region_client.get("/api/v2/candidates/find?email=a%00b").status_code == 400
    response = region_client.get("/api/v2/regions/me", HTTP_X_REGION_ID="a\x00b")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_repeated_single_valued_parameters_are_400(admin_key_client):
    response = admin_key_client.get("/api/v2/regions?pageSize=1&pageSize=2")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "pageSize", "message": "Repeated parameter."}
    ]


def test_undeclared_method_on_a_write_route_is_405_before_any_body_check(region_client):
    response = region_client.patch(
        "/api/v2/candidates/recAAAAAAAAAAAAAA/archive", {"callbackUrl": "ftp://x"}, format="json"
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
