"""What the engine sends to Airtable, and what came back (domain-free).

An operation handler turns a mutation into a sequence of steps. Write steps (``upsert``,
``update``, ``delete``) consist of items, one record each, so items of different mutations
with the same signature can share one Airtable request of up to 10 records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["upsert", "update", "delete", "list", "get", "upload"]
BATCHABLE_ACTIONS = frozenset({"upsert", "update", "delete"})


@dataclass(frozen=True)
class WriteItem:
    key: str  # unique within the mutation's step, e.g. "0" or "interaction-0-1"
    fields: dict[str, Any] | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class Upload:
    record_id: str
    field: str
    filename: str
    content_type: str
    storage_path: str


@dataclass(frozen=True)
class Step:
    action: Action
    table: str
    items: tuple[WriteItem, ...] = ()
    merge_on: tuple[str, ...] = ()
    formula: str | None = None
    record_id: str | None = None
    upload: Upload | None = None
    # Deleting a record that is already gone counts as done (after an ambiguous attempt).
    missing_ok: bool = False

    @property
    def batchable(self) -> bool:
        return self.action in BATCHABLE_ACTIONS

    @property
    def signature(self) -> tuple[Any, ...]:
        """Steps with equal signatures may share one request."""
        return (self.action, self.table, self.merge_on)


@dataclass
class StepOutcome:
    """Airtable's answer for one mutation's part of a request."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # item key → record
    deleted: list[str] = field(default_factory=list)
    listed: list[dict[str, Any]] = field(default_factory=list)
    record: dict[str, Any] | None = None  # get / upload
