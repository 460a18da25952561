"""Sync tests: the emulator over real HTTP stands in for Airtable; staff edits go straight to
it, as staff type into Airtable's UI, never through our API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from airtable.gateway import AirtableGateway
from candidates.sync import SyncResult, sandbox_wipe, sync_full, sync_incremental
from config.api.environment import PRODUCTION
from tests.airtable_stack import TOKEN, AirtableStack
from tests.mutations.conftest import airtable, emulator_process_wide, run_engine  # noqa: F401

HTTP_TIMEOUT_S = 10


@dataclass
class Staff:
    """Edits made in Airtable itself (pyairtable-shaped requests to the emulator's URL)."""

    stack: AirtableStack

    def _url(self, table: str, environment: str) -> str:
        return f"{self.stack.emulator.url}/v0/{self.stack.base_ids[environment]}/{table}"

    def _send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = requests.request(
            method,
            url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=HTTP_TIMEOUT_S,
            **kwargs,
        )
        assert response.ok, response.text
        return response.json()

    def create(
        self, table: str, fields: dict[str, Any], environment: str = PRODUCTION
    ) -> dict[str, Any]:
        body = {"records": [{"fields": fields}], "typecast": True}
        return self._send("POST", self._url(table, environment), json=body)["records"][0]

    def update(
        self, table: str, record_id: str, fields: dict[str, Any], environment: str = PRODUCTION
    ) -> dict[str, Any]:
        body = {"records": [{"id": record_id, "fields": fields}], "typecast": True}
        return self._send("PATCH", self._url(table, environment), json=body)["records"][0]

    def delete(self, table: str, record_id: str, environment: str = PRODUCTION) -> None:
        self._send("DELETE", f"{self._url(table, environment)}/{record_id}")

    def bulk_create(
        self, table: str, fields_list: list[dict[str, Any]], environment: str = PRODUCTION
    ) -> list[str]:
        """Many records at once, straight into the emulator's store (no HTTP, no limit)."""
        store = self.stack.emulator.store
        base_id = self.stack.base_ids[environment]
        ids = []
        for start in range(0, len(fields_list), 500):
            created = store.create_records(base_id, table, fields_list[start : start + 500])
            ids += [record["id"] for record in created]
        return ids


@pytest.fixture(autouse=True)
def _sync_share_out_of_the_way(settings):
    # Right after run_engine the engine's demand flag is still up and would hold every sync
    # request to the small share; the priority tests set their own.
    settings.AIRTABLE_SYNC_SHARE_PER_S = 1000


@pytest.fixture
def staff(airtable) -> Staff:  # noqa: F811
    return Staff(airtable)


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Every webhook event the sync emits, as (event, region code, data); the real service
    still queues them."""
    from webhooks import services

    emitted: list[tuple[str, str, dict[str, Any]]] = []
    real = services.event_emit

    def recording(*, region, environment, event, data):
        emitted.append((event, region.code, data))
        return real(region=region, environment=environment, event=event, data=data)

    monkeypatch.setattr(services, "event_emit", recording)
    return emitted


@pytest.fixture
def listings(monkeypatch) -> list[dict[str, Any]]:
    """Every list_records call the gateway makes: table, formula, fields, offset."""
    calls: list[dict[str, Any]] = []
    real = AirtableGateway.list_records

    def spy(self, table, **kwargs):
        calls.append({"base": self.base_id, "table": table, **kwargs})
        return real(self, table, **kwargs)

    monkeypatch.setattr(AirtableGateway, "list_records", spy)
    return calls


@pytest.fixture
def sync(airtable, django_capture_on_commit_callbacks) -> Callable[..., SyncResult]:  # noqa: F811
    """Run a sync job in this process, running what it queues for after commit."""
    jobs = {"incremental": sync_incremental, "full": sync_full}

    def run(mode: str = "incremental", environment: str = PRODUCTION, **kwargs) -> SyncResult:
        with django_capture_on_commit_callbacks(execute=True):
            if mode == "wipe":
                return sandbox_wipe(**kwargs)
            return jobs[mode](environment=environment, **kwargs)

    return run
