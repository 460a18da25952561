"""Record CRUD through pyairtable against the emulator: limits, validation, semantics."""

from __future__ import annotations

import re

import pytest
import requests
from pyairtable import Api, Table

from airtable.emulator import EmulatorServer
from tests.clock import next_whole_second

from .conftest import http_error

ISO_MS_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def test_create_returns_airtable_shaped_record(kandidaten: Table) -> None:
    record = kandidaten.create(
        {
            "Naam": "Jan Jansen",
            "E-mail": "jan@example.nl",
            "Fase": "nieuw",
            "Sector": ["PO", "VO"],
            "Privacy consent": True,
        }
    )

    assert set(record) == {"id", "createdTime", "fields"}
    assert record["id"].startswith("rec") and len(record["id"]) == 17
    assert record["fields"] == {
        "Naam": "Jan Jansen",
        "E-mail": "jan@example.nl",
        "Fase": "nieuw",
        "Sector": ["PO", "VO"],
        "Privacy consent": True,
        "Laatst gewijzigd": record["createdTime"],
    }
    assert kandidaten.get(record["id"]) == record


def test_created_time_and_last_modified_are_iso_with_milliseconds(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "A"})

    assert re.match(ISO_MS_Z, record["createdTime"])
    assert re.match(ISO_MS_Z, record["fields"]["Laatst gewijzigd"])


def test_empty_values_are_omitted(kandidaten: Table) -> None:
    record = kandidaten.create(
        {"Naam": "Leeg", "E-mail": "", "Sector": [], "Privacy consent": False, "Telefoon": None}
    )

    assert record["fields"] == {"Naam": "Leeg", "Laatst gewijzigd": record["createdTime"]}


def test_eleven_records_in_one_request_is_rejected(
    emulator: EmulatorServer, base_id: str, http: requests.Session, kandidaten: Table
) -> None:
    body = {"records": [{"fields": {"Naam": f"K{i}"}} for i in range(11)]}

    response = http.post(f"{emulator.url}/v0/{base_id}/Kandidaten", json=body)

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "type": "INVALID_RECORDS",
            "message": "You can create at most 10 records per request, got 11",
        }
    }
    assert kandidaten.all() == []


def test_pyairtable_batch_create_chunks_into_tens(
    emulator: EmulatorServer, base_id: str, kandidaten: Table
) -> None:
    created = kandidaten.batch_create([{"Naam": f"K{i}"} for i in range(11)])

    assert len(created) == 11
    summary = emulator.log_summary(base_id)
    assert summary["max_batch_size"] == 10
    assert summary["records_written"] == 11


