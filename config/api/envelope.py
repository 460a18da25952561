"""The success envelope: ``{"data": ..., "meta": {"requestId", "sandbox", ...}}``."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from .environment import is_sandbox


def response_meta(request: Any, **extra: Any) -> dict[str, Any]:
    meta = {
        "requestId": getattr(request, "request_id", None),
        "sandbox": is_sandbox(request) if request is not None else False,
    }
    meta.update(extra)
    return meta


def ok(
    request: Any,
    data: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **meta: Any,
) -> Response:
    return Response(
        {"data": data, "meta": response_meta(request, **meta)}, status=status, headers=headers
    )
