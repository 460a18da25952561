"""The validator: a payload checked against the very schema ``GET /schema`` publishes, plus the
server-side additions the package docstring lists, with every violation as an ``ErrorDetail``
in plain English (the admin translates the ``gettext_noop`` ones on the staff form)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_noop  # marks API messages the admin translates
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from config.api.errors import ErrorDetail, ValidationFailed
from regions.models import CustomField, Region

from ..fields import (
    ATTACHMENT_MEMBERS,
    INTERACTIONS_TABLE,
    is_valid_phone,
    normalize_email,
    normalize_phone,
    normalize_postcode,
)
from ..layout_file import configured_layout
from .build import (
    BASE64_PATTERN,
    DATETIME_PATTERN,
    EMAIL_PATTERN,
    HTTP_URL_PATTERN,
    HTTPS_URL_PATTERN,
    MAX_ATTACHMENT_BYTES,
    PHONE_PATTERN,
    POSTCODE_PATTERN,
    _check_operation,
)
from .compiled import _attachments_validator, _candidate_compiled, _interaction_validator

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
# The validator stops looking after this many violations (an answer lists at most
# MAX_ERROR_DETAILS of them): a 100 000-item array costs one violation, not 100 000.
MAX_VIOLATIONS_WALKED = 1000

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
