"""The admin HTTP API under /_emulator/ (no bearer token needed, never rate limited)."""

from __future__ import annotations

import requests

from airtable.emulator import EmulatorServer

from .conftest import KANDIDATEN_FIELDS, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _admin(emulator: EmulatorServer, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, f"{emulator.url}/_emulator/{path}", timeout=5, **kwargs)  # type: ignore[arg-type]


def test_create_base_state_and_reset(emulator: EmulatorServer) -> None:
    created = _admin(
        emulator,
        "POST",
        "bases",
        json={
            "id": "appAdminBase00001",
            "name": "Admin",
            "tables": [{"name": "Kandidaten", "fields": KANDIDATEN_FIELDS}],
        },
    )
    assert created.status_code == 200
    assert created.json()["id"] == "appAdminBase00001"
    requests.post(
        f"{emulator.url}/v0/appAdminBase00001/Kandidaten",
        headers=AUTH,
        timeout=5,
        json={"records": [{"fields": {"Naam": "a"}}, {"fields": {"Naam": "b"}}]},
    )

    state = _admin(emulator, "GET", "state").json()
    assert state["total_records"] == 2
    assert state["bases"][0]["tables"][0] == {
        "id": state["bases"][0]["tables"][0]["id"],
        "name": "Kandidaten",
        "fields": len(KANDIDATEN_FIELDS),
        "records": 2,
    }

    assert _admin(emulator, "POST", "reset", json={"base": "appAdminBase00001"}).status_code == 200
    assert _admin(emulator, "GET", "state").json()["bases"] == []


def test_config_faults_and_log_routes(emulator: EmulatorServer, base_id: str) -> None:
    config = _admin(
        emulator, "PUT", "config", json={"base": base_id, "rate_limit_per_s": 2, "penalty_s": 0.5}
    ).json()
    assert config["bases"][base_id] == {"rate_limit_per_s": 2, "penalty_s": 0.5}

    faults = _admin(emulator, "POST", "faults", json={"base": base_id, "latency_ms": 5}).json()
    assert faults["faults"][base_id]["latency_ms"] == 5

    statuses = [
        requests.get(f"{emulator.url}/v0/{base_id}/Kandidaten", headers=AUTH, timeout=5).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]

    log = _admin(emulator, "GET", "log", params={"base": base_id}).json()
    assert log["summary"]["total_requests"] == 3
    assert log["summary"]["rate_limited_429"] == 1
    assert log["summary"]["max_requests_in_any_1s_window"] == 2
    assert [e["status"] for e in log["entries"]] == [200, 200, 429]
    assert log["entries"][-1]["fault"] == "rate_limit"

    full = _admin(emulator, "GET", "log", params={"limit": "all"}).json()
    assert full["summary"]["totals"]["total_requests"] == 3

    assert _admin(emulator, "DELETE", "faults").json() == {"faults": {}}
    assert _admin(emulator, "DELETE", "log").json() == {"ok": True}
    assert _admin(emulator, "GET", "log").json()["entries"] == []


def test_invalid_admin_input_is_422(emulator: EmulatorServer) -> None:
    response = _admin(emulator, "POST", "faults", json={"error_rate": 2})

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "INVALID_ADMIN_REQUEST"
    assert _admin(emulator, "GET", "nope").status_code == 404


def test_admin_requests_are_not_logged_or_limited(emulator: EmulatorServer) -> None:
    emulator.set_config(rate_limit_per_s=1)

    statuses = [_admin(emulator, "GET", "health").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert emulator.log_summary()["totals"]["total_requests"] == 0
