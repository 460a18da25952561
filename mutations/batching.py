"""What one Airtable request carries: a :class:`Batch` of claimed mutations' items, and the
request that sends it.

One request carries up to ``MAX_RECORDS_PER_WRITE`` records of items whose steps have the same
signature. A mutation flagged ``solo`` (culprit isolation after a rejected mixed request, or
batching across mutations switched off) goes in a request of its own; one flagged
``one_item_per_request`` sends one item per request. The engine (``mutations.engine``) decides
which mutations to claim and in which order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage

from airtable.gateway import MAX_RECORDS_PER_WRITE, AirtableGateway

from .models import Mutation
from .steps import Step, StepOutcome, WriteItem


@dataclass
class Part:
    mutation: Mutation
    step: Step
    items: tuple[WriteItem, ...] = ()


def _alone(mutation: Mutation) -> bool:
    """This mutation's items go in a request of their own (one item each, if so flagged)."""
    return _solo(mutation) or _one_item_per_request(mutation)


@dataclass
class Batch:
    environment: str
    parts: list[Part] = field(default_factory=list)
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    capacity: int = MAX_RECORDS_PER_WRITE

    @property
    def step(self) -> Step:
        return self.parts[0].step

    @property
    def record_count(self) -> int:
        return sum(len(p.items) for p in self.parts) if self.step.batchable else 1

    def accepts(self, mutation: Mutation, step: Step) -> bool:
        if not self.parts:
            return True
        return step.batchable and step.signature == self.step.signature and not _alone(mutation)

    def add(self, mutation: Mutation, step: Step) -> None:
        limit = 1 if _one_item_per_request(mutation) else self.capacity
        items = step.items[:limit] if step.batchable else ()
        self.parts.append(Part(mutation=mutation, step=step, items=items))
        self.capacity -= len(items)

    @property
    def closed(self) -> bool:
        if not self.parts:
            return False
        lead = self.parts[0]
        return self.capacity <= 0 or not lead.step.batchable or _alone(lead.mutation)


def _solo(mutation: Mutation) -> bool:
    """Send this mutation's items in a request of their own (culprit isolation, or batching
    across mutations switched off)."""
    return bool(mutation.state.get("solo")) or not settings.MUTATION_BATCH_ACROSS_MUTATIONS


def _one_item_per_request(mutation: Mutation) -> bool:
    return bool(mutation.state.get("one_item_per_request"))


def send_batch(gateway: AirtableGateway, batch: Batch) -> list[StepOutcome]:
    """One Airtable request for the whole batch; outcomes in ``batch.parts`` order."""
    step = batch.step
    outcomes = [StepOutcome() for _ in batch.parts]
    flat = [(i, item) for i, part in enumerate(batch.parts) for item in part.items]
    if step.action == "upsert":
        result = gateway.upsert_records(
            step.table, [item.fields or {} for _, item in flat], merge_on=list(step.merge_on)
        )
        for (i, item), record in zip(flat, result.records, strict=True):
            outcomes[i].records[item.key] = record
    elif step.action == "update":
        records = gateway.update_records(
            step.table, [(item.record_id or "", item.fields or {}) for _, item in flat]
        )
        for (i, item), record in zip(flat, records, strict=True):
            outcomes[i].records[item.key] = record
    elif step.action == "delete":
        gateway.delete_records(step.table, [item.record_id or "" for _, item in flat])
        for i, item in flat:
            outcomes[i].deleted.append(item.key)
    elif step.action == "list":
        outcomes[0].listed = gateway.list_records(step.table, formula=step.formula).records
    elif step.action == "get":
        outcomes[0].record = gateway.get_record(step.table, step.record_id or "")
    elif step.action == "upload":
        upload = step.upload
        assert upload is not None
        with default_storage.open(upload.storage_path, "rb") as handle:
            content = handle.read()
        outcomes[0].record = gateway.upload_attachment(
            upload.record_id,
            upload.field,
            filename=upload.filename,
            content_type=upload.content_type,
            content=content,
        )
    else:  # pragma: no cover - Step.action is a closed set
        raise ValueError(step.action)
    return outcomes
