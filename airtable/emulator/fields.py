"""Field types: schema defaults, write validation (with typecast) and empty-value rules."""

from __future__ import annotations

import itertools
import math
import mimetypes
import posixpath
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import errors
from .ids import (
    ATTACHMENT_PREFIX,
    FIELD_PREFIX,
    RECORD_PREFIX,
    SELECT_CHOICE_PREFIX,
    format_timestamp,
    is_id,
    new_id,
    parse_timestamp,
)

TEXT_TYPES = frozenset(
    {"singleLineText", "multilineText", "richText", "email", "url", "phoneNumber", "barcode"}
)
NUMBER_TYPES = frozenset({"number", "currency", "percent", "rating", "duration"})
SELECT_TYPES = frozenset({"singleSelect", "multipleSelects"})
# Values of these are produced by Airtable itself; writes are rejected like Airtable does.
COMPUTED_TYPES = frozenset({"createdTime", "lastModifiedTime", "autoNumber", "formula"})
WRITABLE_TYPES = (
    TEXT_TYPES
    | NUMBER_TYPES
    | SELECT_TYPES
    | frozenset({"checkbox", "date", "dateTime", "multipleAttachments", "multipleRecordLinks"})
)
SUPPORTED_TYPES = WRITABLE_TYPES | COMPUTED_TYPES

# Airtable's palette names; new select choices cycle through them.
CHOICE_COLORS = (
    "blueLight2",
    "cyanLight2",
    "tealLight2",
    "greenLight2",
    "yellowLight2",
    "orangeLight2",
    "redLight2",
    "pinkLight2",
    "purpleLight2",
    "grayLight2",
)
ISO_DATE_FORMAT = {"name": "iso", "format": "YYYY-MM-DD"}
TIME_FORMAT_24H = {"name": "24hour", "format": "HH:mm"}
DATETIME_RESULT = {
    "type": "dateTime",
    "options": {"dateFormat": ISO_DATE_FORMAT, "timeFormat": TIME_FORMAT_24H, "timeZone": "utc"},
}
DEFAULT_NUMBER_PRECISION = 0
DEFAULT_CURRENCY_PRECISION = 2
DEFAULT_RATING_MAX = 5
CHECKBOX_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "checked", "on", "x"})
CHECKBOX_FALSE_WORDS = frozenset({"false", "0", "no", "n", "unchecked", "off", ""})
DEFAULT_ATTACHMENT_TYPE = "application/octet-stream"
# Uploaded/URL attachments get a URL on a look-alike host; the emulator never fetches URLs.
ATTACHMENT_URL_TEMPLATE = "https://v5.airtableusercontent.com/emulator/{att_id}/{filename}"


