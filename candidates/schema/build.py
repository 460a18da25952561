"""The JSON Schema generator: the field catalogue and a region's custom field definitions
rendered as draft 2020-12 (the published ``GET /schema`` and what the validator runs).

The patterns are part of the published schema; ``validation.py`` holds what the validator says
when one fails, ``compiled.py`` caches the generated schemas and their compiled validators.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from regions.models import CustomField, Region

from ..fields import (
    ATTACHMENT_MEMBERS,
    CREATE_DEFAULTS,
    CUSTOM_FIELD_KINDS,
    INTERACTION_FIELDS,
    MAX_TEXT,
    WRITABLE_CANDIDATE_FIELDS,
    FieldSpec,
    Kind,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
CREATE, UPDATE = "create", "update"
OPERATIONS = (CREATE, UPDATE)

MAX_INLINE_INTERACTIONS = 10
MAX_FILES_PER_FIELD = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_BASE64_LENGTH = 4 * -(-MAX_ATTACHMENT_BYTES // 3)
MAX_FILENAME = 255
MAX_ATTACHMENT_URL = 2048
ATTACHMENT_CONTENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "application/rtf",
    "text/rtf",
    "text/plain",
    "image/png",
    "image/jpeg",
)

# Patterns are part of the published schema; the messages are what the validator says.
# A conventional address: dot-atom local part, host name labels, alphabetic TLD. Stricter
# than jsonschema's "email" format (which only wants an @), as Airtable's email column is.
# Surrounding whitespace is admitted (a web form's copy-paste) and trimmed by the server.
EMAIL_PATTERN = (
    r"^\s*[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}\s*$"
)
# National (06 12345678, (06) 123 456 78) or international (+31 6 12345678, +31 (0)6 12345678,
# 0031612345678) notation, surrounding whitespace admitted.
PHONE_PATTERN = r"^\s*\(?(?:0(?:[ ().-]*[0-9]){9}|(?:\+|00)[1-9](?:[ ().-]*[0-9]){6,13})\s*$"
POSTCODE_PATTERN = r"^[1-9][0-9]{3} ?[A-Za-z]{2}$"
HTTP_URL_PATTERN = r"^https?://[^\s/?#@]+\.[^\s/?#@]+(?:[/?#]\S*)?$"
HTTPS_URL_PATTERN = r"^https://[^\s/?#@]+\.[^\s/?#@]+(?:[/?#]\S*)?$"
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {OPERATIONS}, not {operation!r}")


# --- generation ------------------------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, also admitting ``null`` (which clears the field)."""
    schema = dict(schema)
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    elif isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    return schema


def _kind_schema(
    kind: Kind,
    *,
    options: Sequence[str] = (),
    max_length: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> dict[str, Any]:
    schema: dict[str, Any]
    match kind:
        case Kind.STRING | Kind.TEXT:
            schema = {"type": "string"}
        case Kind.EMAIL:
            schema = {"type": "string", "format": "email", "pattern": EMAIL_PATTERN}
        case Kind.PHONE:
            schema = {"type": "string", "pattern": PHONE_PATTERN}
        case Kind.URI:
            schema = {"type": "string", "format": "uri", "pattern": HTTP_URL_PATTERN}
        case Kind.BOOLEAN:
            schema = {"type": "boolean"}
        case Kind.DATE:
            schema = {"type": "string", "format": "date"}
        case Kind.DATETIME:
            schema = {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}
        case Kind.INTEGER:
            schema = {"type": "integer"}
        case Kind.NUMBER:
            schema = {"type": "number"}
        case Kind.POSTCODE:
            schema = {"type": "string", "pattern": POSTCODE_PATTERN}
        case Kind.ENUM:
            schema = {"enum": list(options)}
        case Kind.ENUM_LIST:
            # Distinct options only, so never more items than options (a bound for every array).
            schema = {
                "type": "array",
                "items": {"enum": list(options)},
                "uniqueItems": True,
                "maxItems": len(options),
            }
        case _:
            raise ValueError(f"no JSON Schema for kind {kind}")
    if max_length is not None:
        schema["maxLength"] = max_length
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


_SERVER_SIDE_NOTES = {
    "dateOfBirth": "Checked by the server (JSON Schema cannot express it).",
    "phone": (
        "Dutch national (06 12345678, (06) 123 456 78) or international (+31 6 12345678, "
        "+31 (0)6 12345678, 0031612345678) notation; the server also requires a valid number "
        "for its country (libphonenumber's is_valid_number)."
    ),
}


def clearable(spec: FieldSpec) -> bool:
    """May an update clear this member with ``null``? Not when every record must have a value:
    members required on create, and members a create defaults (``phase``)."""
    return not spec.required_on_create and spec.name not in CREATE_DEFAULTS


def _field_schema(spec: FieldSpec, operation: str) -> dict[str, Any]:
    schema = _kind_schema(
        spec.kind,
        options=spec.options,
        max_length=spec.max_length,
        minimum=spec.minimum,
        maximum=spec.maximum,
    )
    if spec.required_on_create and spec.kind in (Kind.STRING, Kind.TEXT):
        schema["minLength"] = 1
    description = " ".join(filter(None, [spec.description, _SERVER_SIDE_NOTES.get(spec.name)]))
    if description:
        schema["description"] = description
    if operation == CREATE:
        if spec.name == "privacyConsent":
            schema = {"const": True, "description": spec.description}
        if spec.name == "phase":
            schema["default"] = CREATE_DEFAULTS["phase"]
        return schema
    return _nullable(schema) if clearable(spec) else schema


def _custom_field_schema(definition: CustomField, operation: str) -> dict[str, Any]:
    kind = CUSTOM_FIELD_KINDS[definition.type]
    schema = _kind_schema(
        kind, options=definition.options or (), max_length=MAX_TEXT if kind is Kind.STRING else None
    )
    schema = {"title": definition.label, **schema}
    if definition.description:
        schema["description"] = definition.description
    return _nullable(schema) if operation == UPDATE and not definition.required else schema


def _interaction_schema(operation: str) -> dict[str, Any]:
    properties = {}
    for spec in INTERACTION_FIELDS:
        field_schema = _kind_schema(
            spec.kind,
            options=spec.options,
            max_length=spec.max_length,
            minimum=spec.minimum,
            maximum=spec.maximum,
        )
        if operation == UPDATE and not spec.required_on_create:
            field_schema = _nullable(field_schema)
        properties[spec.name] = field_schema
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if operation == CREATE:
        schema["required"] = [s.name for s in INTERACTION_FIELDS if s.required_on_create]
    else:
        schema["minProperties"] = 1
    return schema


def _attachment_input_schema() -> dict[str, Any]:
    filename = {"type": "string", "minLength": 1, "maxLength": MAX_FILENAME}
    return {
        "type": "object",
        "description": (
            'Exactly one of {"url": "https://…", "filename"?} (Airtable fetches the public '
            'file) or {"filename", "contentType", "base64"} (at most 5 MB once decoded).'
        ),
        "if": {"required": ["url"]},
        "then": {
            "properties": {
                "url": {
                    "type": "string",
                    "pattern": HTTPS_URL_PATTERN,
                    "maxLength": MAX_ATTACHMENT_URL,
                },
                "filename": filename,
            },
            "required": ["url"],
            "additionalProperties": False,
        },
        "else": {
            "properties": {
                "filename": filename,
                "contentType": {"enum": list(ATTACHMENT_CONTENT_TYPES)},
                "base64": {
                    "type": "string",
                    "contentEncoding": "base64",
                    "pattern": BASE64_PATTERN,
                    "minLength": 4,
                    "maxLength": MAX_BASE64_LENGTH,
                    "description": "At most 5 MB once decoded (checked by the server).",
                },
            },
            "required": ["filename", "contentType", "base64"],
            "additionalProperties": False,
        },
    }


def _file_list_schema() -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"$ref": "#/$defs/attachmentInput"},
        "maxItems": MAX_FILES_PER_FIELD,
    }


