"""OpenAPI: envelopes around every documented body, error responses, and auth schemes."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

# The query parameters of every keyset-paginated list (config/api/pagination.py).
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="meta.cursor of the previous page."),
    OpenApiParameter("pageSize", int, description="1–100, default 100."),
]

API_PREFIXES = ("/api/v2/", "/api/health")


class MetaSerializer(serializers.Serializer):
    requestId = serializers.CharField()
    sandbox = serializers.BooleanField()


class ListMetaSerializer(MetaSerializer):
    cursor = serializers.CharField(
        allow_null=True, help_text="Next page's cursor; null at the end."
    )


class ErrorDetailSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = ErrorDetailSerializer(many=True, help_text="At most 100 entries.")
    omittedDetails = serializers.IntegerField(
        required=False,
        help_text="Present when more violations were found than `details` lists: how many were "
        "left out (validation stops looking after 1000).",
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()
    meta = MetaSerializer()


_envelopes: dict[tuple[type, bool], type[serializers.Serializer]] = {}


def envelope(
    serializer_class: type[serializers.Serializer], *, many: bool = False
) -> type[serializers.Serializer]:
    """A serializer class documenting ``{"data": <serializer>, "meta": {...}}``."""
    key = (serializer_class, many)
    if key not in _envelopes:
        base = serializer_class.__name__.removesuffix("Serializer")
        name = f"{base}{'List' if many else ''}EnvelopeSerializer"
        _envelopes[key] = type(
            name,
            (serializers.Serializer,),
            {
                "data": serializer_class(many=many),
                "meta": ListMetaSerializer() if many else MetaSerializer(),
                "__module__": __name__,
            },
        )
    return _envelopes[key]


_COMMON_ERRORS = {
    400: "Malformed JSON or a bad query parameter.",
    401: "Missing, unknown or revoked credential.",
    403: "Credential valid but not allowed.",
    404: "Unknown id, or an id of another region.",
    429: "Rate limit hit; see Retry-After.",
    500: "Internal error (never a stack trace).",
    503: "The database is unavailable.",
}
_WRITE_ERRORS = {
    409: "Idempotency key reused with another payload, or a conflicting state.",
    413: "The body is larger than the limit.",
    415: "The body is not application/json.",
    422: "The body fails validation; details lists every violation.",
}


class EnvelopeAutoSchema(AutoSchema):
    """Documents the error envelope for every status an operation can answer."""

    # Hooks the (private) body builder because @extend_schema replaces
    # get_response_serializers on a generated subclass.
    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors = dict(_COMMON_ERRORS)
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            errors.update(_WRITE_ERRORS)
        # drf-spectacular returns [{}] ("no auth") for public operations.
        if not any(self.get_auth()):
            errors.pop(401)
            errors.pop(403)
        for status, description in errors.items():
            if str(status) not in responses:
                response = self._get_response_for_code(
                    ErrorEnvelopeSerializer, str(status), direction=direction
                )
                responses[str(status)] = {**response, "description": description}
        # The HTTP server answers this one itself, before the request reaches Django.
        responses.setdefault("414", {"description": "Request line too long (server limit)."})
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "regions.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": (
                "`ork_<prefix>.<secret>`. The legacy header `api-key` is accepted too. Admin "
                "keys may act for a region with `x-region-id: <region id or code>`."
            ),
        }


def only_public_api_paths(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Document ``/api/v2`` once; ``/api/sandbox`` serves the same operations."""
    return [e for e in endpoints if e[0].startswith(API_PREFIXES)]