def test_batch_update_of_eleven_records_is_rejected(
    emulator: EmulatorServer, base_id: str, http: requests.Session, kandidaten: Table
) -> None:
    ids = [r["id"] for r in kandidaten.batch_create([{"Naam": f"K{i}"} for i in range(11)])]
    body = {"records": [{"id": rid, "fields": {"Fase": "nieuw"}} for rid in ids]}

    response = http.patch(f"{emulator.url}/v0/{base_id}/Kandidaten", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "INVALID_RECORDS"


def test_patch_merges_and_put_replaces(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Piet", "E-mail": "piet@example.nl", "Fase": "nieuw"})

    patched = kandidaten.update(record["id"], {"Fase": "matchen"})
    assert patched["fields"]["Naam"] == "Piet"
    assert patched["fields"]["E-mail"] == "piet@example.nl"
    assert patched["fields"]["Fase"] == "matchen"

    replaced = kandidaten.update(record["id"], {"Naam": "Piet P."}, replace=True)
    assert replaced["fields"] == {
        "Naam": "Piet P.",
        "Laatst gewijzigd": replaced["fields"]["Laatst gewijzigd"],
    }


def test_batch_update_and_unknown_record_id(kandidaten: Table) -> None:
    first, second = kandidaten.batch_create([{"Naam": "A"}, {"Naam": "B"}])

    updated = kandidaten.batch_update(
        [
            {"id": first["id"], "fields": {"Fase": "nieuw"}},
            {"id": second["id"], "fields": {"Fase": "matchen"}},
        ]
    )
    assert [r["fields"]["Fase"] for r in updated] == ["nieuw", "matchen"]

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.batch_update(
            [
                {"id": first["id"], "fields": {"Naam": "changed"}},
                {"id": "recAAAAAAAAAAAAAA", "fields": {"Naam": "ghost"}},
            ]
        )
    assert http_error(excinfo) == (
        422,
        {
            "error": {
                "type": "ROW_DOES_NOT_EXIST",
                "message": "Record ID recAAAAAAAAAAAAAA does not exist in this table",
            }
        },
    )
    # The batch is atomic: the valid first record was not changed either.
    assert kandidaten.get(first["id"])["fields"]["Naam"] == "A"


def test_update_single_unknown_record_is_404(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.update("recAAAAAAAAAAAAAA", {"Naam": "x"})
    assert http_error(excinfo) == (
        404,
        {"error": {"type": "MODEL_ID_NOT_FOUND", "message": "Record not found"}},
    )


def test_get_unknown_record_is_404(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.get("recAAAAAAAAAAAAAA")
    assert http_error(excinfo) == (
        404,
        {"error": {"type": "MODEL_ID_NOT_FOUND", "message": "Record not found"}},
    )


def test_unknown_table_and_base(api: Api, base_id: str) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        api.table(base_id, "Bestaat niet").all()
    status, body = http_error(excinfo)
    assert status == 403
    assert body["error"]["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"

    with pytest.raises(requests.HTTPError) as excinfo:
        api.table("appAAAAAAAAAAAAAA", "Kandidaten").all()
    assert http_error(excinfo)[0] == 403


def test_table_by_id_works_like_by_name(api: Api, base_id: str, kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Via naam"})
    by_id = api.table(base_id, kandidaten.schema().id)

    assert by_id.get(record["id"]) == record


def test_delete_single_and_batch(kandidaten: Table) -> None:
    records = kandidaten.batch_create([{"Naam": n} for n in ("A", "B", "C")])

    assert kandidaten.delete(records[0]["id"]) == {"id": records[0]["id"], "deleted": True}
    assert kandidaten.batch_delete([records[1]["id"], records[2]["id"]]) == [
        {"id": records[1]["id"], "deleted": True},
        {"id": records[2]["id"], "deleted": True},
    ]
    assert kandidaten.all() == []

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.delete(records[0]["id"])
    assert http_error(excinfo)[0] == 404


def test_unknown_field_name(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "X", "Geboortedatum": "2000-01-01"})

    assert http_error(excinfo) == (
        422,
        {"error": {"type": "UNKNOWN_FIELD_NAME", "message": 'Unknown field name: "Geboortedatum"'}},
    )


def test_unknown_select_option_is_rejected(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "X", "Fase": "geplaatst"})

    assert http_error(excinfo) == (
        422,
        {
            "error": {
                "type": "INVALID_MULTIPLE_CHOICE_OPTIONS",
                "message": 'Insufficient permissions to create new select option ""geplaatst""',
            }
        },
    )
    assert kandidaten.all() == []


def test_unknown_multiple_select_option_is_rejected(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "X", "Sector": ["PO", "HBO"]})
    status, body = http_error(excinfo)
    assert (status, body["error"]["type"]) == (422, "INVALID_MULTIPLE_CHOICE_OPTIONS")


def test_typecast_creates_select_option_visible_in_metadata(
    api: Api, base_id: str, kandidaten: Table
) -> None:
    record = kandidaten.create({"Naam": "X", "Fase": "geplaatst", "Sector": ["HBO"]}, typecast=True)

    assert record["fields"]["Fase"] == "geplaatst"
    schema = api.base(base_id).schema(force=True).table("Kandidaten")
    fase_choices = [c.name for c in schema.field("Fase").options.choices]
    sector_choices = [c.name for c in schema.field("Sector").options.choices]
    assert fase_choices == ["nieuw", "matchen", "geplaatst"]
    assert sector_choices == ["PO", "VO", "MBO", "HBO"]
    new_choice = schema.field("Fase").options.choices[-1]
    assert new_choice.id.startswith("sel") and new_choice.color


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"Privacy consent": "ja"}, "Privacy consent"),
        ({"Sector": "PO"}, "Sector"),
        ({"Naam": 12}, "Naam"),
        ({"Fase": ["nieuw"]}, "Fase"),
        ({"CV": "https://example.com/cv.pdf"}, "CV"),
    ],
)
def test_wrong_value_types_are_rejected(
    kandidaten: Table, fields: dict[str, object], field_name: str
) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "X", **fields})

    status, body = http_error(excinfo)
    assert status == 422
    assert body["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"
    assert body["error"]["message"].startswith(f'Field "{field_name}" cannot accept')


def test_number_field_rejects_text_unless_typecast(interacties: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        interacties.create({"Onderwerp": "x", "Aantal": "drie"})
    assert http_error(excinfo)[1]["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"

    record = interacties.create({"Onderwerp": "x", "Aantal": "3"}, typecast=True)
    assert record["fields"]["Aantal"] == 3


def test_computed_fields_are_read_only(kandidaten: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "X", "Laatst gewijzigd": "2026-01-01T00:00:00.000Z"})

    assert http_error(excinfo) == (
        422,
        {
            "error": {
                "type": "INVALID_VALUE_FOR_COLUMN",
                "message": 'Field "Laatst gewijzigd" cannot accept a value'
                " because the field is computed",
            }
        },
    )


def test_last_modified_changes_only_on_real_changes(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "A", "Fase": "nieuw"})
    stamp = record["fields"]["Laatst gewijzigd"]

    same = kandidaten.update(record["id"], {"Fase": "nieuw"})
    assert same["fields"]["Laatst gewijzigd"] == stamp

    next_whole_second()  # timestamps have whole-second resolution, like Airtable's
    changed = kandidaten.update(record["id"], {"Fase": "matchen"})
    assert changed["fields"]["Laatst gewijzigd"] > stamp


def test_attachment_by_url_is_stored_without_fetching(kandidaten: Table) -> None:
    record = kandidaten.create(
        {
            "Naam": "X",
            "CV": [
                {"url": "https://files.example.com/docs/cv-jan.pdf"},
                {"url": "https://files.example.com/raw", "filename": "foto.png"},
            ],
        }
    )

    first, second = record["fields"]["CV"]
    assert first["id"].startswith("att")
    assert first == {
        "id": first["id"],
        "url": "https://files.example.com/docs/cv-jan.pdf",
        "filename": "cv-jan.pdf",
        "size": 0,
        "type": "application/pdf",
    }
    assert (second["filename"], second["type"]) == ("foto.png", "image/png")

    kept = kandidaten.update(record["id"], {"CV": [{"id": second["id"]}]})
    assert kept["fields"]["CV"] == [second]


def test_linked_records_and_inverse_link(kandidaten: Table, interacties: Table) -> None:
    kandidaat = kandidaten.create({"Naam": "Jan"})
    interactie = interacties.create(
        {"Onderwerp": "Intake", "Kandidaat": [kandidaat["id"]], "Datum": "2026-03-01T10:00:00Z"}
    )

    assert interactie["fields"]["Kandidaat"] == [kandidaat["id"]]
    assert interactie["fields"]["Datum"] == "2026-03-01T10:00:00.000Z"
    assert kandidaten.get(kandidaat["id"])["fields"]["Interacties"] == [interactie["id"]]

    with pytest.raises(requests.HTTPError) as excinfo:
        interacties.create({"Onderwerp": "x", "Kandidaat": ["recAAAAAAAAAAAAAA"]})
    assert http_error(excinfo)[1]["error"]["type"] == "ROW_DOES_NOT_EXIST"

    kandidaten.delete(kandidaat["id"])
    assert "Kandidaat" not in interacties.get(interactie["id"])["fields"]


def test_return_fields_by_field_id(kandidaten: Table) -> None:
    naam_id = kandidaten.schema().field("Naam").id
    record = kandidaten.create({naam_id: "Via id"}, use_field_ids=True)

    assert record["fields"][naam_id] == "Via id"
    assert kandidaten.get(record["id"])["fields"]["Naam"] == "Via id"


def test_upsert_creates_updates_and_rejects_ambiguous_matches(kandidaten: Table) -> None:
    created = kandidaten.batch_upsert(
        [{"fields": {"API Mutation Key": "k1", "Naam": "Eerste"}}], key_fields=["API Mutation Key"]
    )
    assert created["updatedRecords"] == []
    assert len(created["createdRecords"]) == 1
    assert created["records"][0]["fields"]["Naam"] == "Eerste"
    record_id = created["createdRecords"][0]

    updated = kandidaten.batch_upsert(
        [{"fields": {"API Mutation Key": "k1", "Fase": "matchen"}}],
        key_fields=["API Mutation Key"],
    )
    assert updated["createdRecords"] == []
    assert updated["updatedRecords"] == [record_id]
    assert updated["records"][0]["fields"]["Naam"] == "Eerste"  # PATCH upsert merges
    assert updated["records"][0]["fields"]["Fase"] == "matchen"

    kandidaten.create({"Naam": "Dubbel", "API Mutation Key": "k1"})
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.batch_upsert(
            [{"fields": {"API Mutation Key": "k1", "Naam": "?"}}], key_fields=["API Mutation Key"]
        )
    status, body = http_error(excinfo)
    assert status == 422
    assert body["error"]["type"] == "INVALID_RECORDS"
    assert "matched 2 records" in body["error"]["message"]
    assert len(kandidaten.all(formula="{API Mutation Key} = 'k1'")) == 2


def test_upsert_with_replace_clears_other_fields(kandidaten: Table) -> None:
    kandidaten.create({"Naam": "A", "E-mail": "a@example.nl", "API Mutation Key": "k2"})

    result = kandidaten.batch_upsert(
        [{"fields": {"API Mutation Key": "k2", "Naam": "B"}}],
        key_fields=["API Mutation Key"],
        replace=True,
    )

    assert "E-mail" not in result["records"][0]["fields"]


def test_missing_or_wrong_token_is_401(emulator: EmulatorServer, base_id: str) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten"
    expected = {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}

    missing = requests.get(url, timeout=5)
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)

    assert (missing.status_code, missing.json()) == (401, expected)
    assert (wrong.status_code, wrong.json()) == (401, expected)


def test_unknown_route_is_404_not_found(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.get(f"{emulator.url}/v0/nonsense")

    assert (response.status_code, response.json()) == (404, {"error": "NOT_FOUND"})
