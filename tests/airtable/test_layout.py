"""SPEC 11: the expected base layout, drift reports, bootstrap, and the two commands."""

from __future__ import annotations

import time
from collections.abc import Mapping
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from airtable.emulator import EmulatorServer
from airtable.gateway import KIND_PERMANENT, AirtableError, AirtableGateway
from airtable.layout import (
    DRIFT_MISSING_CHOICES,
    DRIFT_MISSING_FIELD,
    DRIFT_MISSING_TABLE,
    DRIFT_WRONG_LINK,
    DRIFT_WRONG_PRIMARY,
    DRIFT_WRONG_TYPE,
    BaseLayout,
    FieldLayout,
    TableLayout,
    layout_bootstrap,
    layout_drift,
)
from candidates.airtable_layout import build_base_layout
from candidates.fields import CANDIDATE_FIELDS, INTERACTION_FIELDS, PHASES
from regions.models import CustomField
from tests.factories import RegionFactory

from .conftest import TOKEN

PRODUCTION_BASE = "appProduction0001"
SANDBOX_BASE = "appSandbox0000001"
LOG_SETTLE_S = 0.1

LAYOUT = BaseLayout(
    tables=(
        TableLayout(
            "Personen",
            primary_field="Naam",
            fields=(
                FieldLayout("Naam", "singleLineText"),
                FieldLayout("Fase", "singleSelect", choices=("nieuw", "klaar")),
                FieldLayout("Actief", "checkbox"),
                FieldLayout("Gewijzigd", "lastModifiedTime"),
            ),
        ),
        TableLayout(
            "Notities",
            primary_field="Titel",
            fields=(
                FieldLayout("Persoon", "multipleRecordLinks", linked_table="Personen"),
                FieldLayout("Titel", "singleLineText"),
                FieldLayout("Datum", "dateTime", options={"timeZone": "Europe/Amsterdam"}),
            ),
        ),
    )
)


def table(name: str, *fields: dict[str, Any], table_id: str | None = None) -> dict[str, Any]:
    fields_with_ids = [{"id": f"fld{name[:3]}{i:011d}", **f} for i, f in enumerate(fields)]
    return {
        "id": table_id or f"tbl{name:0<14}"[:17],
        "name": name,
        "primaryFieldId": fields_with_ids[0]["id"],
        "fields": fields_with_ids,
    }


def choices(*names: str) -> dict[str, Any]:
    return {"choices": [{"id": f"sel{n}", "name": n, "color": "blueLight2"} for n in names]}


MATCHING_SCHEMA = [
    table(
        "Personen",
        {"name": "Naam", "type": "singleLineText"},
        {"name": "Fase", "type": "singleSelect", "options": choices("nieuw", "klaar", "extra")},
        {"name": "Actief", "type": "checkbox"},
        {"name": "Gewijzigd", "type": "lastModifiedTime"},
        {"name": "Eigen kolom van staf", "type": "multilineText"},
        table_id="tblPersonen00000",
    ),
    table(
        "Notities",
        {"name": "Titel", "type": "singleLineText"},
        {
            "name": "Persoon",
            "type": "multipleRecordLinks",
            "options": {"linkedTableId": "tblPersonen00000"},
        },
        {"name": "Datum", "type": "dateTime"},
    ),
]


# --------------------------------------------------------------------------- drift (pure)


def test_a_matching_base_has_no_drift_and_extras_are_fine():
    assert layout_drift(LAYOUT, MATCHING_SCHEMA) == []


