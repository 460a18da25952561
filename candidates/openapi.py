"""Request bodies of the write endpoints, documented with the very JSON Schema that validates
them (OpenAPI 3.1 speaks JSON Schema 2020-12). Region custom fields vary per region, so the
document shows ``customFields`` as an open object and points at ``GET /schema``."""

from __future__ import annotations

import copy
from typing import Any

from regions.models import Region

from .schema import (
    CREATE,
    UPDATE,
    attachments_json_schema,
    build_candidate_json_schema,
    interaction_json_schema,
)

MAX_PER_REQUEST = 10

RESERVED_MEMBERS: dict[str, Any] = {
    "idempotencyKey": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Replays within 24 h return the original 202.",
    },
    "callbackUrl": {
        "type": "string",
        "maxLength": 2000,
        "pattern": "^https?://",
        "description": "Public http(s) URL that receives the signed outcome.",
    },
}
_CUSTOM_FIELDS_DOC = {
    "type": "object",
    "description": "Region-specific fields; see GET /schema for your region's definitions.",
}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local ``$defs`` references inlined, ready to embed anywhere."""
    definitions = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(copy.deepcopy(definitions[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items() if k not in {"$schema", "$defs"}}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


def _candidate(operation: str) -> dict[str, Any]:
    probe = Region(code="your-region")
    schema = _inlined(
        build_candidate_json_schema(region=probe, custom_fields=(), operation=operation)
    )
    schema["properties"]["customFields"] = _CUSTOM_FIELDS_DOC
    schema.pop("title", None)
    return schema


def with_reserved(schema: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(schema)
    body.setdefault("properties", {}).update(RESERVED_MEMBERS)
    return body


def candidates_create_body() -> dict[str, Any]:
    return with_reserved(
        {
            "type": "object",
            "properties": {
                "candidates": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_PER_REQUEST,
                    "items": _candidate(CREATE),
                    "description": "No two candidates of one request may share an email or a "
                    "phone number (any notation); the server names both items (422).",
                }
            },
            "required": ["candidates"],
            "additionalProperties": False,
        }
    )


def candidate_upsert_body() -> dict[str, Any]:
    return with_reserved(_candidate(CREATE))


def candidate_update_body() -> dict[str, Any]:
    return with_reserved(_candidate(UPDATE))


def interactions_create_body() -> dict[str, Any]:
    return with_reserved(
        {
            "type": "object",
            "properties": {
                "interactions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_PER_REQUEST,
                    "items": _inlined(interaction_json_schema(operation=CREATE)),
                }
            },
            "required": ["interactions"],
            "additionalProperties": False,
        }
    )


def interaction_update_body() -> dict[str, Any]:
    return with_reserved(_inlined(interaction_json_schema(operation=UPDATE)))


def attachments_body() -> dict[str, Any]:
    return with_reserved(_inlined(attachments_json_schema()))


def reserved_only_body() -> dict[str, Any]:
    return {"type": "object", "properties": dict(RESERVED_MEMBERS), "additionalProperties": False}
