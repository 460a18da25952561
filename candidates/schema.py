"""The region's JSON Schema (draft 2020-12) for candidate payloads, and the validator (SPEC 4.5).

Both come from one place: the schema is generated from the field catalogue and the region's
custom field definitions, and the validator runs that very schema through
``Draft202012Validator`` with the format checker on. A payload the published schema accepts is
therefore accepted by the API, with these server-side additions, each stated in the schema's
descriptions because JSON Schema cannot express them:

* ``dateOfBirth`` must not be in the future (Dutch calendar date);
* ``phone`` must be a *valid* number for its country (libphonenumber's ``is_valid_number``,
  default region NL); the schema's pattern admits the notations, libphonenumber decides per
  country plan;
* an inline ``base64`` file must decode to at most 5 MB (the schema's ``maxLength`` is the
  encoded bound, which allows up to one byte more).

Cross-item rules (the same email or phone twice in one create request) belong to the request,
not to one candidate's payload; ``candidates/apis/write.py`` checks them and says so in the
request body's description.

URIs are checked by ``pattern``: jsonschema enforces ``format: uri`` only with the optional
``rfc3987`` package, and the verdict must not depend on what happens to be installed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db.models import Count, Max
from django.utils.translation import gettext_noop  # marks API messages the admin translates
from jsonschema import Draft202012Validator
from jsonschema import validators as jsonschema_validators
from jsonschema.exceptions import ValidationError as SchemaError

from config.api.errors import ErrorDetail, ValidationFailed
from regions.models import CustomField, Region

from .fields import (
    ATTACHMENT_MEMBERS,
    CREATE_DEFAULTS,
    CUSTOM_FIELD_KINDS,
    INTERACTION_FIELDS,
    INTERACTIONS_TABLE,
    MAX_TEXT,
    WRITABLE_CANDIDATE_FIELDS,
    FieldSpec,
    Kind,
    is_valid_phone,
    normalize_email,
    normalize_phone,
    normalize_postcode,
)
from .layout_file import configured_layout

logger = structlog.get_logger(__name__)

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
PATTERN_MESSAGES = {
    EMAIL_PATTERN: gettext_noop("Not a valid email address."),
    PHONE_PATTERN: gettext_noop(
        "Not a valid phone number: use 06 12345678, +31 6 12345678 or 0031612345678."
    ),
    POSTCODE_PATTERN: gettext_noop("Not a valid Dutch postcode (1234 AB)."),
    HTTP_URL_PATTERN: gettext_noop("Not a valid http(s) URL."),
    HTTPS_URL_PATTERN: gettext_noop("Not a valid https URL."),
    DATETIME_PATTERN: gettext_noop("Not a valid date-time (RFC 3339, e.g. 2025-01-31T14:00:00Z)."),
    BASE64_PATTERN: gettext_noop("Not valid base64 (standard alphabet, padded, no line breaks)."),
}
PHONE_NOT_VALID = "Not a valid phone number for its country."
FORMAT_MESSAGES = {
    "email": gettext_noop("Not a valid email address."),
    "date": gettext_noop("Not a valid date (YYYY-MM-DD)."),
    "date-time": PATTERN_MESSAGES[DATETIME_PATTERN],
    "uri": gettext_noop("Not a valid URL."),
}
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# The validator stops looking after this many violations (an answer lists at most
# MAX_ERROR_DETAILS of them): a 100 000-item array costs one violation, not 100 000.
MAX_VIOLATIONS_WALKED = 1000
SCHEMA_CACHE_TIMEOUT_S = 24 * 3600
_LOCAL_VALIDATORS_MAX = 256


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


# --- caching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    schema: dict[str, Any]
    validator: Draft202012Validator


_local: dict[str, _Compiled] = {}


@cache
def _generator_fingerprint() -> str:
    """Changes when this module generates a different schema (a deploy), so cached schemas of
    the previous code are not served."""
    probe = Region(code="probe")
    generated = [
        build_candidate_json_schema(region=probe, custom_fields=(), operation=op)
        for op in OPERATIONS
    ]
    return hashlib.sha256(json.dumps(generated, sort_keys=True).encode()).hexdigest()[:12]


def _custom_fields_version(region: Region) -> str:
    """Changes whenever a definition of the region is added, edited or removed."""
    stats = CustomField.objects.filter(region=region).aggregate(
        n=Count("id"), latest=Max("updated_at")
    )
    latest = stats["latest"].timestamp() if stats["latest"] else 0
    return f"{stats['n']}.{latest:.6f}"


def _shared_cache_get(key: str) -> Any:
    # The shared cache is Redis: an outage must cost a rebuild, never a failed request.
    try:
        return django_cache.get(key)
    except Exception:  # redis-py raises its own ConnectionError/TimeoutError
        logger.warning("candidates.schema_cache_unavailable")
        return None


def _shared_cache_set(key: str, schema: dict[str, Any]) -> None:
    try:
        django_cache.set(key, schema, SCHEMA_CACHE_TIMEOUT_S)
    except Exception:
        logger.warning("candidates.schema_cache_unavailable")


def _compiled(key: str, build: Any) -> _Compiled:
    compiled = _local.get(key)
    if compiled is None:
        schema = _shared_cache_get(key)
        if schema is None:
            schema = build()
            _shared_cache_set(key, schema)
        compiled = _Compiled(schema, BoundedValidator(schema, format_checker=FORMAT_CHECKER))
        if len(_local) >= _LOCAL_VALIDATORS_MAX:
            _local.clear()
        _local[key] = compiled
    return compiled


def _candidate_compiled(region: Region, operation: str) -> _Compiled:
    _check_operation(operation)
    key = (
        f"candidates:schema:{_generator_fingerprint()}:{region.pk}:{operation}:"
        f"{_custom_fields_version(region)}"
    )
    return _compiled(
        key,
        lambda: build_candidate_json_schema(
            region=region,
            custom_fields=CustomField.objects.filter(region=region),
            operation=operation,
        ),
    )


def candidate_json_schema(*, region: Region, operation: str) -> dict[str, Any]:
    """The region's schema for ``operation`` (``create`` | ``update``), cached per region and
    operation under a key that changes with the region's custom field definitions."""
    return _candidate_compiled(region, operation).schema


