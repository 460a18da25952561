"""Per-base rate limiting: 5 requests per sliding second, then a penalty of 429s."""

from __future__ import annotations

import time

import pytest
import requests
from pyairtable import Table

from airtable.emulator import DEFAULT_RATE_LIMIT_PER_S, RATE_LIMIT_PENALTY_S, EmulatorServer

from .conftest import http_error

RATE_LIMIT_BODY = {
    "errors": [
        {"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}
    ]
}
TEST_PENALTY_S = 1.0


@pytest.fixture
def limited(emulator: EmulatorServer, base_id: str) -> EmulatorServer:
    emulator.set_config(rate_limit_per_s=5, penalty_s=TEST_PENALTY_S)
    emulator.clear_log()  # fixture setup traffic should not count
    return emulator


def test_defaults_match_airtable() -> None:
    assert (DEFAULT_RATE_LIMIT_PER_S, RATE_LIMIT_PENALTY_S) == (5, 30)
    server = EmulatorServer()
    config = server.app.limiter.config_for("appAAAAAAAAAAAAAA")
    assert (config.rate_limit_per_s, config.penalty_s) == (5, 30)


def test_sixth_request_within_a_second_gets_429_then_penalty(
    limited: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    url = f"{limited.url}/v0/{base_id}/Kandidaten"
    started = time.monotonic()

    responses = [http.get(url) for _ in range(6)]

    assert time.monotonic() - started < 1.0, "premise: six requests within one second"
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 429]
    assert responses[-1].json() == RATE_LIMIT_BODY

    # Penalty: every request to the base is refused, metadata included, until it ends.
    during = [http.get(url), http.get(f"{limited.url}/v0/meta/bases/{base_id}/tables")]
    assert [r.status_code for r in during] == [429, 429]

    time.sleep(TEST_PENALTY_S + 0.1)
    assert http.get(url).status_code == 200


def test_penalty_outlasts_the_window(
    limited: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    limited.set_config(base_id, penalty_s=2.0)
    url = f"{limited.url}/v0/{base_id}/Kandidaten"
    statuses = [http.get(url).status_code for _ in range(6)]

    time.sleep(1.2)  # the sliding window is empty again, the penalty is not over
    assert statuses[-1] == 429
    assert http.get(url).status_code == 429


def test_requests_spread_over_windows_are_fine(
    limited: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    url = f"{limited.url}/v0/{base_id}/Kandidaten"

    first = [http.get(url).status_code for _ in range(5)]
    time.sleep(1.05)
    second = [http.get(url).status_code for _ in range(5)]

    assert first + second == [200] * 10
    summary = limited.log_summary(base_id)
    assert summary["max_requests_in_any_1s_window"] == 5
    assert summary["rate_limited_429"] == 0


def test_other_bases_are_not_affected(
    limited: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    other = limited.create_base(
        "Ander", [{"name": "T", "fields": [{"name": "Naam", "type": "singleLineText"}]}]
    )["id"]
    for _ in range(6):
        http.get(f"{limited.url}/v0/{base_id}/Kandidaten")

    assert http.get(f"{limited.url}/v0/{base_id}/Kandidaten").status_code == 429
    assert http.get(f"{limited.url}/v0/{other}/T").status_code == 200


def test_pyairtable_sees_429_and_log_counts_it(
    limited: EmulatorServer, base_id: str, kandidaten: Table
) -> None:
    for _ in range(5):
        kandidaten.all()

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.create({"Naam": "te veel"})

    assert http_error(excinfo) == (429, RATE_LIMIT_BODY)
    summary = limited.log_summary(base_id)
    assert summary["total_requests"] == 6
    assert summary["rate_limited_429"] == 1
    assert summary["max_requests_in_any_1s_window"] == 5
    assert summary["by_kind"] == {"read": 5, "write": 1}
    assert summary["records_written"] == 0


def test_zero_means_unlimited(
    limited: EmulatorServer, base_id: str, http: requests.Session
) -> None:
    limited.set_config(rate_limit_per_s=0)

    statuses = [http.get(f"{limited.url}/v0/{base_id}/Kandidaten").status_code for _ in range(20)]

    assert statuses == [200] * 20
    assert limited.log_summary(base_id)["max_requests_in_any_1s_window"] >= 20
