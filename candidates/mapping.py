"""The one translation between API payloads, Airtable columns and mirror rows.

Pure functions, derived from the field catalogue (``candidates/fields.py``). The mirror services
use them now; the Mutation Engine and the sync jobs use the same functions, so a column name or
an empty-value convention lives in exactly one place.

Airtable omits empty fields from its responses, so an absent column means "empty". Writing
``None`` (``[]`` for lists, ``False`` for checkboxes) clears a column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from regions.models import CustomField

from .fields import (
    ATTACHMENT_MEMBERS,
    CANDIDATE_FIELDS,
    CANDIDATE_FIELDS_BY_NAME,
    COL_INTERACTION_CANDIDATE,
    COL_LAST_MODIFIED,
    COL_MUTATION_KEY,
    COL_REGION,
    CUSTOM_FIELD_KINDS,
    INTERACTION_FIELDS,
    INTERACTION_FIELDS_BY_NAME,
    Kind,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    phone_digits,
)

# Members of a candidate payload that are not Airtable columns of the candidate record: the
# engine creates interaction records and uploads files separately.
CANDIDATE_NON_COLUMN_MEMBERS = frozenset({"interactions", *ATTACHMENT_MEMBERS})
CUSTOM_FIELDS_MEMBER = "customFields"
INTERACTION_CANDIDATE_MEMBER = "candidateId"

_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def attribute_name(api_name: str) -> str:
    """The mirror model attribute of an API field: ``dateOfBirth`` → ``date_of_birth``."""
    return _CAMEL_HUMP.sub("_", api_name).lower()


CANDIDATE_ATTRIBUTES: dict[str, str] = {
    f.name: attribute_name(f.name) for f in CANDIDATE_FIELDS if f.kind is not Kind.ATTACHMENTS
}
INTERACTION_ATTRIBUTES: dict[str, str] = {
    f.name: attribute_name(f.name) for f in INTERACTION_FIELDS
}
ATTACHMENT_FIELDS = tuple(f for f in CANDIDATE_FIELDS if f.kind is Kind.ATTACHMENTS)


def airtable_clear_value(kind: Kind) -> Any:
    """What Airtable takes to empty a column of this kind."""
    if kind in (Kind.ENUM_LIST, Kind.ATTACHMENTS):
        return []
    if kind is Kind.BOOLEAN:
        return False
    return None


def _to_airtable(kind: Kind, value: Any) -> Any:
    if value is None:
        return airtable_clear_value(kind)
    if kind is Kind.ENUM_LIST:
        return list(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def candidate_to_airtable(
    payload: Mapping[str, Any], *, custom_fields: Sequence[CustomField]
) -> dict[str, Any]:
    """A validated candidate payload (API names) → Airtable columns.

    ``archived`` maps too (the engine's archive/unarchive). ``Regio`` and ``API Mutation Key``
    are the engine's to add. Custom field keys without a definition any more are dropped: the
    definition (and probably its column) went away after the payload was accepted.
    """
    by_key = {cf.key: cf for cf in custom_fields}
    columns: dict[str, Any] = {}
    for name, value in payload.items():
        if name in CANDIDATE_NON_COLUMN_MEMBERS:
            continue
        if name == CUSTOM_FIELDS_MEMBER:
            for key, custom_value in (value or {}).items():
                definition = by_key.get(key)
                if definition is not None:
                    kind = CUSTOM_FIELD_KINDS[definition.type]
                    columns[definition.airtable_column] = _to_airtable(kind, custom_value)
            continue
        spec = CANDIDATE_FIELDS_BY_NAME.get(name)
        if spec is None or spec.kind is Kind.ATTACHMENTS:
            raise ValueError(f"{name!r} is not a candidate column")
        columns[spec.column] = _to_airtable(spec.kind, value)
    return columns


def interaction_to_airtable(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A validated interaction payload (API names, optionally ``candidateId``) → columns."""
    columns: dict[str, Any] = {}
    for name, value in payload.items():
        if name == INTERACTION_CANDIDATE_MEMBER:
            columns[COL_INTERACTION_CANDIDATE] = [value] if value else []
            continue
        spec = INTERACTION_FIELDS_BY_NAME.get(name)
        if spec is None:
            raise ValueError(f"{name!r} is not an interaction column")
        columns[spec.column] = _to_airtable(spec.kind, value)
    return columns


def phone_lookup_key(value: str) -> str:
    """The indexed ``phone_digits`` key: E.164 digits when the number parses, else its digits,
    so ``+31 6-1234 5678``, ``0031612345678`` and ``06 12345678`` share one key."""
    if not value:
        return ""
    return phone_digits(value) or re.sub(r"\D", "", value)


# --- Airtable → mirror -----------------------------------------------------------------------


def parse_airtable_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _from_airtable(kind: Kind, raw: Any) -> Any:
    """A column value as the mirror stores it; ``raw`` is ``None`` when Airtable omitted it."""
    if raw is None or raw == "":
        if kind in (Kind.ENUM_LIST, Kind.ATTACHMENTS):
            return []
        if kind is Kind.BOOLEAN:
            return False
        if kind in (Kind.DATE, Kind.DATETIME, Kind.INTEGER, Kind.NUMBER):
            return None
        return ""
    match kind:
        case Kind.EMAIL:
            return normalize_email(str(raw))
        case Kind.PHONE:
            return normalize_phone(str(raw)) or str(raw).strip()
        case Kind.POSTCODE:
            return normalize_postcode(str(raw)) or str(raw).strip()
        case Kind.DATE:
            return date.fromisoformat(str(raw)[:10])
        case Kind.DATETIME:
            return parse_airtable_datetime(raw)
        case Kind.INTEGER:
            return int(raw)
        case Kind.BOOLEAN:
            return bool(raw)
        case Kind.ENUM_LIST:
            return [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]
    return raw


def _custom_value_from_airtable(kind: Kind, raw: Any) -> Any:
    """Custom fields are kept in API form (JSON), absent ones as their empty value."""
    if raw is None or raw == "":
        return airtable_clear_value(kind)
    if kind is Kind.ENUM_LIST:
        return [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]
    if kind is Kind.DATE:
        return str(raw)[:10]
    if kind is Kind.BOOLEAN:
        return bool(raw)
    return raw


def airtable_region_code(raw: Any) -> str:
    if isinstance(raw, list):  # a lookup or linked-record column gives a list
        raw = raw[0] if raw else ""
    return str(raw or "").strip()


def _attachments_from_airtable(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    attachments = []
    for spec in ATTACHMENT_FIELDS:
        for position, item in enumerate(fields.get(spec.column) or []):
            attachments.append(
                {
                    "attachment_id": item["id"],
                    "field": spec.name,
                    "filename": item.get("filename") or "",
                    "content_type": item.get("type") or "",
                    "size": item.get("size"),
                    "url": item.get("url") or "",
                    "position": position,
                }
            )
    return attachments


def candidate_from_airtable(
    record: Mapping[str, Any], *, custom_fields_by_column: Mapping[str, CustomField]
) -> dict[str, Any]:
    """A raw Airtable record (``{"id", "createdTime", "fields"}``) → mirror values.

    Returns the ``Candidate`` model field values (without ``region``), plus ``region_code`` (the
    ``Regio`` column) and ``attachments`` (``Attachment`` field values, in Airtable's order).
    ``custom_fields_by_column`` are the definitions of the record's region.
    """
    fields = record.get("fields") or {}
    created = parse_airtable_datetime(record["createdTime"])
    values: dict[str, Any] = {
        "record_id": record["id"],
        "region_code": airtable_region_code(fields.get(COL_REGION)),
        "airtable_created_at": created,
        "airtable_modified_at": parse_airtable_datetime(fields.get(COL_LAST_MODIFIED)) or created,
        "mutation_key": str(fields.get(COL_MUTATION_KEY) or ""),
    }
    for spec in CANDIDATE_FIELDS:
        if spec.kind is not Kind.ATTACHMENTS:
            values[CANDIDATE_ATTRIBUTES[spec.name]] = _from_airtable(
                spec.kind, fields.get(spec.column)
            )
    values["phone_digits"] = phone_lookup_key(values["phone"])
    values["custom_fields"] = {
        definition.key: _custom_value_from_airtable(
            CUSTOM_FIELD_KINDS[definition.type], fields.get(column)
        )
        for column, definition in custom_fields_by_column.items()
    }
    values["attachments"] = _attachments_from_airtable(fields)
    return values


def interaction_from_airtable(record: Mapping[str, Any]) -> dict[str, Any]:
    """A raw Airtable interaction record → ``Interaction`` field values (without ``region`` and
    ``candidate``), plus ``candidate_record_id`` from the ``Kandidaat`` link."""
    fields = record.get("fields") or {}
    created = parse_airtable_datetime(record["createdTime"])
    linked = fields.get(COL_INTERACTION_CANDIDATE) or []
    if isinstance(linked, str):
        linked = [linked]
    values: dict[str, Any] = {
        "record_id": record["id"],
        "candidate_record_id": linked[0] if linked else "",
        "airtable_created_at": created,
        "airtable_modified_at": parse_airtable_datetime(fields.get(COL_LAST_MODIFIED)) or created,
        "mutation_key": str(fields.get(COL_MUTATION_KEY) or ""),
    }
    for spec in INTERACTION_FIELDS:
        values[INTERACTION_ATTRIBUTES[spec.name]] = _from_airtable(
            spec.kind, fields.get(spec.column)
        )
    return values