def test_each_kind_of_drift_names_table_and_column():
    personen = table(
        "Personen",
        {"name": "Fase", "type": "singleSelect", "options": choices("nieuw")},
        {"name": "Naam", "type": "singleLineText"},
        {"name": "Actief", "type": "singleLineText"},
        {"name": "gewijzigd", "type": "lastModifiedTime"},
        table_id="tblPersonen00000",
    )
    notities_elsewhere = table(
        "Notities",
        {"name": "Titel", "type": "singleLineText"},
        {
            "name": "Persoon",
            "type": "multipleRecordLinks",
            "options": {"linkedTableId": "tblNotities00000"},
        },
        table_id="tblNotities00000",
    )

    drift = layout_drift(LAYOUT, [personen, notities_elsewhere])

    assert [(d.kind, d.table, d.field, d.message, d.fixable) for d in drift] == [
        (
            DRIFT_WRONG_PRIMARY,
            "Personen",
            "Naam",
            'Personen: primary field is "Fase", expected "Naam"',
            False,
        ),
        (
            DRIFT_MISSING_CHOICES,
            "Personen",
            "Fase",
            'Personen: column "Fase" lacks select options "klaar"',
            False,
        ),
        (
            DRIFT_WRONG_TYPE,
            "Personen",
            "Actief",
            'Personen: column "Actief" is singleLineText, expected checkbox',
            False,
        ),
        (
            DRIFT_MISSING_FIELD,
            "Personen",
            "Gewijzigd",
            'Personen: column "Gewijzigd" is missing (found "gewijzigd"; names must match exactly)',
            False,
        ),
        (
            DRIFT_WRONG_LINK,
            "Notities",
            "Persoon",
            'Notities: column "Persoon" links to "Notities", expected "Personen"',
            False,
        ),
        (
            DRIFT_MISSING_FIELD,
            "Notities",
            "Datum",
            'Notities: column "Datum" (dateTime) is missing',
            True,
        ),
    ]


def test_a_missing_table_is_one_fixable_line():
    drift = layout_drift(LAYOUT, MATCHING_SCHEMA[:1])

    assert [(d.kind, str(d), d.fixable) for d in drift] == [
        (DRIFT_MISSING_TABLE, 'Table "Notities" is missing', True)
    ]


def test_layouts_reject_what_airtable_cannot_hold():
    with pytest.raises(ValueError, match="primary"):
        TableLayout("T", (FieldLayout("A", "singleLineText"),), primary_field="B")
    with pytest.raises(ValueError, match="unique"):
        TableLayout(
            "T", (FieldLayout("A", "singleLineText"), FieldLayout("a", "email")), primary_field="A"
        )
    with pytest.raises(ValueError, match="linked_table"):
        FieldLayout("L", "multipleRecordLinks")
    with pytest.raises(ValueError, match="unknown table"):
        BaseLayout(
            (
                TableLayout(
                    "T",
                    (
                        FieldLayout("A", "singleLineText"),
                        FieldLayout("L", "multipleRecordLinks", linked_table="X"),
                    ),
                    primary_field="A",
                ),
            )
        )


# --------------------------------------------------------------------------- bootstrap


@pytest.fixture
def airtable_settings(airtable_settings, settings):
    """The shared gateway settings (conftest), without the rate limit: the emulator has none."""
    settings.AIRTABLE_REQUESTS_PER_S = 1000
    return settings


@pytest.fixture
def gateway(emulator: EmulatorServer) -> AirtableGateway:
    emulator.create_base("Leeg", [], base_id=PRODUCTION_BASE)
    return AirtableGateway(
        PRODUCTION_BASE,
        token=TOKEN,
        api_url=emulator.url,
        content_url=emulator.url,
        connect_timeout_s=2,
        read_timeout_s=10,
    )


def test_bootstrap_builds_an_empty_base_and_is_idempotent(
    gateway: AirtableGateway, emulator: EmulatorServer
):
    summary = layout_bootstrap(gateway, LAYOUT)

    assert summary.created_tables == ["Personen", "Notities"]
    assert summary.created_fields == ["Personen.Gewijzigd"]  # computed: added on its own
    assert summary.complete
    assert layout_drift(LAYOUT, gateway.schema()) == []
    [notities] = [t for t in gateway.schema() if t["name"] == "Notities"]
    assert notities["fields"][0]["name"] == "Titel"  # the primary field, sent first
    datum = next(f for f in notities["fields"] if f["name"] == "Datum")
    assert datum["options"]["timeZone"] == "Europe/Amsterdam"

    emulator.clear_log()
    again = layout_bootstrap(gateway, LAYOUT)

    assert (again.created_tables, again.created_fields, again.complete) == ([], [], True)
    time.sleep(LOG_SETTLE_S)  # the emulator logs each request just after answering it
    assert len(emulator.log_entries(PRODUCTION_BASE)) == 2  # read schema, re-check schema


