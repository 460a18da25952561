"""filterByFormula: parser coverage (incl. pyairtable's builders) and filtering over HTTP."""

from __future__ import annotations

import datetime

import pytest
import requests
from pyairtable import Table
from pyairtable.formulas import (
    AND,
    EQ,
    GT,
    IS_AFTER,
    LAST_MODIFIED_TIME,
    NOT,
    OR,
    RECORD_ID,
    Field,
    match,
    to_formula_str,
)

from airtable.emulator.formula import Formula, FormulaError
from tests.clock import next_whole_second

from .conftest import http_error


@pytest.fixture
def people(kandidaten: Table) -> dict[str, str]:
    """Three Kandidaten; returns name → record id."""
    records = kandidaten.batch_create(
        [
            {
                "Naam": "Anna",
                "E-mail": "anna@example.nl",
                "Fase": "nieuw",
                "Sector": ["PO"],
                "Privacy consent": True,
            },
            {
                "Naam": "Bram",
                "E-mail": "Bram@Example.nl",
                "Fase": "matchen",
                "Sector": ["VO", "MBO"],
            },
            {"Naam": "Cor", "E-mail": "cor@example.nl", "API Mutation Key": "m-1"},
        ]
    )
    return {r["fields"]["Naam"]: r["id"] for r in records}


def names(table: Table, formula: object) -> list[str]:
    return sorted(r["fields"]["Naam"] for r in table.all(formula=formula))


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("{E-mail} = 'anna@example.nl'", ["Anna"]),
        ('{E-mail} = "anna@example.nl"', ["Anna"]),
        ("LOWER({E-mail}) = 'bram@example.nl'", ["Bram"]),
        ("{E-mail} = 'bram@example.nl'", []),  # comparisons are case-sensitive
        ("AND({Fase} = 'matchen', {Privacy consent} = FALSE())", ["Bram"]),
        ("OR({Naam} = 'Anna', {Naam} = 'Cor')", ["Anna", "Cor"]),
        ("NOT({Fase} = 'nieuw')", ["Bram", "Cor"]),
        ("{Privacy consent}", ["Anna"]),
        ("{Fase} = BLANK()", ["Cor"]),
        ("{Fase} = ''", ["Cor"]),
        ("FIND('VO', ARRAYJOIN({Sector}))", ["Bram"]),
        ("SEARCH('example.NL', {E-mail})", ["Anna", "Bram", "Cor"]),
        ("TRIM(UPPER({Naam}) & ' ') = 'COR'", ["Cor"]),
        ("{API Mutation Key} != ''", ["Cor"]),
        ("LEN({Naam}) > 3", ["Anna", "Bram"]),
        ("REGEX_MATCH({E-mail}, '^[ab]')", ["Anna"]),
    ],
)
def test_filter_by_formula(
    kandidaten: Table, people: dict[str, str], formula: str, expected: list[str]
) -> None:
    assert names(kandidaten, formula) == expected


def test_record_id_formula(kandidaten: Table, people: dict[str, str]) -> None:
    formula = EQ(RECORD_ID(), people["Bram"])

    assert names(kandidaten, formula) == ["Bram"]
    ids = ", ".join(f"RECORD_ID() = '{people[n]}'" for n in ("Anna", "Cor"))
    assert names(kandidaten, f"OR({ids})") == ["Anna", "Cor"]