# --- validation ------------------------------------------------------------------------------

_TYPE_NAMES = {
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
}


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: SchemaError) -> str:
    value = error.validator_value
    match error.validator:
        case "type":
            types = [value] if isinstance(value, str) else value
            return "Must be " + " or ".join(_TYPE_NAMES.get(t, t) for t in types) + "."
        case "enum":
            return (
                "Must be one of: "
                + ", ".join(json.dumps(v, ensure_ascii=False) for v in value)
                + "."
            )
        case "const":
            return f"Must be {json.dumps(value)}."
        case "format":
            return FORMAT_MESSAGES.get(value, error.message)
        case "pattern":
            return PATTERN_MESSAGES.get(value, gettext_noop("Has the wrong format."))
        case "minLength":
            return (
                gettext_noop("Must not be empty.")
                if value == 1
                else f"Must be at least {value} characters."
            )
        case "maxLength":
            return f"Must be at most {value} characters."
        case "minItems":
            return f"Must have at least {value} item{'s' if value != 1 else ''}."
        case "maxItems":
            return f"Must have at most {value} items."
        case "uniqueItems":
            return gettext_noop("Must not repeat an item.")
        case "minimum":
            return f"Must be at least {value}."
        case "maximum":
            return f"Must be at most {value}."
        case "minProperties":
            return gettext_noop("Send at least one field.")
        case "anyOf" if not error.absolute_path:
            return "Send at least one file in " + " or ".join(ATTACHMENT_MEMBERS) + "."
    return error.message


