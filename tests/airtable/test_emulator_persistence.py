"""State survives a restart on the same data file; the CLI entry point works."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import requests
from pyairtable import Api

from airtable.emulator import EmulatorServer

from .conftest import KANDIDATEN_FIELDS, TOKEN

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI_STARTUP_TIMEOUT_S = 20


def _api(server: EmulatorServer) -> Api:
    return Api(TOKEN, endpoint_url=server.url, retry_strategy=None, timeout=(5, 10))


def test_restart_keeps_bases_tables_and_records(tmp_path: Path) -> None:
    data_file = tmp_path / "airtable.json"
    first = EmulatorServer(
        port=0, token=TOKEN, data_path=str(data_file), rate_limit_per_s=0
    ).start()
    try:
        base_id = first.create_base(
            "Persist", [{"name": "Kandidaten", "fields": KANDIDATEN_FIELDS}]
        )["id"]
        table = _api(first).table(base_id, "Kandidaten")
        created = table.batch_create([{"Naam": f"K{i}", "Fase": "nieuw"} for i in range(15)])
        table.create({"Naam": "Nieuwe optie", "Fase": "geplaatst"}, typecast=True)
    finally:
        first.stop()

    assert json.loads(data_file.read_text(encoding="utf-8"))["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["airtable.json"]  # no temp files left

    second = EmulatorServer(
        port=0, token=TOKEN, data_path=str(data_file), rate_limit_per_s=0
    ).start()
    try:
        table = _api(second).table(base_id, "Kandidaten")
        assert table.get(created[3]["id"]) == created[3]
        assert len(table.all()) == 16
        choices = [c.name for c in table.schema().field("Fase").options.choices]
        assert choices == ["nieuw", "matchen", "geplaatst"]
    finally:
        second.stop()


def test_without_data_path_state_is_in_memory_only(tmp_path: Path) -> None:
    server = EmulatorServer(port=0, token=TOKEN).start()
    server.create_base("Tijdelijk")
    server.stop()

    assert EmulatorServer(port=0).store.list_bases() == []
    assert list(tmp_path.iterdir()) == []


def test_cli_serves_and_persists_on_sigterm(tmp_path: Path) -> None:
    data_file = tmp_path / "var" / "airtable.json"
    command = [
        sys.executable,
        "-m",
        "airtable.emulator",
        "--port",
        "0",
        "--data",
        str(data_file),
        "--token",
        TOKEN,
        "--rate-limit",
        "0",
    ]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.split(" on ")[1].split()[0]
        assert requests.get(f"{url}/_emulator/health", timeout=5).json() == {"ok": True}
        base = requests.post(
            f"{url}/_emulator/bases",
            timeout=5,
            json={
                "name": "CLI",
                "tables": [{"name": "T", "fields": [{"name": "Naam", "type": "singleLineText"}]}],
            },
        ).json()
        created = requests.post(
            f"{url}/v0/{base['id']}/T",
            timeout=5,
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"fields": {"Naam": "via cli"}},
        )
        assert created.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLI_STARTUP_TIMEOUT_S) == 0

    state = json.loads(data_file.read_text(encoding="utf-8"))
    records = state["bases"][0]["tables"][0]["records"]
    assert [r["id"] for r in records] == [created.json()["id"]]
