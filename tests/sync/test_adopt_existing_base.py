"""Adopting a base regions already run (issue 18, SPEC 11): a base built in the emulator the way
staff build them — other table and column names, regions as linked records, staff-only columns
with values, a formula column — driven through docs/examples/layout-linked-regions.toml."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from airtable.models import SyncRun
from candidates.fields import INTERACTION_TYPES, PHASES, SECTORS
from candidates.layout_file import load_layout
from candidates.models import Candidate
from config.api.environment import PRODUCTION
from mutations.models import Mutation
from tests.airtable_stack import random_base_id
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db

LAYOUT = Path(__file__).resolve().parents[2] / "docs/examples/layout-linked-regions.toml"
STAFF_ONLY = {"Belstatus": "niet bereikt", "Opmerkingen team": "Terugbellen na de zomer"}
# A bounded stand-in for the tens of thousands of a real base; ADOPT_IMPORT_SIZE measures
# a larger run by hand (docs/airtable.md quotes one).
IMPORT_SIZE = int(os.environ.get("ADOPT_IMPORT_SIZE", "2400"))


def _choices(names) -> dict[str, Any]:
    return {"choices": [{"name": n} for n in names]}


class AdoptedBase:
    """The production base of the test, laid out as a region's own base."""

    def __init__(self, airtable) -> None:
        self.airtable = airtable
        self.emulator = airtable.emulator
        self.base_id = random_base_id()
        regions = self.emulator.create_table(
            self.base_id,
            "Regio's",
            [
                {"name": "Code", "type": "singleLineText"},
                {"name": "Naam regio", "type": "singleLineText"},
            ],
        )
        self.regions = {
            code: rec["id"]
            for code, rec in zip(
                ("utrecht", "noord"),
                self.emulator.store.create_records(
                    self.base_id,
                    "Regio's",
                    [{"Code": "utrecht", "Naam regio": "Utrecht"}, {"Code": "noord"}],
                ),
                strict=True,
            )
        }
        candidates = self.emulator.create_table(
            self.base_id,
            "Aanmeldingen",
            [
                {"name": "Volledige naam", "type": "singleLineText"},
                {"name": "E-mailadres", "type": "email"},
                {"name": "Mobiel", "type": "phoneNumber"},
                {"name": "Toestemming AVG", "type": "checkbox"},
                # Staff added an option of their own.
                {
                    "name": "Status",
                    "type": "singleSelect",
                    "options": _choices([*PHASES, "on hold"]),
                },
                {"name": "Sector", "type": "multipleSelects", "options": _choices(SECTORS)},
                {"name": "Notities", "type": "multilineText"},
                {"name": "Woonplaats", "type": "singleLineText"},
                {
                    "name": "Plaats (berekend)",
                    "type": "formula",
                    "options": {"formula": "UPPER({Woonplaats})"},
                },
                {"name": "Gearchiveerd", "type": "checkbox"},
                {
                    "name": "Onderwijsregio",
                    "type": "multipleRecordLinks",
                    "options": {"linkedTableId": regions["id"]},
                },
                {"name": "Laatst bewerkt", "type": "lastModifiedTime"},
                {
                    "name": "Belstatus",
                    "type": "singleSelect",
                    "options": _choices(["gebeld", "niet bereikt"]),
                },
                {"name": "Opmerkingen team", "type": "multilineText"},
            ],
        )
        self.emulator.create_table(
            self.base_id,
            "Contactmomenten",
            [
                {"name": "Onderwerp", "type": "singleLineText"},
                {"name": "Soort", "type": "singleSelect", "options": _choices(INTERACTION_TYPES)},
                {"name": "Verslag", "type": "multilineText"},
                {"name": "Medewerker", "type": "singleLineText"},
                {"name": "Datum", "type": "dateTime"},
                {
                    "name": "Aanmelding",
                    "type": "multipleRecordLinks",
                    "options": {"linkedTableId": candidates["id"]},
                },
                {"name": "Laatst bewerkt", "type": "lastModifiedTime"},
            ],
        )

    def records(self, table: str = "Aanmeldingen") -> list[dict[str, Any]]:
        return self.emulator.records(self.base_id, table)

    def add(self, rows: list[dict[str, Any]], table: str = "Aanmeldingen") -> list[str]:
        store = self.emulator.store
        return [r["id"] for r in store.create_records(self.base_id, table, rows)]

    def requests(self) -> list[dict[str, Any]]:
        return self.emulator.log_entries(self.base_id)


