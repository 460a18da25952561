"""The registry asks an operation's handler for the events its success produces."""

from __future__ import annotations

from types import SimpleNamespace

from mutations import registry


class _Quiet:
    """A handler written before handlers named their events."""


class _Loud:
    def events(self, mutation):
        return [("candidate.deleted", {"candidateId": mutation.target_ids[0]})]


def test_operation_events_come_from_the_registered_handler(monkeypatch):
    monkeypatch.setitem(registry._handlers, "test.loud", _Loud())
    mutation = SimpleNamespace(operation="test.loud", target_ids=["recA"])
    assert registry.operation_events(mutation) == [("candidate.deleted", {"candidateId": "recA"})]


def test_a_handler_without_events_or_an_unknown_operation_produces_none(monkeypatch):
    monkeypatch.setitem(registry._handlers, "test.quiet", _Quiet())
    assert registry.operation_events(SimpleNamespace(operation="test.quiet")) == []
    assert registry.operation_events(SimpleNamespace(operation="test.unknown")) == []