def default_options(field_type: str, options: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the options Airtable reports for a field, filling what the caller left out.

    pyairtable's schema models require some option keys (e.g. checkbox ``color``/``icon``),
    so the defaults matter for ``Base.schema()`` to parse.
    """
    given = dict(options or {})
    builders: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "checkbox": lambda o: {"color": "greenBright", "icon": "check", **o},
        "number": lambda o: {"precision": DEFAULT_NUMBER_PRECISION, **o},
        "percent": lambda o: {"precision": DEFAULT_NUMBER_PRECISION, **o},
        "currency": lambda o: {"precision": DEFAULT_CURRENCY_PRECISION, "symbol": "€", **o},
        "rating": lambda o: {
            "color": "yellowBright",
            "icon": "star",
            "max": DEFAULT_RATING_MAX,
            **o,
        },
        "duration": lambda o: {"durationFormat": "h:mm", **o},
        "date": lambda o: {"dateFormat": ISO_DATE_FORMAT, **o},
        "dateTime": lambda o: {
            "dateFormat": ISO_DATE_FORMAT,
            "timeFormat": TIME_FORMAT_24H,
            "timeZone": "utc",
            **o,
        },
        "multipleAttachments": lambda o: {"isReversed": False, **o},
        "multipleRecordLinks": lambda o: {
            "isReversed": False,
            "prefersSingleRecordLink": False,
            **o,
        },
        "lastModifiedTime": lambda o: {
            "isValid": True,
            "referencedFieldIds": [],
            "result": DATETIME_RESULT,
            **o,
        },
        "createdTime": lambda o: {"result": DATETIME_RESULT, **o},
        "singleSelect": _select_options,
        "multipleSelects": _select_options,
    }
    builder = builders.get(field_type)
    if builder is None:
        return given or None
    return builder(given)


def _select_options(options: dict[str, Any]) -> dict[str, Any]:
    choices = options.get("choices") or []
    if not isinstance(choices, list):
        raise errors.invalid_field_options("options.choices must be a list")
    normalized: list[dict[str, Any]] = []
    for index, choice in enumerate(choices):
        if isinstance(choice, str):
            choice = {"name": choice}
        if not isinstance(choice, dict) or not isinstance(choice.get("name"), str):
            raise errors.invalid_field_options("every choice needs a string name")
        normalized.append(
            {
                "id": choice.get("id") or new_id(SELECT_CHOICE_PREFIX),
                "name": choice["name"],
                "color": choice.get("color") or CHOICE_COLORS[index % len(CHOICE_COLORS)],
            }
        )
    return {**options, "choices": normalized}


def build_field(spec: dict[str, Any]) -> dict[str, Any]:
    """Validate a field spec from the metadata API and return the stored field dict."""
    name = spec.get("name")
    field_type = spec.get("type")
    if not isinstance(name, str) or not name.strip():
        raise errors.duplicate_field_name(str(name or ""))
    if field_type not in SUPPORTED_TYPES:
        raise errors.invalid_field_type(field_type)
    if field_type == "multipleRecordLinks" and not (spec.get("options") or {}).get("linkedTableId"):
        raise errors.invalid_field_options("multipleRecordLinks needs options.linkedTableId")
    stored: dict[str, Any] = {"id": new_id(FIELD_PREFIX), "name": name, "type": field_type}
    if spec.get("description"):
        stored["description"] = str(spec["description"])
    options = default_options(field_type, spec.get("options"))
    if options is not None:
        stored["options"] = options
    return stored


def is_empty(value: Any) -> bool:
    """Airtable omits these from ``fields`` in responses (and treats them as cleared)."""
    return value is None or value is False or value == "" or value == []


@dataclass
class WriteContext:
    """What value normalisation may need to know about the record and base being written."""

    typecast: bool
    # Current value of the field in the record being updated (for attachment ids reuse).
    current_value: Any = None
    link_exists: Callable[[str, str], bool] = lambda _table_id, _record_id: True
    # Select options to create if (and only if) the whole request succeeds.
    new_choices: dict[str, list[str]] = field(default_factory=dict)


def normalize_value(fld: dict[str, Any], value: Any, ctx: WriteContext) -> Any:
    """Validate ``value`` for field ``fld`` and return the stored form (None clears)."""
    field_type = fld["type"]
    if field_type in COMPUTED_TYPES:
        raise errors.computed_field(fld["name"])
    if value is None:
        return None
    normalizer = _NORMALIZERS[_normalizer_key(field_type)]
    return normalizer(fld, value, ctx)


def _normalizer_key(field_type: str) -> str:
    if field_type in TEXT_TYPES:
        return "text"
    if field_type in NUMBER_TYPES:
        return "number"
    return field_type


def _normalize_text(fld: dict[str, Any], value: Any, ctx: WriteContext) -> str | None:
    if isinstance(value, str):
        return value
    if ctx.typecast and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_to_text(value)
    if ctx.typecast and isinstance(value, list):
        return ", ".join(str(item) for item in value)
    raise errors.invalid_value_for_column(fld["name"])


def _number_to_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _normalize_number(fld: dict[str, Any], value: Any, ctx: WriteContext) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif ctx.typecast and isinstance(value, str):
        stripped = value.strip().replace(",", ".")
        if not stripped:
            return None
        try:
            number = float(stripped)
        except ValueError:
            raise errors.invalid_value_for_column(fld["name"]) from None
    else:
        raise errors.invalid_value_for_column(fld["name"])
    if not math.isfinite(number):
        raise errors.invalid_value_for_column(fld["name"])
    # JSON (JavaScript) has one number type: 3.0 is reported as 3.
    return int(number) if number.is_integer() else number


def _normalize_checkbox(fld: dict[str, Any], value: Any, ctx: WriteContext) -> bool:
    if isinstance(value, bool):
        return value
    if ctx.typecast and isinstance(value, (int, float)):
        return value != 0
    if ctx.typecast and isinstance(value, str):
        word = value.strip().lower()
        if word in CHECKBOX_TRUE_WORDS:
            return True
        if word in CHECKBOX_FALSE_WORDS:
            return False
    raise errors.invalid_value_for_column(fld["name"])


def _normalize_date(fld: dict[str, Any], value: Any, ctx: WriteContext) -> str | None:
    if not isinstance(value, str):
        raise errors.invalid_value_for_column(fld["name"])
    if not value.strip():
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise errors.invalid_value_for_column(fld["name"])
    return parsed.date().isoformat()


def _normalize_datetime(fld: dict[str, Any], value: Any, ctx: WriteContext) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Airtable also accepts epoch milliseconds for dateTime cells.
        return format_timestamp(datetime.fromtimestamp(value / 1000, tz=UTC))
    if not isinstance(value, str):
        raise errors.invalid_value_for_column(fld["name"])
    if not value.strip():
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise errors.invalid_value_for_column(fld["name"])
    return format_timestamp(parsed)


def _resolve_choice(fld: dict[str, Any], name: str, ctx: WriteContext) -> str:
    choices = fld.get("options", {}).get("choices", [])
    if any(choice["name"] == name for choice in choices):
        return name
    by_id = next((choice["name"] for choice in choices if choice["id"] == name), None)
    if by_id is not None:
        return by_id
    if not ctx.typecast:
        raise errors.invalid_select_option(name)
    pending = ctx.new_choices.setdefault(fld["id"], [])
    if name not in pending:
        pending.append(name)
    return name


def _normalize_single_select(fld: dict[str, Any], value: Any, ctx: WriteContext) -> str | None:
    if ctx.typecast and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _number_to_text(value)
    if not isinstance(value, str):
        raise errors.invalid_value_for_column(fld["name"])
    if value == "":
        return None
    return _resolve_choice(fld, value, ctx)


def _normalize_multiple_selects(fld: dict[str, Any], value: Any, ctx: WriteContext) -> list[str]:
    if ctx.typecast and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise errors.invalid_value_for_column(fld["name"])
    resolved = [_resolve_choice(fld, item, ctx) for item in value]
    return list(dict.fromkeys(resolved))  # Airtable drops duplicate selections


def _normalize_attachments(fld: dict[str, Any], value: Any, ctx: WriteContext) -> list[Any]:
    if not isinstance(value, list):
        raise errors.invalid_value_for_column(fld["name"])
    existing = {att["id"]: att for att in (ctx.current_value or []) if isinstance(att, dict)}
    result: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise errors.invalid_value_for_column(fld["name"], "expected attachment objects")
        if item.get("id") in existing:
            result.append(dict(existing[item["id"]]))
        elif isinstance(item.get("url"), str) and item["url"]:
            result.append(attachment_from_url(item["url"], item.get("filename")))
        else:
            raise errors.invalid_value_for_column(fld["name"], "attachment needs a url or id")
    return result


def attachment_from_url(url: str, filename: object = None) -> dict[str, Any]:
    """Build an attachment object without fetching ``url`` (the emulator has no network)."""
    if not isinstance(filename, str) or not filename:
        path = urllib.parse.urlsplit(url).path
        filename = posixpath.basename(path) or "attachment"
    return {
        "id": new_id(ATTACHMENT_PREFIX),
        "url": url,
        "filename": filename,
        "size": 0,
        "type": mimetypes.guess_type(filename)[0] or DEFAULT_ATTACHMENT_TYPE,
    }


def uploaded_attachment(filename: str, content_type: str, size: int) -> dict[str, Any]:
    att_id = new_id(ATTACHMENT_PREFIX)
    url = ATTACHMENT_URL_TEMPLATE.format(
        att_id=att_id, filename=urllib.parse.quote(filename, safe="")
    )
    return {"id": att_id, "url": url, "filename": filename, "size": size, "type": content_type}


def _normalize_links(fld: dict[str, Any], value: Any, ctx: WriteContext) -> list[str]:
    if ctx.typecast and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(is_id(item, RECORD_PREFIX) for item in value):
        raise errors.invalid_value_for_column(fld["name"], "Value is not an array of record IDs.")
    linked_table_id = fld["options"]["linkedTableId"]
    for record_id in value:
        if not ctx.link_exists(linked_table_id, record_id):
            raise errors.linked_row_does_not_exist(record_id, fld["name"])
    return list(dict.fromkeys(value))


_NORMALIZERS: dict[str, Callable[[dict[str, Any], Any, WriteContext], Any]] = {
    "text": _normalize_text,
    "number": _normalize_number,
    "checkbox": _normalize_checkbox,
    "date": _normalize_date,
    "dateTime": _normalize_datetime,
    "singleSelect": _normalize_single_select,
    "multipleSelects": _normalize_multiple_selects,
    "multipleAttachments": _normalize_attachments,
    "multipleRecordLinks": _normalize_links,
}


def add_choices(fld: dict[str, Any], names: list[str]) -> None:
    """Append new select options (used by typecast) with Airtable-like ids and colours."""
    choices = fld.setdefault("options", {}).setdefault("choices", [])
    colors = itertools.cycle(CHOICE_COLORS)
    for _ in range(len(choices)):
        next(colors)
    known = {choice["name"] for choice in choices}
    for name in names:
        if name in known:
            continue
        choices.append({"id": new_id(SELECT_CHOICE_PREFIX), "name": name, "color": next(colors)})
        known.add(name)
