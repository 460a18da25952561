"""One domain error type and the one handler that turns every failure into the error envelope.

Views raise; they never build error bodies. DRF's own exceptions, Django's ``Http404``,
``PermissionDenied`` and an unreachable database all pass through :func:`api_exception_handler`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from .envelope import response_meta

logger = structlog.get_logger(__name__)

# An error answer lists at most this many details; ``omittedDetails`` counts the rest, so a
# payload with a million violations costs a small answer, not a 200 MB one.
MAX_ERROR_DETAILS = 100


@dataclass(frozen=True)
class ErrorDetail:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ApiError(Exception):
    """Any failure the API reports to its caller. Subclasses fix status and code."""

    status_code = 400
    code = "BAD_REQUEST"
    default_message = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Iterable[ErrorDetail] = (),
        omitted_details: int = 0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        listed = list(details)
        self.details = listed[:MAX_ERROR_DETAILS]
        self.omitted_details = omitted_details + max(0, len(listed) - MAX_ERROR_DETAILS)
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(ApiError):
    status_code, code, default_message = 400, "BAD_REQUEST", "The request is not valid."


class Unauthenticated(ApiError):
    status_code, code = 401, "UNAUTHENTICATED"
    default_message = "A valid API key or session token is required."


class Forbidden(ApiError):
    status_code, code = 403, "FORBIDDEN"
    default_message = "This credential may not perform this operation."


class NotFound(ApiError):
    status_code, code, default_message = 404, "NOT_FOUND", "Not found."


class MethodNotAllowed(ApiError):
    status_code, code, default_message = 405, "METHOD_NOT_ALLOWED", "Method not allowed."


class NotAcceptable(ApiError):
    status_code, code, default_message = 406, "NOT_ACCEPTABLE", "Only application/json is served."


class IdempotencyConflict(ApiError):
    status_code, code = 409, "IDEMPOTENCY_CONFLICT"
    default_message = "This idempotency key was used with a different payload."


class Conflict(ApiError):
    status_code, code, default_message = 409, "CONFLICT", "The request conflicts with the state."


class LengthRequired(ApiError):
    status_code, code = 411, "LENGTH_REQUIRED"
    default_message = "Send the body with a Content-Length header; chunked bodies are not read."


class PayloadTooLarge(ApiError):
    status_code, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class UnsupportedMediaType(ApiError):
    status_code, code = 415, "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Send the body as application/json."


class ValidationFailed(ApiError):
    status_code, code = 422, "VALIDATION_FAILED"
    default_message = "The request body is not valid."


class RateLimited(ApiError):
    status_code, code, default_message = 429, "RATE_LIMITED", "Too many requests."


class Internal(ApiError):
    status_code, code, default_message = 500, "INTERNAL", "An internal error occurred."


class Unavailable(ApiError):
    status_code, code = 503, "UNAVAILABLE"
    default_message = "The service is temporarily unavailable. Try again shortly."


def drf_validation_details(detail: Any, prefix: str = "") -> list[ErrorDetail]:
    """Flatten DRF's nested ``ValidationError.detail`` into field paths like ``a[0].b``."""
    if isinstance(detail, dict):
        out: list[ErrorDetail] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            out.extend(drf_validation_details(value, path))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [ErrorDetail(prefix, str(item)) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item in ({}, [], None):
                continue
            out.extend(drf_validation_details(item, f"{prefix}[{index}]"))
        return out
    return [ErrorDetail(prefix, str(detail))]


def _from_drf(exc: drf.APIException) -> ApiError:
    if isinstance(exc, drf.ValidationError):
        return ValidationFailed(details=drf_validation_details(exc.detail))
    if isinstance(exc, drf.ParseError):
        return BadRequest(str(exc.detail))
    if isinstance(exc, drf.AuthenticationFailed | drf.NotAuthenticated):
        return Unauthenticated(str(exc.detail))
    if isinstance(exc, drf.PermissionDenied):
        return Forbidden()
    if isinstance(exc, drf.NotFound):
        return NotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf.NotAcceptable):
        return NotAcceptable()
    if isinstance(exc, drf.UnsupportedMediaType):
        return UnsupportedMediaType()
    if isinstance(exc, drf.Throttled):
        wait = math.ceil(getattr(exc, "wait", None) or 1)
        return RateLimited(headers={"Retry-After": str(wait)})
    error = ApiError(str(exc.detail))
    error.status_code = exc.status_code
    return error


def as_api_error(exc: Exception) -> ApiError | None:
    """Map any exception we know how to report; ``None`` means an unexpected bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, drf.APIException):
        return _from_drf(exc)
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden()
    if isinstance(exc, OperationalError | InterfaceError):
        return Unavailable()
    if isinstance(exc, DatabaseError) and "connection" in str(exc).lower():
        return Unavailable()
    return None


def error_body(request: Any, error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "details": [d.as_dict() for d in error.details],
    }
    if error.omitted_details:
        body["omittedDetails"] = error.omitted_details
    return {"error": body, "meta": response_meta(request)}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    error = as_api_error(exc)
    if error is None:
        logger.exception("api.unhandled_error", exc_type=type(exc).__name__)
        error = Internal()
    elif isinstance(error, Unavailable):
        logger.error("api.database_unavailable", exc_type=type(exc).__name__)
    response = Response(error_body(request, error), status=error.status_code)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_error_response(request: Any, error: ApiError) -> JsonResponse:
    """The same envelope for responses produced outside DRF (middleware, Django handlers)."""
    response = JsonResponse(error_body(request, error), status=error.status_code)
    for name, value in error.headers.items():
        response[name] = value
    return response
