"""Writes to one existing record: candidate and interaction PATCHes, archive/unarchive, the
GDPR delete, and interaction create/delete."""

from __future__ import annotations

from typing import Any

from mutations.models import Mutation, MutationStatus
from mutations.services import mutation_cancel
from mutations.steps import Step, StepOutcome, WriteItem

from .. import mapping, mirror
from ..fields import CANDIDATES_TABLE, COL_MUTATION_KEY, COL_REGION, INTERACTIONS_TABLE
from ..tables import table_spec
from .common import MERGE_ON, Events, _custom_fields, _pending, _state, _target

# Airtable adds the reverse of a link column to the linked table, named after the linking table.
COL_CANDIDATE_INTERACTIONS = INTERACTIONS_TABLE
CANDIDATE_ERASED_ERROR = {
    "code": "CANDIDATE_DELETED",
    "message": "The candidate was deleted (GDPR erasure) before this write ran.",
    "retryable": False,
}


class RecordUpdate:
    """Update one existing record: candidate PATCH, archive/unarchive, interaction PATCH.

    Its event is ``event`` naming the record as ``id_member``, with ``changed`` as its changed
    fields, or the names the payload's ``fields`` carries."""

    def __init__(
        self,
        table: str,
        *,
        fixed_fields: dict[str, Any] | None = None,
        event: str,
        id_member: str,
        changed: tuple[str, ...] | None = None,
    ) -> None:
        self.spec = table_spec(table)  # an unknown table fails here, at registration
        self.fixed_fields = fixed_fields
        self.event = event
        self.id_member = id_member
        self.changed = changed

    def _fields(self, mutation: Mutation) -> dict[str, Any]:
        if self.fixed_fields is not None:
            return dict(self.fixed_fields)
        custom = _custom_fields(mutation) if self.spec.custom_fields else []
        return self.spec.to_airtable(mutation.payload["fields"], custom_fields=custom)

    def next_step(self, mutation: Mutation) -> Step | None:
        if "0" in _state(mutation, "records"):
            return None
        item = WriteItem(key="0", fields=self._fields(mutation), record_id=mutation.target_ids[0])
        return Step(action="update", table=self.spec.name, items=(item,))

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        _state(mutation, "records").update(outcome.records)

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        record = _state(mutation, "records")["0"]
        self.spec.mirror_apply(environment=mutation.environment, records=[record])
        return {"recordIds": [record["id"]]}

    def events(self, mutation: Mutation) -> Events:
        if self.changed is not None:
            fields = list(self.changed)
        else:
            fields = sorted((mutation.payload or {}).get("fields") or {})
        return [(self.event, {self.id_member: _target(mutation), "changedFields": fields})]


class CandidateDelete:
    """GDPR erasure, decided when it runs (after every earlier mutation on the record): read
    the interactions the record links in Airtable, delete them and the ones the mirror knew at
    accept time, then the record (its files go with it)."""

    def _interaction_ids(self, mutation: Mutation) -> list[str]:
        known = mutation.payload.get("interactionIds", [])
        return list(dict.fromkeys([*known, *mutation.state.get("linked", [])]))

    def next_step(self, mutation: Mutation) -> Step | None:
        if "linked" not in mutation.state:
            return Step(action="get", table=CANDIDATES_TABLE, record_id=mutation.target_ids[0])
        deleted = _state(mutation, "deleted")
        interactions = tuple(
            WriteItem(key=f"interaction.{rid}", record_id=rid)
            for rid in self._interaction_ids(mutation)
        )
        pending = _pending(interactions, deleted)
        if pending:
            return Step(action="delete", table=INTERACTIONS_TABLE, items=pending, missing_ok=True)
        record_id = mutation.target_ids[0]
        if "candidate" not in deleted:
            return Step(
                action="delete",
                table=CANDIDATES_TABLE,
                missing_ok=True,
                items=(WriteItem(key="candidate", record_id=record_id),),
            )
        return None

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        if step.action == "get":
            fields = (outcome.record or {}).get("fields", {})
            links = fields.get(COL_CANDIDATE_INTERACTIONS) or []
            mutation.state["linked"] = [rid for rid in links if isinstance(rid, str)]
        else:
            _state(mutation, "deleted").update(dict.fromkeys(outcome.deleted, True))

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        interaction_ids = self._interaction_ids(mutation)
        mirror.interaction_mirror_delete(
            environment=mutation.environment, record_ids=interaction_ids
        )
        mirror.candidate_mirror_delete(
            environment=mutation.environment, record_ids=mutation.target_ids
        )
        _cancel_interaction_creates_after(mutation)
        return {
            "recordIds": list(mutation.target_ids),
            "deleted": True,
            "erased": {
                "candidateIds": list(mutation.target_ids),
                "interactionIds": interaction_ids,
            },
        }

    def events(self, mutation: Mutation) -> Events:
        return [("candidate.deleted", {"candidateId": _target(mutation)})]


def _cancel_interaction_creates_after(delete: Mutation) -> None:
    """Interaction creates for the candidate queued before the delete ran first (they share
    the candidate's ordering key) and were erased with it; ones queued after it would only
    recreate personal data for a record that is gone, so they are cancelled."""
    queued = Mutation.objects.filter(
        region_id=delete.region_id,
        environment=delete.environment,
        operation="interaction.create",
        status=MutationStatus.QUEUED,
        payload__candidateId=delete.target_ids[0],
    )
    for mutation in queued:
        mutation_cancel(mutation=mutation, error=CANDIDATE_ERASED_ERROR)


class InteractionCreate:
    def _items(self, mutation: Mutation) -> tuple[WriteItem, ...]:
        candidate_id = mutation.payload["candidateId"]
        items = []
        for index, interaction in enumerate(mutation.payload["interactions"]):
            fields = mapping.interaction_to_airtable({**interaction, "candidateId": candidate_id})
            fields[COL_REGION] = mutation.region.code
            fields[COL_MUTATION_KEY] = f"{mutation.uuid}:{index}"
            items.append(WriteItem(key=str(index), fields=fields))
        return tuple(items)

    def next_step(self, mutation: Mutation) -> Step | None:
        pending = _pending(self._items(mutation), _state(mutation, "records"))
        if pending:
            return Step(action="upsert", table=INTERACTIONS_TABLE, items=pending, merge_on=MERGE_ON)
        return None

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        _state(mutation, "records").update(outcome.records)

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        records = _state(mutation, "records")
        ordered = [records[str(i)] for i in range(len(mutation.payload["interactions"]))]
        mirror.interaction_mirror_apply(environment=mutation.environment, records=ordered)
        return {"recordIds": [r["id"] for r in ordered]}

    def events(self, mutation: Mutation) -> Events:
        candidate_id = (mutation.payload or {}).get("candidateId")
        return [
            ("interaction.created", {"interactionId": rid, "candidateId": candidate_id})
            for rid in (mutation.result or {}).get("recordIds") or []
        ]


class InteractionDelete:
    def next_step(self, mutation: Mutation) -> Step | None:
        if _state(mutation, "deleted"):
            return None
        return Step(
            action="delete",
            table=INTERACTIONS_TABLE,
            missing_ok=True,
            items=(WriteItem(key="0", record_id=mutation.target_ids[0]),),
        )

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        _state(mutation, "deleted").update(dict.fromkeys(outcome.deleted, True))

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        mirror.interaction_mirror_delete(
            environment=mutation.environment, record_ids=mutation.target_ids
        )
        return {"recordIds": list(mutation.target_ids), "deleted": True}

    def events(self, mutation: Mutation) -> Events:
        return [("interaction.deleted", {"interactionId": _target(mutation)})]
