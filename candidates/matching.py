"""Who an upsert is about: the person staff already entered, found in Airtable when the mutation
runs (SPEC 5.3), whatever notation staff typed there.

Airtable's ``filterByFormula`` cannot parse phone numbers, so the query is deliberately broad
(emails trimmed and lower-cased; phones by the last digits of the national number, all
punctuation stripped) and Python decides on what comes back: emails compared normalised,
phones as one number by libphonenumber. Email wins over phone; among several records the
oldest (``createdTime``, then record id) wins, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import phonenumbers

from .fields import normalize_email, parse_phone, phone_digits

# Enough digits to tell numbers apart, few enough that any country's national number has them.
PHONE_TAIL_DIGITS = 9


def formula_string(value: str) -> str:
    """A string literal for ``filterByFormula`` (quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def phone_tail(phone: str) -> str | None:
    """The last digits of the national significant number, as any notation of it ends."""
    number = parse_phone(phone)
    if number is None:
        return None
    return phonenumbers.national_significant_number(number)[-PHONE_TAIL_DIGITS:]


def match_formula(
    *,
    region_code: str,
    email: str,
    phone: str | None,
    region_column: str,
    email_column: str,
    phone_column: str,
) -> str:
    """Records of the region that may be this person: a superset, narrowed by
    :func:`matched_ids`. Uses only ``LOWER``, ``TRIM``, ``RIGHT`` and ``REGEX_REPLACE``."""
    lookups = [f"LOWER(TRIM({{{email_column}}} & '')) = {formula_string(normalize_email(email))}"]
    tail = phone_tail(phone) if phone else None
    if tail:
        digits = f"REGEX_REPLACE({{{phone_column}}} & '', '[^0-9]', '')"
        lookups.append(f"RIGHT({digits}, {len(tail)}) = {formula_string(tail)}")
    region = f"{{{region_column}}} = {formula_string(region_code)}"
    return f"AND({region}, OR({', '.join(lookups)}))"


def _created(record: Mapping[str, Any]) -> tuple[datetime, str]:
    raw = str(record.get("createdTime") or "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(raw.replace("Z", "+00:00")), str(record["id"])


def matched_ids(
    records: Iterable[Mapping[str, Any]],
    *,
    email: str,
    phone: str | None,
    email_column: str,
    phone_column: str,
) -> list[str]:
    """Ids of the records that are this person, oldest first: those with the same email if
    any, else those with the same phone number. The first one is the upsert's target."""
    ordered = sorted(records, key=_created)
    wanted = normalize_email(email)
    by_email = [
        str(r["id"])
        for r in ordered
        if normalize_email(str(r.get("fields", {}).get(email_column) or "")) == wanted
    ]
    key = phone_digits(phone) if phone else None
    if by_email or not key:
        return by_email
    return [
        str(r["id"])
        for r in ordered
        if phone_digits(str(r.get("fields", {}).get(phone_column) or "")) == key
    ]
