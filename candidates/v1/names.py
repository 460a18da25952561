"""API v1 ⇄ v2 names (SPEC 14), derived from the one field catalogue (``FieldSpec.v1_name``).

v1 speaks Dutch snake_case (``naam``, ``privacy_consent``), sends interactions as
``interacties`` and custom fields as a list of ``{"field_name", "field_value"}``. Inbound, a v1
body becomes a v2 candidate payload that the v2 validator checks; the v2 validator's field
paths are then renamed back, so a v1 client reads ``privacy_consent`` and
``interacties[0].soort`` in its errors. Outbound, a v2 record is renamed the same way.
Enum values are the same Dutch values in both versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from config.api.errors import ErrorDetail

from ..fields import CANDIDATE_FIELDS, INTERACTION_FIELDS, Kind

V1_INTERACTIONS = "interacties"
V1_CUSTOM_FIELDS = "custom_fields"
V1_CUSTOM_NAME, V1_CUSTOM_VALUE = "field_name", "field_value"
UNKNOWN_FIELD = "Unknown field."  # the v2 validator's words, kept for v1

# Read-only members of a v1 record that are not catalogue fields.
V1_RECORD_EXTRAS = {
    "id": "id",
    "region": "regio",
    "createdAt": "aangemaakt_op",
    "updatedAt": "gewijzigd_op",
    "candidateId": "kandidaat_id",
}

CANDIDATE_V2_TO_V1: dict[str, str] = {
    **{spec.name: spec.v1_name for spec in CANDIDATE_FIELDS},
    "interactions": V1_INTERACTIONS,
    "customFields": V1_CUSTOM_FIELDS,
}
INTERACTION_V2_TO_V1: dict[str, str] = {spec.name: spec.v1_name for spec in INTERACTION_FIELDS}
# Inbound: what a client may send on create (files too: they are added inline, as in v2).
V1_INPUT_FIELDS = tuple(s for s in CANDIDATE_FIELDS if s.writable or s.kind is Kind.ATTACHMENTS)
CANDIDATE_V1_TO_V2: dict[str, str] = {spec.v1_name: spec.name for spec in V1_INPUT_FIELDS}
INTERACTION_V1_TO_V2: dict[str, str] = {v1: v2 for v2, v1 in INTERACTION_V2_TO_V1.items()}

_PATH_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(.*)$")
_INTERACTION_REST = re.compile(r"^(\[\d+\])\.([A-Za-z]+)(.*)$")


@dataclass
class Translated:
    """A v1 body as a v2 candidate payload, with what could not be translated."""

    payload: dict[str, Any]
    details: list[ErrorDetail] = field(default_factory=list)
    custom_positions: dict[str, int] = field(default_factory=dict)  # v2 key → v1 list index


def _interaction_from_v1(item: Any, prefix: str, out: Translated) -> Any:
    if not isinstance(item, dict):
        return item  # the v2 validator reports the type, at the same position
    translated = {}
    for name, value in item.items():
        if name in INTERACTION_V1_TO_V2:
            translated[INTERACTION_V1_TO_V2[name]] = value
        else:
            out.details.append(ErrorDetail(f"{prefix}.{name}", UNKNOWN_FIELD))
    return translated


def _custom_fields_from_v1(items: Any, out: Translated) -> dict[str, Any] | None:
    if not isinstance(items, list):
        message = f'Must be a list of {{"{V1_CUSTOM_NAME}", "{V1_CUSTOM_VALUE}"}} objects.'
        out.details.append(ErrorDetail(V1_CUSTOM_FIELDS, message))
        return None
    values: dict[str, Any] = {}
    for index, item in enumerate(items):
        prefix = f"{V1_CUSTOM_FIELDS}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get(V1_CUSTOM_NAME), str):
            message = f'Must be {{"{V1_CUSTOM_NAME}": <string>, "{V1_CUSTOM_VALUE}": <value>}}.'
            out.details.append(ErrorDetail(prefix, message))
            continue
        unknown = sorted(set(item) - {V1_CUSTOM_NAME, V1_CUSTOM_VALUE})
        out.details += [ErrorDetail(f"{prefix}.{name}", UNKNOWN_FIELD) for name in unknown]
        if V1_CUSTOM_VALUE not in item:
            required = ErrorDetail(f"{prefix}.{V1_CUSTOM_VALUE}", "This field is required.")
            out.details.append(required)
            continue
        name = item[V1_CUSTOM_NAME]
        if name in values:
            out.details.append(ErrorDetail(f"{prefix}.{V1_CUSTOM_NAME}", "Given twice."))
            continue
        values[name] = item[V1_CUSTOM_VALUE]
        out.custom_positions[name] = index
    return values


def candidate_from_v1(body: dict[str, Any]) -> Translated:
    """Rename a v1 create-user body to a v2 upsert body; unknown members become details."""
    out = Translated(payload={})
    for name, value in body.items():
        if name in CANDIDATE_V1_TO_V2:
            out.payload[CANDIDATE_V1_TO_V2[name]] = value
        elif name == V1_INTERACTIONS:
            items = value
            if isinstance(value, list):
                items = [
                    _interaction_from_v1(item, f"{V1_INTERACTIONS}[{index}]", out)
                    for index, item in enumerate(value)
                ]
            out.payload["interactions"] = items
        elif name == V1_CUSTOM_FIELDS:
            custom = _custom_fields_from_v1(value, out)
            if custom is not None:
                out.payload["customFields"] = custom
        else:
            out.details.append(ErrorDetail(name, UNKNOWN_FIELD))
    return out


def _interaction_path_to_v1(rest: str) -> str:
    match = _INTERACTION_REST.match(rest)
    if not match:
        return rest
    position, name, tail = match.groups()
    return f"{position}.{INTERACTION_V2_TO_V1.get(name, name)}{tail}"


def detail_to_v1(detail: ErrorDetail, custom_positions: dict[str, int]) -> ErrorDetail:
    """A v2 validation detail with its field path in v1 terms."""
    match = _PATH_HEAD.match(detail.field)
    if not match:
        return detail
    head, rest = match.groups()
    if head == "customFields" and rest.startswith("."):
        key, _, tail = rest[1:].partition(".")
        key, bracket, index_tail = key.partition("[")
        tail = f"[{index_tail}" if bracket else (f".{tail}" if tail else "")
        if key in custom_positions:
            member = V1_CUSTOM_NAME if detail.message == UNKNOWN_FIELD else V1_CUSTOM_VALUE
            path = f"{V1_CUSTOM_FIELDS}[{custom_positions[key]}].{member}{tail}"
            return ErrorDetail(path, detail.message)
        return ErrorDetail(V1_CUSTOM_FIELDS, f'"{key}": {detail.message}')
    if head == "interactions":
        return ErrorDetail(V1_INTERACTIONS + _interaction_path_to_v1(rest), detail.message)
    return ErrorDetail(CANDIDATE_V2_TO_V1.get(head, head) + rest, detail.message)


def interaction_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    return {INTERACTION_V2_TO_V1.get(k) or V1_RECORD_EXTRAS.get(k, k): v for k, v in data.items()}


def record_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A v2 candidate (as ``CandidateRenderer`` renders it) in v1 names."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "customFields":
            out[V1_CUSTOM_FIELDS] = [
                {V1_CUSTOM_NAME: k, V1_CUSTOM_VALUE: v} for k, v in (value or {}).items()
            ]
        elif name == "interactions":
            out[V1_INTERACTIONS] = [interaction_to_v1(i) for i in value or []]
        else:
            out[CANDIDATE_V2_TO_V1.get(name) or V1_RECORD_EXTRAS.get(name, name)] = value
    return out
