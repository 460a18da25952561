"""SPEC 5.3 upsert matching: the filterByFormula sent to Airtable (evaluated by the emulator's
formula engine, as Airtable would) is broad enough to find every notation staff type, and the
Python side decides: one number, email before phone, oldest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from airtable.emulator.formula import Formula
from candidates.matching import match_formula, matched_ids, phone_tail

COLUMNS = {"region_column": "Regio", "email_column": "E-mail", "phone_column": "Telefoon"}
NOTATIONS = [
    "+31612345678",
    "06 12345678",
    "06-12345678",
    "(06) 123 456 78",
    "+31 6 1234 5678",
    "+31 (0)6 12345678",
    "0031612345678",
    "0612345678",
]


@dataclass
class Row:
    """One Airtable record as the emulator's formula engine sees it."""

    fields: dict[str, Any]
    record_id: str = "recAAAAAAAAAAAAAA"
    created_time: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def field_value(self, name: str) -> Any:
        return self.fields.get(name)

    def last_modified_time(self, field_names: Any) -> datetime | None:
        return None


def _formula(email: str = "anna@example.nl", phone: str | None = "+31612345678") -> Formula:
    return Formula(match_formula(region_code="utrecht", email=email, phone=phone, **COLUMNS))


@pytest.mark.parametrize("typed", NOTATIONS)
def test_the_formula_finds_a_phone_in_any_notation_staff_typed(typed):
    row = Row({"Regio": "utrecht", "E-mail": "other@example.nl", "Telefoon": typed})
    assert _formula().matches(row)


@pytest.mark.parametrize("typed", [" Anna@Example.NL ", "ANNA@EXAMPLE.NL", "anna@example.nl"])
def test_the_formula_finds_an_email_whatever_its_case_and_spaces(typed):
    assert _formula(phone=None).matches(Row({"Regio": "utrecht", "E-mail": typed}))


def test_the_formula_stays_within_the_region_and_the_person():
    assert not _formula().matches(Row({"Regio": "amsterdam", "E-mail": "anna@example.nl"}))
    assert not _formula().matches(
        Row({"Regio": "utrecht", "E-mail": "bram@example.nl", "Telefoon": "06 87654321"})
    )
    assert not _formula(phone=None).matches(Row({"Regio": "utrecht", "Telefoon": "0612345678"}))


def test_quotes_in_an_email_cannot_break_out_of_the_formula():
    row = Row({"Regio": "utrecht", "E-mail": "o'brien@example.nl"})
    assert _formula(email="o'brien@example.nl", phone=None).matches(row)
    assert not _formula(email="x' , TRUE()) & '@example.nl", phone=None).matches(
        Row({"Regio": "utrecht", "E-mail": "someone@example.nl"})
    )


def test_phone_tail_is_the_end_of_the_national_number():
    assert phone_tail("+31612345678") == "612345678"
    assert phone_tail("+354 123 4567") == "1234567"  # shorter national numbers whole
    assert phone_tail("not a number") is None


def _record(record_id: str, created: str, **fields: str) -> dict[str, Any]:
    return {"id": record_id, "createdTime": created, "fields": fields}


def test_email_wins_then_oldest_first():
    records = [
        _record("recC", "2026-03-01T00:00:00.000Z", **{"E-mail": "ANNA@example.nl "}),
        _record("recB", "2026-02-01T00:00:00.000Z", **{"Telefoon": "06 12345678"}),
        _record("recA", "2026-04-01T00:00:00.000Z", **{"E-mail": "anna@example.nl"}),
        _record("recD", "2026-03-01T00:00:00.000Z", **{"E-mail": "anna@example.nl"}),
    ]
    found = matched_ids(records, email="anna@example.nl", phone="+31612345678", **_columns())
    assert found == ["recC", "recD", "recA"]  # same createdTime: by record id


def test_without_an_email_match_the_phone_decides_as_one_number():
    records = [
        _record("recA", "2026-02-01T00:00:00.000Z", **{"Telefoon": "0031 6 12 34 56 78"}),
        _record("recB", "2026-01-01T00:00:00.000Z", **{"Telefoon": "(06) 123 456 78"}),
        # The same last nine digits in another country: the formula lets it through, Python not.
        _record("recC", "2025-01-01T00:00:00.000Z", **{"Telefoon": "+32 612 34 56 78"}),
    ]
    found = matched_ids(records, email="nieuw@example.nl", phone="06-12345678", **_columns())
    assert found == ["recB", "recA"]
    assert matched_ids(records, email="nieuw@example.nl", phone=None, **_columns()) == []


def _columns() -> dict[str, str]:
    return {"email_column": "E-mail", "phone_column": "Telefoon"}
