"""Injected faults: latency, 5xx, write-applied-but-timed-out, 429 storms; their counters."""

from __future__ import annotations

import time

import pytest
import requests
from pyairtable import Api, Table

from airtable.emulator import EmulatorServer

from .conftest import TOKEN, http_error

SHORT_READ_TIMEOUT = (2, 0.5)  # (connect, read) seconds


def test_latency(emulator: EmulatorServer, base_id: str, kandidaten: Table) -> None:
    emulator.set_faults(base_id, latency_ms=300)

    started = time.monotonic()
    kandidaten.all()

    assert time.monotonic() - started >= 0.3


def test_error_rate_one_answers_5xx_and_does_not_apply(
    emulator: EmulatorServer, base_id: str, kandidaten: Table
) -> None:
    emulator.set_faults(base_id, error_rate=1.0, error_statuses=[503])

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "verloren"})

    assert http_error(excinfo) == (
        503,
        {
            "error": {
                "type": "SERVICE_UNAVAILABLE",
                "message": "The server could not process your request in time",
            }
        },
    )
    emulator.clear_faults()
    assert kandidaten.all() == []
    assert emulator.log_summary(base_id)["injected_5xx"] == 1


def test_default_error_statuses_are_500_502_503(
    emulator: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    emulator.set_faults(base_id, error_rate=1.0, seed=7)

    statuses = {http.get(f"{emulator.url}/v0/{base_id}/Kandidaten").status_code for _ in range(30)}

    assert statuses == {500, 502, 503}


def test_seeded_error_rate_is_reproducible(
    emulator: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten"

    def run() -> list[int]:
        emulator.set_faults(base_id, error_rate=0.5, seed=42)
        return [http.get(url).status_code for _ in range(20)]

    first, second = run(), run()

    assert first == second
    assert 200 in first and any(status >= 500 for status in first)


def test_timeout_after_write_applies_the_write(emulator: EmulatorServer, base_id: str) -> None:
    emulator.set_faults(base_id, timeout_after_write_rate=1.0, timeout_s=3)
    impatient = Api(
        TOKEN, endpoint_url=emulator.url, retry_strategy=None, timeout=SHORT_READ_TIMEOUT
    ).table(base_id, "Kandidaten")

    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.create({"Naam": "Ambigu", "API Mutation Key": "mut-1"})

    # Reads are unaffected, and the write did happen.
    found = impatient.all(formula="{API Mutation Key} = 'mut-1'")
    assert [r["fields"]["Naam"] for r in found] == ["Ambigu"]
    assert emulator.log_summary(base_id)["injected_timeouts"] == 1


def test_timeout_after_write_close_mode_drops_connection(
    emulator: EmulatorServer, base_id: str, kandidaten: Table
) -> None:
    emulator.set_faults(base_id, timeout_after_write_rate=1.0, timeout_mode="close")

    with pytest.raises(requests.exceptions.ConnectionError):
        kandidaten.create({"Naam": "Ambigu", "API Mutation Key": "mut-2"})

    emulator.clear_faults()
    assert len(kandidaten.all(formula="{API Mutation Key} = 'mut-2'")) == 1


def test_rate_limit_storm(emulator: EmulatorServer, base_id: str, http: requests.Session) -> None:
    url = f"{emulator.url}/v0/{base_id}/Kandidaten"
    emulator.set_faults(base_id, rate_limit_storm_s=0.5)

    during = [http.get(url).status_code for _ in range(3)]
    time.sleep(0.6)
    after = http.get(url).status_code

    assert during == [429, 429, 429]
    assert after == 200
    summary = emulator.log_summary(base_id)
    assert summary["rate_limited_429"] == 3
    assert summary["by_status"] == {"429": 3, "200": 1}


def test_global_faults_apply_to_every_base(
    emulator: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    emulator.set_faults(error_rate=1.0, error_statuses=[502])

    response = http.get(f"{emulator.url}/v0/{base_id}/Kandidaten")

    assert response.status_code == 502
    assert response.json()["error"]["type"] == "BAD_GATEWAY"


def test_log_entries_record_each_request(
    emulator: EmulatorServer, base_id: str, kandidaten: Table
) -> None:
    emulator.clear_log()
    kandidaten.batch_create([{"Naam": "a"}, {"Naam": "b"}])
    emulator.set_faults(base_id, error_rate=1.0, error_statuses=[500])
    with pytest.raises(requests.HTTPError):
        kandidaten.all()

    entries = emulator.log_entries(base_id)

    assert [
        (e["method"], e["kind"], e["status"], e["record_count"], e["fault"]) for e in entries
    ] == [("POST", "write", 200, 2, None), ("GET", "read", 500, 0, "error")]
    assert entries[0]["path"] == f"/v0/{base_id}/Kandidaten"
    assert isinstance(entries[0]["ts"], float)