def test_last_modified_time_comparisons(kandidaten: Table, people: dict[str, str]) -> None:
    next_whole_second()  # the update's whole-second stamp is after the boundary
    boundary = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    next_whole_second()
    kandidaten.update(people["Bram"], {"Fase": "nieuw"})
    stamp = boundary.strftime("%Y-%m-%dT%H:%M:%S.") + f"{boundary.microsecond // 1000:03d}Z"

    assert names(kandidaten, f"IS_AFTER(LAST_MODIFIED_TIME(), '{stamp}')") == ["Bram"]
    after_2026 = boundary > datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert names(kandidaten, "IS_AFTER(LAST_MODIFIED_TIME(), '2026-01-01T00:00:00.000Z')") == (
        ["Anna", "Bram", "Cor"] if after_2026 else []
    )
    assert names(kandidaten, f"{{Laatst gewijzigd}} > '{stamp}'") == ["Bram"]
    assert names(kandidaten, f"{{Laatst gewijzigd}} <= '{stamp}'") == ["Anna", "Cor"]
    assert names(kandidaten, f"IS_BEFORE({{Laatst gewijzigd}}, '{stamp}')") == ["Anna", "Cor"]
    assert names(kandidaten, "IS_AFTER({Laatst gewijzigd}, '2000-01-01')") == [
        "Anna",
        "Bram",
        "Cor",
    ]


def test_pyairtable_formula_builders(kandidaten: Table, people: dict[str, str]) -> None:
    assert names(kandidaten, match({"Naam": "Anna", "Fase": "nieuw"})) == ["Anna"]
    assert names(
        kandidaten, match({"Naam": "Anna", "E-mail": "cor@example.nl"}, match_any=True)
    ) == ["Anna", "Cor"]
    assert names(kandidaten, AND(EQ(Field("Fase"), "matchen"), NOT(Field("Privacy consent")))) == [
        "Bram"
    ]
    assert names(kandidaten, OR(Naam="Cor", Fase="nieuw")) == ["Anna", "Cor"]
    assert names(kandidaten, GT(LAST_MODIFIED_TIME(), datetime.datetime(2000, 1, 1))) == [
        "Anna",
        "Bram",
        "Cor",
    ]
    assert names(kandidaten, IS_AFTER(Field("Laatst gewijzigd"), datetime.date(2000, 1, 1))) == [
        "Anna",
        "Bram",
        "Cor",
    ]


def test_syntax_error_is_422(kandidaten: Table, people: dict[str, str]) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.all(formula="AND({Naam} = 'x'")

    assert http_error(excinfo) == (
        422,
        {
            "error": {
                "type": "INVALID_FILTER_BY_FORMULA",
                "message": "The formula for filtering records is invalid:"
                " Invalid formula. Please check your formula text.",
            }
        },
    )


def test_unknown_field_or_function_in_formula_is_422(
    kandidaten: Table, people: dict[str, str]
) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.all(formula="{Onbekend} = 1")
    assert http_error(excinfo)[1]["error"]["message"].endswith("Unknown field names: Onbekend")

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.all(formula="DOE_IETS({Naam})")
    assert http_error(excinfo)[1]["error"]["type"] == "INVALID_FILTER_BY_FORMULA"


@pytest.mark.parametrize(
    "formula",
    [
        to_formula_str(EQ(Field("Guest's Name"), 'Jane\'s \\ "quote"')),
        to_formula_str(match({"Age": (">=", 21), "Score": 3.5, "Ok": True})),
        to_formula_str(AND(EQ(Field("a}b"), datetime.date(2024, 1, 2)), Field("x"))),
        to_formula_str(EQ(Field("When"), datetime.datetime(2024, 1, 2, 3, 4, 5))),
        "IF({a} > 1, 'yes', 'no') = 'yes'",
        "DATETIME_DIFF(NOW(), CREATED_TIME(), 'days') >= 0",
        "DATEADD({When}, 1, 'months') > TODAY()",
        "-{x} * (2 + 3) / 4 <> 1",
        "{a} & \"\\n\" & 'b'",
    ],
)
def test_parser_accepts(formula: str) -> None:
    Formula(formula)


@pytest.mark.parametrize(
    "formula", ["", "{a} = ", "{a", "'open", "AND(", "1 2", "{} = 1", "NOT()", "x", "{a} == 1"]
)
def test_parser_rejects(formula: str) -> None:
    with pytest.raises(FormulaError):
        Formula(formula)
