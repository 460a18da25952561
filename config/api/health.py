from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from drf_spectacular.utils import extend_schema
from redis.exceptions import RedisError
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.redis import get_redis

from .envelope import ok
from .openapi import envelope
from .views import ApiView

# Checks that read the database, keyed by their name in the report; apps register theirs in
# ``AppConfig.ready()`` (the engine adds "queue"), so ``config`` imports no app.
DatabaseCheck = Callable[[], dict[str, Any]]
_database_checks: dict[str, DatabaseCheck] = {}


def register_database_check(name: str, check: DatabaseCheck) -> None:
    """Report ``check()`` under ``name`` whenever the database answers."""
    _database_checks[name] = check


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # any driver error means "failing", reported not raised
        return {"status": "failing", "error": type(exc).__name__}


def _check_redis() -> dict[str, Any]:
    client = get_redis()
    if client is None:
        return {"status": "not_configured", "broker": "filesystem"}
    started = time.perf_counter()
    try:
        client.ping()
        return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 1)}
    except RedisError as exc:
        return {"status": "failing", "error": type(exc).__name__}


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded", "failing"])
    checks = serializers.DictField(
        child=serializers.DictField(),
        help_text="database, redis and queue: each with a status and its figures.",
    )


class HealthApi(ApiView):
    """Database and Redis, each ok/failing; 503 when the database fails (SPEC 2)."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []

    @extend_schema(
        tags=["Health"],
        operation_id="health",
        auth=[],
        responses={200: envelope(HealthSerializer), 503: envelope(HealthSerializer)},
    )
    def get(self, request: Request) -> Response:
        checks = {"database": _check_database(), "redis": _check_redis()}
        if checks["database"]["status"] == "ok":
            checks.update({name: check() for name, check in _database_checks.items()})
        failing = checks["database"]["status"] != "ok"
        degraded = any(c.get("status") == "failing" for c in checks.values())
        status = "failing" if failing else "degraded" if degraded else "ok"
        return ok(request, {"status": status, "checks": checks}, status=503 if failing else 200)
