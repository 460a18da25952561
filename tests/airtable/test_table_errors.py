"""A wrong table or base is never a missing record (issue 18): the gateway classifies it
apart, whichever way Airtable answers it, and the emulator can answer both ways."""

from __future__ import annotations

import pytest
import requests

from airtable.emulator import EmulatorServer
from airtable.errors import SCOPE_BASE, SCOPE_RECORD, SCOPE_TABLE
from airtable.gateway import AirtableError, gateway_for_environment
from config.api.environment import PRODUCTION

from .conftest import PRODUCTION_BASE, TABLE, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_the_emulator_answers_an_unknown_table_like_airtable_either_way(
    emulator: EmulatorServer,
    base: str,
) -> None:
    url = f"{emulator.url}/v0/{base}/Vacatures"
    assert requests.get(url, headers=AUTH, timeout=5).status_code == 403

    emulator.set_config(unknown_table_status=404)
    response = requests.get(url, headers=AUTH, timeout=5)

    assert (response.status_code, response.json()) == (
        404,
        {
            "error": {
                "type": "TABLE_NOT_FOUND",
                "message": f'Could not find table "Vacatures" in application {base}',
            }
        },
    )
    emulator.reset()
    assert emulator.store.unknown_table_status == 403


@pytest.mark.parametrize("status", [403, 404])
def test_get_record_in_an_unknown_table_raises_instead_of_none(
    airtable_settings,
    base: str,
    emulator: EmulatorServer,
    status: int,
) -> None:
    emulator.set_config(unknown_table_status=status)
    gateway = gateway_for_environment(PRODUCTION)

    with pytest.raises(AirtableError) as excinfo:
        gateway.get_record("Vacatures", "recDoesNotExist01")

    error = excinfo.value
    assert error.table_or_base_not_found and not error.record_not_found
    assert error.scope == (SCOPE_TABLE if status == 404 else SCOPE_BASE)
    assert f'table "Vacatures" in base {PRODUCTION_BASE}' in error.message


@pytest.mark.parametrize("status", [403, 404])
def test_deleting_from_an_unknown_table_is_not_a_missing_record(
    airtable_settings,
    base: str,
    emulator: EmulatorServer,
    status: int,
) -> None:
    emulator.set_config(unknown_table_status=status)

    with pytest.raises(AirtableError) as excinfo:
        gateway_for_environment(PRODUCTION).delete_records("Vacatures", ["recDoesNotExist01"])

    assert excinfo.value.table_or_base_not_found


def test_an_unknown_base_is_a_base_error(airtable_settings, base: str) -> None:
    airtable_settings.AIRTABLE_BASE_ID = "appAAAAAAAAAAAAAA"

    with pytest.raises(AirtableError) as excinfo:
        gateway_for_environment(PRODUCTION).list_records(TABLE)

    assert excinfo.value.scope == SCOPE_BASE


def test_a_missing_record_stays_a_record_error(airtable_settings, base: str) -> None:
    gateway = gateway_for_environment(PRODUCTION)
    assert gateway.get_record(TABLE, "recDoesNotExist01") is None

    with pytest.raises(AirtableError) as excinfo:
        gateway.delete_records(TABLE, ["recDoesNotExist01", "recDoesNotExist02"])

    assert excinfo.value.scope == SCOPE_RECORD


def test_created_and_modified_times_are_whole_seconds(
    airtable_settings,
    base: str,
) -> None:
    gateway = gateway_for_environment(PRODUCTION)
    record = gateway.create_records(TABLE, [{"Naam": "Ada"}])[0]
    updated = gateway.update_records(TABLE, [(record["id"], {"Naam": "Ada L."})])[0]

    assert record["createdTime"].endswith(".000Z")
    assert updated["fields"]["Laatst gewijzigd"].endswith(".000Z")
