"""Sync tests: the emulator over real HTTP stands in for Airtable. ``staff``, ``sync`` and the
emulator seam are shared (tests/fixtures); the spies on events and listings are local."""

from __future__ import annotations

from typing import Any

import pytest

from airtable.gateway import AirtableGateway


@pytest.fixture(autouse=True)
def _sync_share_out_of_the_way(sync_share_out_of_the_way) -> None:
    """Every sync test runs with the sync share out of the way (see the shared fixture)."""


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
