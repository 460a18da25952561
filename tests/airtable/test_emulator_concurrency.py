"""Concurrent clients: no lost or duplicated records, consistent persisted state."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pyairtable import Api

from airtable.emulator import EmulatorServer

from .conftest import KANDIDATEN_FIELDS, TOKEN

THREADS = 8
BATCHES_PER_THREAD = 5
BATCH_SIZE = 10


def _writer(url: str, base_id: str, worker: int, failures: list[BaseException]) -> None:
    # One Api (and requests.Session) per thread: sessions are not thread-safe.
    table = Api(TOKEN, endpoint_url=url, retry_strategy=None, timeout=(5, 30)).table(
        base_id, "Kandidaten"
    )
    try:
        for batch in range(BATCHES_PER_THREAD):
            table.batch_create(
                [
                    {"Naam": f"w{worker}-b{batch}-r{row}", "Fase": "nieuw"}
                    for row in range(BATCH_SIZE)
                ]
            )
            table.first(formula=f"{{Naam}} = 'w{worker}-b{batch}-r0'")
    except BaseException as exc:  # surfaced by the assertion in the test
        failures.append(exc)


def test_eight_concurrent_writers(tmp_path: Path) -> None:
    data_file = tmp_path / "airtable.json"
    server = EmulatorServer(
        port=0, token=TOKEN, data_path=str(data_file), rate_limit_per_s=0
    ).start()
    try:
        base_id = server.create_base("Druk", [{"name": "Kandidaten", "fields": KANDIDATEN_FIELDS}])[
            "id"
        ]
        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=_writer, args=(server.url, base_id, n, failures))
            for n in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        records = (
            Api(TOKEN, endpoint_url=server.url, retry_strategy=None)
            .table(base_id, "Kandidaten")
            .all()
        )
        expected = {
            f"w{w}-b{b}-r{r}"
            for w in range(THREADS)
            for b in range(BATCHES_PER_THREAD)
            for r in range(BATCH_SIZE)
        }
        assert len(records) == len(expected)
        assert len({r["id"] for r in records}) == len(expected)
        assert {r["fields"]["Naam"] for r in records} == expected
        summary = server.log_summary(base_id)
        assert summary["records_written"] == len(expected)
        assert summary["max_batch_size"] == BATCH_SIZE
    finally:
        server.stop()

    saved = json.loads(data_file.read_text(encoding="utf-8"))
    assert len(saved["bases"][0]["tables"][0]["records"]) == len(expected)
