"""``GET /api/v1/schema``: v1's own schema format (SPEC 14), from the same catalogue as v2.

Three parts — shared fields, interactions, the region's custom fields — each a list of
``{"fieldName", "fieldType", "required", "options"?, "fieldDescription"?}`` where ``fieldType``
is one of ``string``, ``number``, ``boolean``, ``array``, ``object``, ``objectArray``.
"""

from __future__ import annotations

from typing import Any

from regions.models import CustomField, Region

from ..fields import CUSTOM_FIELD_KINDS, INTERACTION_FIELDS, FieldSpec, Kind
from .names import V1_CUSTOM_FIELDS, V1_INPUT_FIELDS, V1_INTERACTIONS

V1_FIELD_TYPES = ("string", "number", "boolean", "array", "object", "objectArray")

_FIELD_TYPE = {
    Kind.BOOLEAN: "boolean",
    Kind.INTEGER: "number",
    Kind.NUMBER: "number",
    Kind.ENUM_LIST: "array",
    Kind.ATTACHMENTS: "objectArray",
}
# What v1's plain "string" cannot say about the value.
_FORMAT_NOTES = {
    Kind.EMAIL: "An email address.",
    Kind.PHONE: "A phone number, e.g. 06 12345678 or +31 6 12345678.",
    Kind.URI: "An http(s) URL.",
    Kind.DATE: "A date, YYYY-MM-DD.",
    Kind.DATETIME: "A date and time, RFC 3339 (2025-01-31T14:00:00Z).",
    Kind.POSTCODE: "A Dutch postcode, 1234 AB.",
    Kind.INTEGER: "A whole number.",
    Kind.ATTACHMENTS: (
        'Up to 5 files, each {"url": "https://…", "filename"?} or '
        '{"filename", "contentType", "base64"} (at most 5 MB).'
    ),
}


def _entry(
    name: str,
    kind: Kind,
    *,
    required: bool,
    options: tuple[str, ...] | list[str] = (),
    description: str = "",
    max_length: int | None = None,
) -> dict[str, Any]:
    notes = [description, _FORMAT_NOTES.get(kind, "")]
    if max_length:
        notes.append(f"At most {max_length} characters.")
    entry: dict[str, Any] = {
        "fieldName": name,
        "fieldType": _FIELD_TYPE.get(kind, "string"),
        "required": required,
    }
    if options:
        entry["options"] = list(options)
    text = " ".join(n for n in notes if n)
    if text:
        entry["fieldDescription"] = text
    return entry


def _spec_entry(spec: FieldSpec) -> dict[str, Any]:
    return _entry(
        spec.v1_name,
        spec.kind,
        required=spec.required_on_create,
        options=spec.options,
        description=spec.description,
        max_length=spec.max_length,
    )


def _custom_entry(definition: CustomField) -> dict[str, Any]:
    description = definition.label
    if definition.description:
        description = f"{definition.label}: {definition.description}"
    return _entry(
        definition.key,
        CUSTOM_FIELD_KINDS[definition.type],
        required=definition.required,
        options=definition.options or (),
        description=description,
    )


def v1_schema(*, region: Region) -> dict[str, Any]:
    """The region's create-user schema in v1 format."""
    custom = CustomField.objects.filter(region=region).order_by("position", "key")
    return {
        "sharedFields": [_spec_entry(spec) for spec in V1_INPUT_FIELDS],
        "interactions": {
            "fieldName": V1_INTERACTIONS,
            "fieldType": "objectArray",
            "fields": [_spec_entry(spec) for spec in INTERACTION_FIELDS],
        },
        "customFields": {
            "fieldName": V1_CUSTOM_FIELDS,
            "fieldType": "objectArray",
            "fieldDescription": (
                'Send as a list of {"field_name": <fieldName>, "field_value": <value>}.'
            ),
            "fields": [_custom_entry(d) for d in custom],
        },
    }
