"""Django's own 404/500 handlers: the error envelope under /api/, Django's pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .errors import Internal, NotFound, json_error_response
from .middleware import API_PATH_PREFIX


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PATH_PREFIX):
        return json_error_response(request, NotFound("No such API route."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PATH_PREFIX):
        return json_error_response(request, Internal())
    return defaults.server_error(request)
