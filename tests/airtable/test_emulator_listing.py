"""List records: pagination with offsets, page size limits, sort, fields, POST listRecords."""

from __future__ import annotations

import pytest
import requests
from pyairtable import Table

from airtable.emulator import EmulatorServer

from .conftest import http_error


@pytest.fixture
def filled(kandidaten: Table) -> list[str]:
    """250 Kandidaten; returns their ids in creation order."""
    records = kandidaten.batch_create([{"Naam": f"Kandidaat {i:03d}"} for i in range(250)])
    return [r["id"] for r in records]


def test_pagination_returns_every_record_exactly_once(kandidaten: Table, filled: list[str]) -> None:
    pages = list(kandidaten.iterate())

    assert [len(page) for page in pages] == [100, 100, 50]
    seen = [record["id"] for page in pages for record in page]
    assert seen == filled  # default order is creation order
    assert len(set(seen)) == 250


def test_offset_is_opaque_itr_rec_cursor(
    emulator: EmulatorServer, base_id: str, http: requests.Session, filled: list[str]
) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten"
    first = http.get(url, params={"pageSize": 100}).json()
    assert first["offset"].startswith("itr") and first["offset"].split("/")[1] == filled[100]

    second = http.get(url, params={"pageSize": 100, "offset": first["offset"]}).json()
    third = http.get(url, params={"pageSize": 100, "offset": second["offset"]}).json()

    assert [r["id"] for r in second["records"]] == filled[100:200]
    assert [r["id"] for r in third["records"]] == filled[200:]
    assert "offset" not in third


def test_page_size_over_100_is_422(kandidaten: Table, filled: list[str]) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.all(page_size=101)

    assert http_error(excinfo) == (
        422,
        {
            "error": {
                "type": "INVALID_REQUEST_UNKNOWN",
                "message": "Invalid request: parameter validation failed. Check your request data.",
            }
        },
    )


def test_invalid_and_stale_offsets(
    emulator: EmulatorServer, base_id: str, http: requests.Session, filled: list[str]
) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten"

    garbage = http.get(url, params={"offset": "not-an-offset"})
    assert garbage.status_code == 422
    assert garbage.json()["error"]["type"] == "INVALID_OFFSET_VALUE"

    stale = http.get(url, params={"offset": f"itrAAAAAAAAAAAAAA/{filled[0]}"})
    assert stale.status_code == 422
    assert stale.json()["error"]["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def test_max_records_sort_and_fields(kandidaten: Table, filled: list[str]) -> None:
    records = kandidaten.all(max_records=3, sort=["-Naam"], fields=["Naam"])

    assert [r["fields"] for r in records] == [
        {"Naam": "Kandidaat 249"},
        {"Naam": "Kandidaat 248"},
        {"Naam": "Kandidaat 247"},
    ]


def test_sort_with_query_string_params(
    emulator: EmulatorServer, base_id: str, http: requests.Session, kandidaten: Table
) -> None:
    kandidaten.batch_create(
        [{"Naam": "b", "Fase": "nieuw"}, {"Naam": "a"}, {"Naam": "c", "Fase": "matchen"}]
    )
    params = {
        "sort[0][field]": "Fase",
        "sort[0][direction]": "asc",
        "sort[1][field]": "Naam",
        "sort[1][direction]": "desc",
    }

    response = http.get(f"{emulator.url}/v0/{base_id}/Kandidaten", params=params)

    assert [r["fields"]["Naam"] for r in response.json()["records"]] == ["a", "c", "b"]


def test_unknown_field_in_fields_param(kandidaten: Table, filled: list[str]) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.all(fields=["Naam", "Bestaat niet"])
    assert http_error(excinfo)[1]["error"]["type"] == "UNKNOWN_FIELD_NAME"


def test_post_list_records_with_json_body(
    emulator: EmulatorServer, base_id: str, http: requests.Session, filled: list[str]
) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten/listRecords"
    body = {
        "pageSize": 40,
        "fields": ["Naam"],
        "sort": [{"field": "Naam", "direction": "desc"}],
        "filterByFormula": "FIND('Kandidaat 0', {Naam})",
    }

    pages = [http.post(url, json=body).json()]
    while "offset" in pages[-1]:
        pages.append(http.post(url, json={**body, "offset": pages[-1]["offset"]}).json())

    assert [len(page["records"]) for page in pages] == [40, 40, 20]
    names = [r["fields"]["Naam"] for page in pages for r in page["records"]]
    assert names == [f"Kandidaat {i:03d}" for i in range(99, -1, -1)]


def test_pyairtable_falls_back_to_post_for_long_urls(
    emulator: EmulatorServer, base_id: str, kandidaten: Table, filled: list[str]
) -> None:
    long_formula = (
        "OR("
        + ", ".join(f"{{Naam}} = 'Kandidaat {i:03d}'" for i in range(0, 250, 2))
        + ", "
        + ", ".join(["{Naam} = 'nobody'"] * 500)
        + ")"
    )

    records = kandidaten.all(formula=long_formula)

    assert len(records) == 125
    assert any(e["path"].endswith("/listRecords") for e in emulator.log_entries(base_id))


def test_deleted_records_are_skipped_between_pages(kandidaten: Table, filled: list[str]) -> None:
    pages = kandidaten.iterate()
    first = next(pages)
    kandidaten.batch_delete(filled[100:110])

    rest = [record["id"] for page in pages for record in page]

    assert len(first) == 100
    assert rest == filled[110:]