def test_bootstrap_adds_missing_columns_but_reports_missing_options(
    gateway: AirtableGateway, emulator: EmulatorServer
):
    emulator.create_table(
        PRODUCTION_BASE,
        "Personen",
        [
            {"name": "Naam", "type": "singleLineText"},
            {"name": "Fase", "type": "singleSelect", "options": {"choices": [{"name": "nieuw"}]}},
        ],
    )

    summary = layout_bootstrap(gateway, LAYOUT)

    assert summary.created_tables == ["Notities"]
    assert summary.created_fields == ["Personen.Actief", "Personen.Gewijzigd"]
    assert [str(d) for d in summary.remaining] == [
        'Personen: column "Fase" lacks select options "klaar"'
    ]
    assert not summary.complete


class RefusesComputedFields:
    """Airtable's metadata API may refuse computed columns such as lastModifiedTime."""

    def __init__(self, gateway: AirtableGateway) -> None:
        self._gateway = gateway

    def schema(self) -> list[dict[str, Any]]:
        return self._gateway.schema()

    def create_table(
        self, name: str, fields: list[Mapping[str, Any]], description: str | None = None
    ) -> dict[str, Any]:
        return self._gateway.create_table(name, fields, description)

    def create_field(
        self,
        table_id: str,
        name: str,
        field_type: str,
        options: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        if field_type == "lastModifiedTime":
            raise AirtableError(
                kind=KIND_PERMANENT,
                status=422,
                error_type="UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
                message="Field type lastModifiedTime is not supported",
            )
        return self._gateway.create_field(table_id, name, field_type, options, description)


def test_a_refused_column_is_reported_and_the_rest_is_built(gateway: AirtableGateway):
    summary = layout_bootstrap(RefusesComputedFields(gateway), LAYOUT)

    assert summary.created_tables == ["Personen", "Notities"]
    assert summary.failed == [
        'Personen: column "Gewijzigd" (lastModifiedTime) could not be created: '
        "UNSUPPORTED_FIELD_TYPE_FOR_CREATE: Field type lastModifiedTime is not supported"
    ]
    assert [d.field for d in summary.remaining] == ["Gewijzigd"]


def test_bootstrap_paces_its_requests(gateway: AirtableGateway):
    waits: list[float] = []

    layout_bootstrap(gateway, LAYOUT, min_interval_s=0.2, sleep=waits.append)

    # schema, 2 × create table, 1 × create field, schema: four gaps to space out.
    assert len(waits) == 4
    assert all(0 < w <= 0.2 for w in waits)


# --------------------------------------------------------------------------- concrete layout


@pytest.mark.django_db
def test_the_concrete_layout_covers_the_catalogue_and_custom_fields():
    utrecht = RegionFactory(code="utrecht")
    amsterdam = RegionFactory(code="amsterdam")
    CustomField.objects.create(
        region=utrecht,
        key="driversLicence",
        label="Rijbewijs",
        type="enum",
        options=["ja", "nee"],
        airtable_column="Rijbewijs",
    )
    CustomField.objects.create(
        region=amsterdam,
        key="licence",
        label="Rijbewijs",
        type="enum",
        options=["nee", "misschien"],
        airtable_column="Rijbewijs",
    )
    CustomField.objects.create(
        region=amsterdam, key="hours", label="Uren", type="number", airtable_column="Uren per week"
    )

    layout = build_base_layout()

    kandidaten, interacties = layout.tables
    assert (kandidaten.name, kandidaten.primary_field) == ("Kandidaten", "Naam")
    assert (interacties.name, interacties.primary_field) == ("Interacties", "Onderwerp")
    columns = {f.name: f for f in kandidaten.fields}
    assert {s.column for s in CANDIDATE_FIELDS} <= set(columns)
    assert columns["Fase"].choices == PHASES
    assert columns["Regio"].type == "singleLineText"
    assert columns["Laatst gewijzigd"].type == "lastModifiedTime"
    assert columns["API Mutation Key"].type == "singleLineText"
    assert columns["Rijbewijs"].type == "singleSelect"
    assert columns["Rijbewijs"].choices == ("nee", "misschien", "ja")  # union, codes sorted
    assert columns["Uren per week"].type == "number"
    links = {f.name: f for f in interacties.fields}
    assert {s.column for s in INTERACTION_FIELDS} <= set(links)
    assert links["Kandidaat"].linked_table == "Kandidaten"
    assert {"Regio", "Laatst gewijzigd", "API Mutation Key"} <= set(links)


# --------------------------------------------------------------------------- commands


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_bootstrap_then_check_reports_no_drift(airtable_settings, emulator: EmulatorServer):
    region = RegionFactory(code="utrecht")
    CustomField.objects.create(
        region=region,
        key="driversLicence",
        label="Rijbewijs",
        type="enum",
        options=["ja", "nee"],
        airtable_column="Rijbewijs",
    )
    # Production is an existing empty base; the sandbox base does not exist yet (the
    # emulator creates it with its first table).
    emulator.create_base("Productie", [], base_id=PRODUCTION_BASE)

    bootstrapped = run("airtable_bootstrap")

    assert f"production ({PRODUCTION_BASE}): created Kandidaten, Interacties" in bootstrapped
    assert f"sandbox ({SANDBOX_BASE}): created Kandidaten, Interacties" in bootstrapped
    assert run("airtable_check") == (
        f"production ({PRODUCTION_BASE}): no drift\nsandbox ({SANDBOX_BASE}): no drift\n"
    )


@pytest.mark.django_db
def test_check_fails_naming_each_drifted_column(airtable_settings, emulator: EmulatorServer):
    region = RegionFactory(code="utrecht")
    licence = CustomField.objects.create(
        region=region,
        key="driversLicence",
        label="Rijbewijs",
        type="enum",
        options=["ja", "nee"],
        airtable_column="Rijbewijs",
    )
    run("airtable_bootstrap", "--environment", "production")
    # Staff rename a column in Airtable, and a region adds a choice to its custom field.
    emulator.store.update_field(PRODUCTION_BASE, "Kandidaten", "Telefoon", {"name": "Tel."})
    licence.options = ["ja", "nee", "misschien"]
    licence.save()

    out = StringIO()
    with pytest.raises(CommandError, match="drift: 2 problem"):
        call_command("airtable_check", "--environment", "production", stdout=out)

    assert out.getvalue().splitlines() == [
        f"production ({PRODUCTION_BASE}): 2 problem(s)",
        '  Kandidaten: column "Telefoon" (phoneNumber) is missing',
        '  Kandidaten: column "Rijbewijs" lacks select options "misschien"  [fix in Airtable]',
    ]
    # Bootstrap puts the column back but cannot add a select option.
    with pytest.raises(CommandError, match="still differ"):
        call_command("airtable_bootstrap", "--environment", "production", stdout=StringIO())
    with pytest.raises(CommandError, match="drift: 1 problem"):
        call_command("airtable_check", "--environment", "production", stdout=StringIO())


@pytest.mark.django_db
def test_conflicting_custom_columns_stop_both_commands(airtable_settings):
    CustomField.objects.create(
        region=RegionFactory(code="utrecht"),
        key="licence",
        label="Rijbewijs",
        type="boolean",
        airtable_column="Rijbewijs",
    )
    CustomField.objects.create(
        region=RegionFactory(code="amsterdam"),
        key="licence",
        label="Rijbewijs",
        type="string",
        airtable_column="Rijbewijs",
    )

    for command in ("airtable_bootstrap", "airtable_check"):
        with pytest.raises(CommandError, match='column "Rijbewijs"'):
            call_command(command, stdout=StringIO())


@pytest.mark.django_db
def test_check_fails_when_the_base_cannot_be_read(airtable_settings):
    with pytest.raises(CommandError, match="INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"):
        call_command("airtable_check", "--environment", "sandbox", stdout=StringIO())


@pytest.mark.django_db
def test_bootstrap_waits_for_airtable_only_as_long_as_asked(airtable_settings):
    airtable_settings.AIRTABLE_API_URL = "http://127.0.0.1:9"  # discard port: nothing listens

    with pytest.raises(CommandError, match=r"not reachable within 0\.3 s"):
        call_command("airtable_bootstrap", "--wait-s", "0.3", stdout=StringIO())