def build_candidate_json_schema(
    *, region: Region, custom_fields: Iterable[CustomField], operation: str
) -> dict[str, Any]:
    """The schema itself, uncached. Prefer :func:`candidate_json_schema`."""
    _check_operation(operation)
    definitions = list(custom_fields)
    properties = {spec.name: _field_schema(spec, operation) for spec in WRITABLE_CANDIDATE_FIELDS}
    custom: dict[str, Any] = {
        "type": "object",
        "description": f"Fields specific to region {region.code}.",
        "properties": {d.key: _custom_field_schema(d, operation) for d in definitions},
        "additionalProperties": False,
    }
    required = [spec.name for spec in WRITABLE_CANDIDATE_FIELDS if spec.required_on_create]
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": f"Candidate {operation} payload — region {region.code}",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if operation == CREATE:
        custom_required = [d.key for d in definitions if d.required]
        if custom_required:
            custom["required"] = custom_required
            required.append("customFields")
        properties["customFields"] = custom
        properties["interactions"] = {
            "type": "array",
            "items": {"$ref": "#/$defs/interactionCreate"},
            "maxItems": MAX_INLINE_INTERACTIONS,
        }
        for member in ATTACHMENT_MEMBERS:
            properties[member] = _file_list_schema()
        schema["required"] = required
        schema["$defs"] = {
            "interactionCreate": _interaction_schema(CREATE),
            "attachmentInput": _attachment_input_schema(),
        }
    else:
        properties["customFields"] = custom
        schema["minProperties"] = 1
        schema["description"] = _update_description(definitions)
    return schema


def _update_description(custom_fields: Sequence[CustomField]) -> str:
    members = [s.name for s in WRITABLE_CANDIDATE_FIELDS if clearable(s)]
    members += [f"customFields.{d.key}" for d in custom_fields if not d.required]
    fixed = [s.name for s in WRITABLE_CANDIDATE_FIELDS if not clearable(s)]
    fixed += [f"customFields.{d.key}" for d in custom_fields if d.required]
    return (
        "Changes exactly the members sent; absent members stay as they are. Arrays replace "
        "the stored list. null clears a member; clearable: "
        + ", ".join(members)
        + ". Never cleared (required, or defaulted on create): "
        + ", ".join(fixed)
        + "."
    )


@cache
def interaction_json_schema(*, operation: str) -> dict[str, Any]:
    """One interaction of ``POST /candidates/{id}/interactions`` or the body of
    ``PATCH /interactions/{id}``. Not region-specific."""
    _check_operation(operation)
    return {
        "$schema": DIALECT,
        "title": f"Interaction {operation} payload",
        **_interaction_schema(operation),
    }


@cache
def attachments_json_schema() -> dict[str, Any]:
    """The body of ``POST /candidates/{id}/attachments``: up to 5 files per field, ≥ 1 file."""
    non_empty = {"type": "array", "minItems": 1}
    return {
        "$schema": DIALECT,
        "title": "Attachments payload",
        "type": "object",
        "properties": {member: _file_list_schema() for member in ATTACHMENT_MEMBERS},
        "additionalProperties": False,
        "anyOf": [{"required": [m], "properties": {m: non_empty}} for m in ATTACHMENT_MEMBERS],
        "$defs": {"attachmentInput": _attachment_input_schema()},
    }