def _skipped_over_max_items(keyword: str) -> Any:
    """``keyword`` (items, uniqueItems) as in draft 2020-12, except that an array already longer
    than its ``maxItems`` is not walked: ``maxItems`` reports it, in constant time."""
    check = Draft202012Validator.VALIDATORS[keyword]

    def bounded(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        limit = schema.get("maxItems")
        if limit is not None and validator.is_type(instance, "array") and len(instance) > limit:
            return
        yield from check(validator, value, instance, schema)

    return bounded


# Same verdict as Draft202012Validator (maxItems still fails the array); fewer, cheaper errors.
BoundedValidator = jsonschema_validators.extend(
    Draft202012Validator,
    {keyword: _skipped_over_max_items(keyword) for keyword in ("items", "uniqueItems")},
)


def _schema_details(validator: Draft202012Validator, payload: Any) -> list[ErrorDetail]:
    details: list[ErrorDetail] = []
    for error in validator.iter_errors(payload):
        if len(details) >= MAX_VIOLATIONS_WALKED:
            break
        parent = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            details += [
                ErrorDetail(_path([*parent, name]), "This field is required.")
                for name in error.validator_value
                if name not in error.instance
            ]
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            details += [
                ErrorDetail(_path([*parent, name]), "Unknown field.")
                for name in error.instance
                if name not in known
            ]
        else:
            details.append(ErrorDetail(_path(parent), _message(error)))
    return details


def _raise_if(details: list[ErrorDetail]) -> None:
    if details:
        unique = sorted(set(details), key=lambda d: (d.field, d.message))
        raise ValidationFailed(details=unique)


def _base64_size(encoded: str) -> int:
    return len(encoded) // 4 * 3 - (len(encoded) - len(encoded.rstrip("=")))


def _file_details(payload: Mapping[str, Any], failed: set[str]) -> list[ErrorDetail]:
    details = []
    for member in ATTACHMENT_MEMBERS:
        files = payload.get(member)
        if not isinstance(files, list):
            continue
        for index, item in enumerate(files):
            field = f"{member}[{index}].base64"
            encoded = item.get("base64") if isinstance(item, dict) else None
            if (
                isinstance(encoded, str)
                and field not in failed
                and _base64_size(encoded) > MAX_ATTACHMENT_BYTES
            ):
                details.append(ErrorDetail(field, "Must be at most 5 MB once decoded."))
    return details


def _today_nl() -> Any:
    return datetime.now(ZoneInfo(settings.TIME_ZONE)).date()


def _server_side_details(payload: Any, failed: set[str]) -> list[ErrorDetail]:
    if not isinstance(payload, dict):
        return []
    details = []
    birth = payload.get("dateOfBirth")
    if isinstance(birth, str) and "dateOfBirth" not in failed and birth > _today_nl().isoformat():
        details.append(ErrorDetail("dateOfBirth", "Must not be in the future."))
    phone = payload.get("phone")
    if isinstance(phone, str) and "phone" not in failed and not is_valid_phone(phone):
        details.append(ErrorDetail("phone", PHONE_NOT_VALID))
    return details + _file_details(payload, failed)


def validate_candidate(*, region: Region, operation: str, payload: Any) -> dict[str, Any]:
    """Check ``payload`` against the region's schema (plus the server-side checks listed in the
    module docstring) and return it normalised: email trimmed and lower-cased, phone in E.164,
    postcode as ``1234 AB``. Create defaults are not added here: the engine applies them when
    it creates a record (``fields.CREATE_DEFAULTS``), so an upsert that finds the person never
    resets what is already there. Raises ``ValidationFailed`` listing every
    violation, with field paths such as ``customFields.shoeSize`` or ``interactions[0].type``.
    """
    compiled = _candidate_compiled(region, operation)
    details = _schema_details(compiled.validator, payload)
    details += _server_side_details(payload, {d.field for d in details})
    details += _layout_refusals(region, payload)
    _raise_if(details)
    normalised = dict(payload)
    if isinstance(normalised.get("email"), str):
        normalised["email"] = normalize_email(normalised["email"])
    if isinstance(normalised.get("phone"), str):
        normalised["phone"] = normalize_phone(normalised["phone"])
    if isinstance(normalised.get("postalCode"), str):
        normalised["postalCode"] = normalize_postcode(normalised["postalCode"])
    return normalised


def _layout_refusals(region: Region, payload: Any) -> list[ErrorDetail]:
    """Fields the base's layout file maps to a column the platform may not write (a formula,
    lookup, rollup…) or does not map at all (SPEC 11): refused here, never sent to Airtable."""
    layout = configured_layout()
    if layout is None or not isinstance(payload, dict):
        return []
    refused = layout.read_only_fields()
    details = [
        ErrorDetail(name, f"Cannot be written: its Airtable column {refused[name]}.")
        for name in payload
        if name in refused
    ]
    interactions = payload.get("interactions")
    for index, interaction in enumerate(interactions if isinstance(interactions, list) else []):
        details += _interaction_layout_refusals(interaction, f"interactions[{index}].")
    custom = payload.get("customFields")
    if isinstance(custom, dict) and custom:
        columns = dict(
            CustomField.objects.filter(region=region).values_list("key", "airtable_column")
        )
        for key in custom:
            why = refused.get(f"custom:{columns.get(key)}")
            if why:
                details.append(
                    ErrorDetail(
                        f"customFields.{key}", f"Cannot be written: its Airtable column {why}."
                    )
                )
    return details


@cache
def _interaction_validator(operation: str) -> Draft202012Validator:
    return BoundedValidator(
        interaction_json_schema(operation=operation), format_checker=FORMAT_CHECKER
    )


@cache
def _attachments_validator() -> Draft202012Validator:
    return BoundedValidator(attachments_json_schema(), format_checker=FORMAT_CHECKER)


def validate_interaction(*, operation: str, payload: Any) -> dict[str, Any]:
    """Check one interaction payload against :func:`interaction_json_schema`."""
    _check_operation(operation)
    details = _schema_details(_interaction_validator(operation), payload)
    _raise_if(details + _interaction_layout_refusals(payload))
    return dict(payload)


def _interaction_layout_refusals(payload: Any, prefix: str = "") -> list[ErrorDetail]:
    layout = configured_layout()
    if layout is None or not isinstance(payload, dict):
        return []
    refused = layout.read_only_fields(INTERACTIONS_TABLE)
    return [
        ErrorDetail(f"{prefix}{name}", f"Cannot be written: its Airtable column {refused[name]}.")
        for name in payload
        if name in refused
    ]


def validate_attachments(*, payload: Any) -> dict[str, Any]:
    """Check the body of ``POST /candidates/{id}/attachments`` (and decoded file sizes)."""
    details = _schema_details(_attachments_validator(), payload)
    if isinstance(payload, dict):
        details += _file_details(payload, {d.field for d in details})
    _raise_if(details)
    return dict(payload)