@pytest.fixture
def adopted(airtable, settings) -> AdoptedBase:
    base = AdoptedBase(airtable)
    settings.AIRTABLE_BASE_ID = base.base_id
    airtable.base_ids[PRODUCTION] = base.base_id
    return base


@pytest.fixture
def with_layout(adopted, settings) -> AdoptedBase:
    settings.AIRTABLE_LAYOUT_FILE = str(LAYOUT)
    out = io.StringIO()
    call_command("airtable_bootstrap", "--environment", "production", stdout=out)
    adopted.emulator.clear_log()
    return adopted


def _check(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("airtable_check", "--environment", "production", *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_the_sample_layout_file_loads():
    layout = load_layout(str(LAYOUT))
    assert layout.tables == {"Kandidaten": "Aanmeldingen", "Interacties": "Contactmomenten"}
    assert layout.region_link is not None and layout.region_link.table == "Regio's"
    assert layout.read_only_fields()["city"] == 'is read-only ("Plaats (berekend)")'


def test_check_fails_without_the_layout_and_passes_with_it_after_bootstrap(adopted, settings):
    ok, out = _check("--layout", "")
    assert not ok
    assert 'Table "Kandidaten" is missing' in out and 'Table "Interacties" is missing' in out

    ok, out = _check("--layout", str(LAYOUT))
    assert not ok  # the one column the platform needs is not there yet
    blockers = [" ".join(ln.split()) for ln in out.splitlines() if ln.strip().startswith("BLOCKER")]
    assert blockers == [
        'BLOCKER Kandidaten.mutationKey "API Mutation Key" missing, writable; missing',
        'BLOCKER Interacties.mutationKey "API Mutation Key" missing, writable; missing',
    ]

    out = io.StringIO()
    call_command(
        "airtable_bootstrap", "--environment", "production", "--layout", str(LAYOUT), stdout=out
    )
    assert "created API Mutation Key, API Mutation Key" in out.getvalue()
    writes = [e for e in adopted.requests() if e["method"] != "GET"]
    assert [e["path"].rsplit("/", 1)[-1] for e in writes] == ["fields", "fields"]

    ok, out = _check("--layout", str(LAYOUT))
    assert ok, out
    out = " ".join(out.split())
    assert 'Kandidaten.city "Plaats (berekend)" (formula), read-only' in out
    assert 'Kandidaten.region "Onderwijsregio" (multipleRecordLinks), writable' in out
    assert "Kandidaten.linkedin not mapped, not in base" in out


def test_check_names_a_formula_column_not_declared_read_only_and_missing_options(
    with_layout, tmp_path
):
    text = LAYOUT.read_text().replace(
        'city = { name = "Plaats (berekend)", read_only = true }', 'city = "Plaats (berekend)"'
    )
    text = text.replace("roles = false", 'roles = "Belstatus"')
    layout = tmp_path / "layout.toml"
    layout.write_text(text)

    ok, out = _check("--layout", str(layout))
    out = " ".join(out.split())

    assert not ok
    assert "Kandidaten.city" in out and "Airtable computes this column (formula)" in out
    assert 'Kandidaten.roles "Belstatus" (singleSelect)' in out
    assert "type singleSelect cannot hold multipleSelects" in out


def _staff_rows(n: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Hand-typed data: mixed phone notations, upper-case emails, duplicates, records without
    a region and with a phase option of the staff's own."""
    notations = ("06 1234 {:04d}", "+31 6-1234{:04d}", "0031 6 1234 {:04d}", "(06) 1234{:04d}")
    rows, expected = [], {"no_region": 0, "unknown_phase": 0}
    for i in range(n):
        row: dict[str, Any] = {
            "Volledige naam": f"Kandidaat {i}",
            "E-mailadres": f"Persoon.{i % (n - 50)}@Example.NL",  # 50 duplicates
            "Mobiel": notations[i % 4].format(i % 10000),
            "Status": PHASES[i % len(PHASES)],
            "Onderwijsregio": ["utrecht", "noord"][i % 2],
            **STAFF_ONLY,
        }
        if i % 97 == 0:
            del row["Onderwijsregio"]
            expected["no_region"] += 1
        elif i % 89 == 0:
            row["Status"] = "on hold"
            expected["unknown_phase"] += 1
        rows.append(row)
    return rows, expected


def test_the_first_full_sync_imports_everything_and_writes_nothing(with_layout, region):
    from tests.factories import RegionFactory

    RegionFactory(code="noord")
    rows, expected = _staff_rows(IMPORT_SIZE)
    links = with_layout.regions
    for row in rows:
        if "Onderwijsregio" in row:
            row["Onderwijsregio"] = [links[row["Onderwijsregio"]]]
    with_layout.add(rows)

    out = io.StringIO()
    call_command(
        "sync_airtable", "--full", "--environment", "production", "--no-progress", stdout=out
    )

    methods = {e["method"] for e in with_layout.requests()}
    assert methods == {"GET"}  # reads only: not a single write to the base
    placed = IMPORT_SIZE - expected["no_region"]
    assert Candidate.objects.count() == placed
    unplaced = expected["no_region"] + expected["unknown_phase"]
    assert f"{IMPORT_SIZE} records seen" in out.getvalue()
    assert f"{unplaced} records could not be placed" in out.getvalue()
    assert out.getvalue().count(": no region") == expected["no_region"]
    assert out.getvalue().count(": unknown phase option 'on hold'") == expected["unknown_phase"]
    sample = Candidate.objects.get(name="Kandidaat 1")
    assert (sample.email, sample.phone, sample.region.code) == (
        "persoon.1@example.nl",
        "+31612340001",
        "noord",
    )
    run = SyncRun.objects.get(mode="full")
    assert run.cursor["unplaced"]["count"] == unplaced


def test_the_unplaced_report_is_in_the_back_office(with_layout, region, admin_client):
    [record_id] = with_layout.add([{"Volledige naam": "Zonder regio", **STAFF_ONLY}])
    call_command("sync_airtable", "--full", "--environment", "production", "--no-progress")
    run = SyncRun.objects.get(mode="full")

    response = admin_client.get(f"/admin/airtable/syncrun/{run.pk}/change/")

    assert response.status_code == 200
    assert f"Kandidaten {record_id}: no region" in response.content.decode()


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    return record["fields"]


def test_api_writes_land_in_the_mapped_columns_and_leave_staff_columns_alone(
    with_layout, region, region_client, run_engine
):
    [staff_id] = with_layout.add(
        [
            {
                "Volledige naam": "Bestaand",
                "E-mailadres": "bestaand@example.nl",
                "Onderwijsregio": [with_layout.regions["utrecht"]],
                "Woonplaats": "Zeist",
                **STAFF_ONLY,
            }
        ]
    )
    person = candidate_body(name="Nieuw", email="nieuw@example.nl")
    response = region_client.post("/api/v2/candidates", {"candidates": [person]}, format="json")
    assert response.status_code == 202, response.content
    response = region_client.post(
        "/api/v2/candidates/upsert",
        {
            "name": "Bestaand",
            "email": "bestaand@example.nl",
            "privacyConsent": True,
            "phase": "matchen",
            "sectors": ["Primair onderwijs"],
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    run_engine()
    assert set(Mutation.objects.values_list("status", flat=True)) == {"succeeded"}

    by_name = {_fields(r)["Volledige naam"]: r for r in with_layout.records()}
    created = by_name["Nieuw"]
    assert _fields(created)["E-mailadres"] == "nieuw@example.nl"
    assert _fields(created)["Onderwijsregio"] == [with_layout.regions["utrecht"]]
    assert _fields(created)["Status"] == "nieuw"
    assert _fields(created)["API Mutation Key"].endswith(":0")
    assert "Regio" not in _fields(created) and "Naam" not in _fields(created)
    upserted = by_name["Bestaand"]
    assert upserted["id"] == staff_id
    assert (_fields(upserted)["Status"], _fields(upserted)["Sector"]) == (
        "matchen",
        ["Primair onderwijs"],
    )
    assert {k: _fields(upserted)[k] for k in STAFF_ONLY} == STAFF_ONLY
    assert _fields(upserted)["Plaats (berekend)"] == "ZEIST"
    mirrored = Candidate.objects.get(record_id=staff_id)
    assert (mirrored.phase, mirrored.city, mirrored.region.code) == ("matchen", "ZEIST", "utrecht")

    response = region_client.patch(
        f"/api/v2/candidates/{staff_id}", {"notes": "Gesproken"}, format="json"
    )
    assert response.status_code == 202
    run_engine()
    upserted = next(r for r in with_layout.records() if r["id"] == staff_id)
    assert _fields(upserted)["Notities"] == "Gesproken"
    assert {k: _fields(upserted)[k] for k in STAFF_ONLY} == STAFF_ONLY

    created_id = created["id"]
    assert region_client.delete(f"/api/v2/candidates/{created_id}").status_code == 202
    run_engine()
    assert [r["id"] for r in with_layout.records()] == [staff_id]
    assert len(with_layout.records("Regio's")) == 2  # the link never creates or deletes regions


def test_writes_to_read_only_or_unmapped_columns_are_refused_at_validation(
    with_layout, region, region_client
):
    person = {
        "name": "Nieuw",
        "email": "nieuw@example.nl",
        "privacyConsent": True,
        "linkedin": "https://www.linkedin.com/in/nieuw",
        "city": "Zeist",
    }

    response = region_client.post("/api/v2/candidates", {"candidates": [person]}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "candidates[0].city",
            "message": 'Cannot be written: its Airtable column is read-only ("Plaats (berekend)").',
        },
        {
            "field": "candidates[0].linkedin",
            "message": "Cannot be written: its Airtable column is not in this base.",
        },
    ]
    assert Mutation.objects.count() == 0


def test_a_column_given_by_field_id_survives_a_rename_by_staff(
    adopted, settings, tmp_path, region, region_client, run_engine
):
    table = next(
        t
        for t in adopted.emulator.store.base_schema(adopted.base_id)["tables"]
        if t["name"] == "Aanmeldingen"
    )
    email_id = next(f["id"] for f in table["fields"] if f["name"] == "E-mailadres")
    layout = tmp_path / "layout.toml"
    layout.write_text(
        LAYOUT.read_text().replace('email = "E-mailadres"', f'email = {{ id = "{email_id}" }}')
    )
    settings.AIRTABLE_LAYOUT_FILE = str(layout)
    call_command("airtable_bootstrap", "--environment", "production", stdout=io.StringIO())
    adopted.emulator.store.update_field(
        adopted.base_id, "Aanmeldingen", email_id, {"name": "Mailadres"}
    )

    person = candidate_body(name="Nieuw", email="nieuw@example.nl")
    region_client.post("/api/v2/candidates", {"candidates": [person]}, format="json")
    run_engine()

    [record] = adopted.records()
    assert record["fields"]["Mailadres"] == "nieuw@example.nl"
    assert Candidate.objects.get().email == "nieuw@example.nl"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[candidates.fields]\nshoeSize = "Schoenmaat"',
            "unknown Kandidaten field(s) ['shoeSize']",
        ),
        ("[candidates.fields]\nregion = false", "the platform needs this column"),
        (
            '[candidates.fields]\nmutationKey = { name = "K", read_only = true }',
            "cannot be read-only",
        ),
        ('[regions]\nstorage = "link"', 'storage = "link" needs table and code_column'),
        ("[vacatures]", "unknown section(s) ['vacatures']"),
        ("candidates = [", "cannot be parsed"),
    ],
)
def test_a_bad_layout_file_is_refused_with_a_clear_message(tmp_path, text, message):
    from candidates.layout_file import LayoutFileError

    path = tmp_path / "layout.toml"
    path.write_text(text)

    with pytest.raises(LayoutFileError) as excinfo:
        load_layout(str(path))

    assert message in str(excinfo.value) and str(path) in str(excinfo.value)


def test_the_same_layout_loads_from_json(tmp_path):
    import json
    import tomllib

    path = tmp_path / "layout.json"
    path.write_text(json.dumps(tomllib.loads(LAYOUT.read_text())))

    assert load_layout(str(path)).fields == load_layout(str(LAYOUT)).fields


def test_interaction_fields_the_base_lacks_are_refused_too(with_layout, region, region_client):
    person = {
        "name": "Nieuw",
        "email": "nieuw@example.nl",
        "privacyConsent": True,
        "interactions": [
            {"type": "Telefonisch", "performedAt": "2026-01-05T10:00:00Z", "summary": "Kort"}
        ],
    }

    response = region_client.post("/api/v2/candidates", {"candidates": [person]}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "candidates[0].interactions[0].summary",
            "message": "Cannot be written: its Airtable column is not in this base.",
        }
    ]


def test_an_interaction_lands_in_the_mapped_table_linked_to_its_candidate(
    with_layout, region, region_client, run_engine
):
    person = {
        "name": "Nieuw",
        "email": "nieuw@example.nl",
        "privacyConsent": True,
        "interactions": [
            {"type": "Telefonisch", "performedAt": "2026-01-05T10:00:00Z", "notes": "Gebeld"}
        ],
    }
    region_client.post("/api/v2/candidates", {"candidates": [person]}, format="json")
    run_engine()

    [candidate] = with_layout.records()
    [interaction] = with_layout.records("Contactmomenten")
    assert interaction["fields"]["Aanmelding"] == [candidate["id"]]
    assert (interaction["fields"]["Soort"], interaction["fields"]["Verslag"]) == (
        "Telefonisch",
        "Gebeld",
    )
    assert Candidate.objects.get().interactions.get().notes == "Gebeld"
