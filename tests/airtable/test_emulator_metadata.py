"""Metadata API through pyairtable: bases, schema, create table/field, update field."""

from __future__ import annotations

import pytest
import requests
from pyairtable import Api
from pyairtable.models.schema import (
    LastModifiedTimeFieldSchema,
    MultipleRecordLinksFieldSchema,
    SingleSelectFieldSchema,
)

from airtable.emulator import EmulatorServer

from .conftest import http_error


def test_list_bases(api: Api, base_id: str) -> None:
    bases = api.bases(force=True)

    assert [(b.id, b.name) for b in bases] == [(base_id, "Onderwijsregio test")]


def test_schema_listing(api: Api, base_id: str) -> None:
    schema = api.base(base_id).schema(force=True)

    assert [t.name for t in schema.tables] == ["Kandidaten", "Interacties"]
    kandidaten = schema.table("Kandidaten")
    assert kandidaten.id.startswith("tbl")
    assert kandidaten.primary_field_id == kandidaten.field("Naam").id
    assert [f.name for f in kandidaten.fields] == [
        "Naam",
        "E-mail",
        "Telefoon",
        "Fase",
        "Sector",
        "Privacy consent",
        "Laatst gewijzigd",
        "API Mutation Key",
        "CV",
        "Interacties",  # the inverse link Airtable adds
    ]
    fase = kandidaten.field("Fase")
    assert isinstance(fase, SingleSelectFieldSchema)
    assert [(c.name, c.id[:3]) for c in fase.options.choices] == [
        ("nieuw", "sel"),
        ("matchen", "sel"),
    ]
    assert isinstance(kandidaten.field("Laatst gewijzigd"), LastModifiedTimeFieldSchema)
    link = schema.table("Interacties").field("Kandidaat")
    assert isinstance(link, MultipleRecordLinksFieldSchema)
    assert link.options.linked_table_id == kandidaten.id
    assert link.options.inverse_link_field_id == kandidaten.field("Interacties").id


def test_raw_schema_shape(emulator: EmulatorServer, base_id: str, http: requests.Session) -> None:
    response = http.get(f"{emulator.url}/v0/meta/bases/{base_id}/tables")

    table = response.json()["tables"][0]
    assert set(table) == {"id", "name", "primaryFieldId", "fields", "views"}
    assert table["fields"][0] == {
        "id": table["primaryFieldId"],
        "name": "Naam",
        "type": "singleLineText",
    }
    fase = next(f for f in table["fields"] if f["name"] == "Fase")
    assert set(fase["options"]["choices"][0]) == {"id", "name", "color"}
    assert table["views"][0]["type"] == "grid"


def test_create_table_and_field(api: Api, base_id: str) -> None:
    base = api.base(base_id)

    table = base.create_table(
        "Vacatures",
        [
            {"name": "Titel", "type": "singleLineText"},
            {"name": "Uren", "type": "number", "options": {"precision": 1}},
        ],
        description="Open posities",
    )
    field = table.create_field(
        "Status",
        "singleSelect",
        description="Fase van de vacature",
        options={"choices": [{"name": "open"}, {"name": "dicht"}]},
    )

    assert table.id.startswith("tbl")
    assert field.id.startswith("fld") and field.name == "Status"
    schema = base.schema(force=True).table("Vacatures")
    assert schema.description == "Open posities"
    assert schema.primary_field_id == schema.field("Titel").id
    assert [f.name for f in schema.fields] == ["Titel", "Uren", "Status"]
    assert schema.field("Status").description == "Fase van de vacature"
    record = table.create({"Titel": "Leraar", "Uren": 24.5, "Status": "open"})
    assert record["fields"] == {"Titel": "Leraar", "Uren": 24.5, "Status": "open"}


def test_duplicate_field_name_is_422(api: Api, base_id: str) -> None:
    table = api.table(base_id, "Kandidaten")

    with pytest.raises(requests.HTTPError) as excinfo:
        table.create_field("naam", "singleLineText")

    status, body = http_error(excinfo)
    assert status == 422
    assert body["error"]["type"] == "DUPLICATE_OR_EMPTY_FIELD_NAME"


def test_duplicate_table_name_is_422(api: Api, base_id: str) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        api.base(base_id).create_table("Kandidaten", [{"name": "X", "type": "singleLineText"}])
    assert http_error(excinfo)[1]["error"]["type"] == "DUPLICATE_TABLE_NAME"


def test_update_field_name_and_description(api: Api, base_id: str) -> None:
    schema = api.table(base_id, "Kandidaten").schema(force=True)
    field = schema.field("Telefoon")

    field.name = "Telefoonnummer"
    field.description = "Mobiel"
    field.save()

    refreshed = api.base(base_id).schema(force=True).table("Kandidaten").field(field.id)
    assert (refreshed.name, refreshed.description) == ("Telefoonnummer", "Mobiel")


def test_create_table_in_new_base_creates_it_implicitly(api: Api, emulator: EmulatorServer) -> None:
    new_base = "appNewBase0000001"

    api.base(new_base).create_table("Eerste", [{"name": "Naam", "type": "singleLineText"}])

    assert new_base in [b.id for b in api.bases(force=True)]
