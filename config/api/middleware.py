from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .environment import environment_for
from .errors import BadRequest, LengthRequired, NotFound, PayloadTooLarge, json_error_response

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is echoed only when it is short and plain, so it cannot inject into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
API_PATH_PREFIX = "/api/"


class RequestIdMiddleware:
    """Gives every request an id, binds it to the log context, echoes it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response[REQUEST_ID_HEADER] = request_id
        return response


class ApiEnvironmentMiddleware:
    """Sets ``request.environment`` and guards API requests before any view reads the body.

    Oversized bodies are refused from ``Content-Length`` alone (the JSON parser enforces the
    same limit while reading), and Django's HTML 404 for unknown API routes becomes the
    error envelope in every mode, not only when ``DEBUG`` is off.

    A body sent with ``Transfer-Encoding`` (chunked) is answered 411: Django reads a request
    without ``Content-Length`` as empty, so the API would otherwise act on ``{}`` instead of
    what was sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.environment = environment_for(request.path, request.META)  # type: ignore[attr-defined]
        is_api = request.path.startswith(API_PATH_PREFIX)
        if is_api:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                return json_error_response(request, PayloadTooLarge(_too_large_message()))
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return json_error_response(request, LengthRequired())
            if _has_nul(request):
                return json_error_response(
                    request, BadRequest("NUL characters are not allowed in the URL or headers.")
                )
        response = self.get_response(request)
        not_json = "json" not in response.get("Content-Type", "")
        if is_api and response.status_code == 404 and not_json:
            return json_error_response(request, NotFound("No such API route."))
        return response


def _has_nul(request: HttpRequest) -> bool:
    # Postgres cannot store or compare text containing NUL; refuse it before any query does.
    values = [request.path, *request.headers.values()]
    values += [v for key in request.GET for v in (key, *request.GET.getlist(key))]
    return any("\x00" in value for value in values)


def _too_large_message() -> str:
    return f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."
