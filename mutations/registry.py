"""How domain apps plug into the engine without the engine importing them.

``candidates`` registers one handler per operation (how to turn the mutation into Airtable
steps, how to apply the result to the mirror, and which webhook events a success stands for);
``webhooks`` registers a listener told when a mutation ends, and asks ``operation_events`` for
those events, so it never learns a payload's shape. Both register from their
``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Mutation
    from .steps import Step, StepOutcome


class OperationHandler(Protocol):
    def next_step(self, mutation: Mutation) -> Step | None:
        """The next Airtable step from ``mutation.payload`` and ``mutation.state``; ``None``
        when nothing is left to send."""

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        """Fold Airtable's answer into ``mutation.state`` (must be JSON-serialisable)."""

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        """Apply the outcome to the mirror; return the mutation's ``result``. Runs in the
        transaction that marks the mutation succeeded."""

    def events(self, mutation: Mutation) -> list[tuple[str, dict[str, Any]]]:
        """The webhook events a succeeded mutation produces, as (event name, data), from its
        ``payload``, ``result`` and ``target_ids``. Computed inside the transaction that ends
        the mutation (by the finish listener, after ``complete``). ``data`` holds ids and field
        *names* only; the listener adds the provenance (``mutationId``, ``source``)."""


FinishListener = Callable[["Mutation"], None]

_handlers: dict[str, OperationHandler] = {}
_labels: dict[str, Any] = {}  # what staff read in the back office, e.g. "Candidate updated"
_finish_listeners: list[FinishListener] = []


def register_operation(name: str, handler: OperationHandler, label: Any = None) -> None:
    _handlers[name] = handler
    if label is not None:
        _labels[name] = label


def unregister_operation(name: str) -> None:
    """Forget ``name``'s handler and label (tests that register a handler of their own)."""
    _handlers.pop(name, None)
    _labels.pop(name, None)


def operation_label(name: str) -> str:
    """The operation in words for staff (translated); the raw name if none was registered."""
    return str(_labels.get(name, name))


def handler_for(name: str) -> OperationHandler:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"No handler registered for operation {name!r}") from None


def operation_events(mutation: Mutation) -> list[tuple[str, dict[str, Any]]]:
    """The events the handler of ``mutation.operation`` says its success produces; none for an
    operation without a handler or a handler without ``events``."""
    handler = _handlers.get(mutation.operation)
    events = getattr(handler, "events", None)
    return list(events(mutation)) if events is not None else []


def registered_operations() -> list[str]:
    return sorted(_handlers)


def register_finish_listener(listener: FinishListener) -> None:
    if listener not in _finish_listeners:
        _finish_listeners.append(listener)


def notify_finished(mutation: Mutation) -> None:
    """Called inside the transaction that ends the mutation (outbox semantics)."""
    for listener in _finish_listeners:
        listener(mutation)
