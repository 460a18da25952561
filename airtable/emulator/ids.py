"""Airtable-style identifiers and timestamps."""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, date, datetime, time

# Airtable ids are a 3-letter prefix followed by 14 alphanumerics (e.g. recAbc…, 17 chars).
ID_BODY_LENGTH = 14
# Hand-written ids in configs/fixtures are often slightly off in length; routing accepts them.
MIN_LENIENT_ID_BODY = 3
MAX_LENIENT_ID_BODY = 32
_ALPHABET = string.ascii_letters + string.digits

BASE_PREFIX = "app"
TABLE_PREFIX = "tbl"
FIELD_PREFIX = "fld"
RECORD_PREFIX = "rec"
VIEW_PREFIX = "viw"
ATTACHMENT_PREFIX = "att"
SELECT_CHOICE_PREFIX = "sel"
ITERATOR_PREFIX = "itr"
USER_PREFIX = "usr"


def new_id(prefix: str) -> str:
    """Return a fresh random id such as ``rec`` + 14 alphanumerics."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(ID_BODY_LENGTH))


def is_id(value: object, prefix: str) -> bool:
    """True when ``value`` is a well-formed id with the given prefix."""
    if not isinstance(value, str):
        return False
    return re.fullmatch(f"{prefix}[A-Za-z0-9]{{{ID_BODY_LENGTH}}}", value) is not None


def looks_like_base_id(value: object) -> bool:
    """Lenient check for routing: ``app`` + alphanumerics (real ids have exactly 14)."""
    return (
        isinstance(value, str)
        and re.fullmatch(
            rf"{BASE_PREFIX}[A-Za-z0-9]{{{MIN_LENIENT_ID_BODY},{MAX_LENIENT_ID_BODY}}}", value
        )
        is not None
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, exactly like Airtable returns."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    millis = moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def now_timestamp() -> str:
    """createdTime and last-modified values: whole seconds, as Airtable's responses show."""
    return format_timestamp(utc_now().replace(microsecond=0))


def parse_timestamp(text: str) -> datetime | None:
    """Parse an ISO 8601 date or datetime; naive values are taken as UTC.

    Returns None when the text is not a recognisable date/time.
    """
    candidate = text.strip()
    if not candidate:
        return None
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(candidate), time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
