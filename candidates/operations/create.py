"""Create 1–10 candidates, or create-or-update one matched by email/phone (SPEC 5.1, 5.3),
with their inline interactions and files; and the events those produce."""

from __future__ import annotations

from typing import Any

from mutations.models import Mutation
from mutations.steps import Step, StepOutcome, WriteItem

from .. import mapping, matching, mirror
from ..fields import (
    ATTACHMENT_MEMBERS,
    CANDIDATES_TABLE,
    COL_MUTATION_KEY,
    COL_REGION,
    CREATE_DEFAULTS,
    INTERACTIONS_TABLE,
)
from ..layout_file import configured_layout
from .common import (
    MERGE_ON,
    Events,
    _column,
    _custom_fields,
    _pending,
    _record_verification,
    _staged_uploads,
    _state,
    _upload_step,
    _url_attachments,
    _verify_uploads_step,
)

# Members of a candidate payload that are not candidate fields of its event.
NOT_CHANGED_FIELDS = frozenset({"interactions"})


def _changed_fields(candidate: dict[str, Any]) -> list[str]:
    return sorted(k for k in candidate if k not in NOT_CHANGED_FIELDS)


def _inline_interaction_events(candidates: list[dict[str, Any]], result: dict[str, Any]) -> Events:
    # ``result`` lists ids in request order (SPEC 5.1): candidate by candidate, each one's
    # interactions in the order given.
    record_ids = result.get("recordIds") or []
    interaction_ids = list(result.get("interactionIds") or [])
    events: Events = []
    for candidate, record_id in zip(candidates, record_ids, strict=False):
        for _interaction in candidate.get("interactions") or []:
            if not interaction_ids:
                return events
            interaction_id = interaction_ids.pop(0)
            events.append(
                ("interaction.created", {"interactionId": interaction_id, "candidateId": record_id})
            )
    return events


def _create_defaults() -> dict[str, object]:
    """Create defaults (SPEC 5.5), less those an adopted base keeps read-only (SPEC 11)."""
    layout = configured_layout()
    refused = layout.read_only_fields() if layout is not None else frozenset()
    return {name: value for name, value in CREATE_DEFAULTS.items() if name not in refused}


class CandidateCreate:
    """Create 1–10 candidates with their inline interactions and files."""

    def _candidates(self, mutation: Mutation) -> list[dict[str, Any]]:
        return mutation.payload["candidates"]

    def _items(self, mutation: Mutation) -> tuple[WriteItem, ...]:
        custom = _custom_fields(mutation)
        region_code = mutation.region.code
        items = []
        for index, candidate in enumerate(self._candidates(mutation)):
            # Defaults only here, where the engine creates the record (SPEC 5.5).
            fields = mapping.candidate_to_airtable(
                {**_create_defaults(), **candidate}, custom_fields=custom
            )
            fields.update(_url_attachments(candidate))
            fields[COL_REGION] = region_code
            fields[COL_MUTATION_KEY] = f"{mutation.uuid}:{index}"
            items.append(WriteItem(key=str(index), fields=fields))
        return tuple(items)

    def _interaction_items(self, mutation: Mutation) -> tuple[WriteItem, ...]:
        created = _state(mutation, "records")
        items = []
        for index, candidate in enumerate(self._candidates(mutation)):
            record_id = created[str(index)]["id"]
            for position, interaction in enumerate(candidate.get("interactions") or []):
                fields = mapping.interaction_to_airtable({**interaction, "candidateId": record_id})
                fields[COL_REGION] = mutation.region.code
                fields[COL_MUTATION_KEY] = f"{mutation.uuid}:{index}.{position}"
                items.append(WriteItem(key=f"{index}.{position}", fields=fields))
        return tuple(items)

    def _uploads(self, mutation: Mutation) -> list[tuple[str, str, dict, str]]:
        created = _state(mutation, "records")
        done = _state(mutation, "uploads")
        return [
            (key, column, file, created[str(index)]["id"])
            for index, candidate in enumerate(self._candidates(mutation))
            for key, column, file in _staged_uploads(candidate, f"{index}.")
            if key not in done
        ]

    def next_step(self, mutation: Mutation) -> Step | None:
        pending = _pending(self._items(mutation), _state(mutation, "records"))
        if pending:
            return Step(action="upsert", table=CANDIDATES_TABLE, items=pending, merge_on=MERGE_ON)
        interactions = _pending(self._interaction_items(mutation), _state(mutation, "interactions"))
        if interactions:
            return Step(
                action="upsert", table=INTERACTIONS_TABLE, items=interactions, merge_on=MERGE_ON
            )
        uploads = self._uploads(mutation)
        if uploads:
            record_id = uploads[0][3]
            same_record = [(k, c, f) for k, c, f, r in uploads if r == record_id]
            verify = _verify_uploads_step(mutation, record_id, same_record)
            return verify or _upload_step(record_id, same_record[0])
        return self._refresh_step(mutation)

    def _refresh_step(self, mutation: Mutation) -> Step | None:
        """Re-read records that received uploads, so the mirror holds Airtable's file list."""
        refreshed = _state(mutation, "refreshed")
        for index, candidate in enumerate(self._candidates(mutation)):
            if _staged_uploads(candidate, "") and str(index) not in refreshed:
                record_id = _state(mutation, "records")[str(index)]["id"]
                return Step(action="get", table=CANDIDATES_TABLE, record_id=record_id)
        return None

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        if step.action == "upsert" and step.table == CANDIDATES_TABLE:
            _state(mutation, "records").update(outcome.records)
        elif step.action == "upsert":
            _state(mutation, "interactions").update(outcome.records)
        elif step.action == "upload":
            assert step.upload is not None
            key = next(
                k
                for k, _, f, _ in self._uploads(mutation)
                if f["staged"] == step.upload.storage_path
            )
            _state(mutation, "uploads")[key] = True
        elif step.action == "get" and self._uploads(mutation):
            pending = [(k, c, f) for k, c, f, r in self._uploads(mutation) if r == step.record_id]
            _record_verification(mutation, outcome.record, pending)
        elif step.action == "get":
            records = _state(mutation, "records")
            for index, record in list(records.items()):
                if record["id"] == step.record_id and outcome.record:
                    records[index] = outcome.record
                    _state(mutation, "refreshed")[index] = True

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        records = _state(mutation, "records")
        ordered = [records[str(i)] for i in range(len(self._candidates(mutation)))]
        mirror.candidate_mirror_apply(environment=mutation.environment, records=ordered)
        interactions = list(_state(mutation, "interactions").values())
        if interactions:
            mirror.interaction_mirror_apply(environment=mutation.environment, records=interactions)
        return {
            "recordIds": [r["id"] for r in ordered],
            "interactionIds": [r["id"] for r in interactions],
        }

    def _event_candidates(self, mutation: Mutation) -> list[dict[str, Any]]:
        return (mutation.payload or {}).get("candidates") or []

    def _event(self, result: dict[str, Any]) -> str:
        return "candidate.created"

    def events(self, mutation: Mutation) -> Events:
        candidates = self._event_candidates(mutation)
        result: dict[str, Any] = mutation.result or {}
        event = self._event(result)
        events: Events = [
            (event, {"candidateId": rid, "changedFields": _changed_fields(c)})
            for c, rid in zip(candidates, result.get("recordIds") or [], strict=False)
        ]
        return events + _inline_interaction_events(candidates, result)


class CandidateUpsert(CandidateCreate):
    """Create or update one candidate matched by email, then phone, within the region,
    resolved against Airtable when the mutation runs (SPEC 5.3, ``candidates/matching.py``).

    On a match the upsert is a PATCH of the members the payload carries (no create defaults)
    and files are appended to the record's own; without one it is a create."""

    def _candidates(self, mutation: Mutation) -> list[dict[str, Any]]:
        return [mutation.payload["candidate"]]

    def _match_formula(self, mutation: Mutation) -> str:
        candidate = mutation.payload["candidate"]
        return matching.match_formula(
            region_code=mutation.region.code,
            email=candidate["email"],
            phone=candidate.get("phone"),
            region_column=COL_REGION,
            email_column=_column("email"),
            phone_column=_column("phone"),
        )

    def _update_fields(self, mutation: Mutation) -> dict[str, Any]:
        candidate = mutation.payload["candidate"]
        fields = mapping.candidate_to_airtable(candidate, custom_fields=_custom_fields(mutation))
        # Writing an attachment column replaces it: keep what the record had, then append.
        files = mutation.state.get("match_files", {})
        for column, new in _url_attachments(candidate).items():
            fields[column] = [{"id": i} for i in files.get(column, [])] + new
        return fields

    def next_step(self, mutation: Mutation) -> Step | None:
        if "match" not in mutation.state:
            return Step(
                action="list", table=CANDIDATES_TABLE, formula=self._match_formula(mutation)
            )
        match = mutation.state["match"]
        if match and "0" not in _state(mutation, "records"):
            return Step(
                action="update",
                table=CANDIDATES_TABLE,
                items=(WriteItem(key="0", fields=self._update_fields(mutation), record_id=match),),
            )
        return super().next_step(mutation)

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        if step.action == "list":
            self._record_match(mutation, outcome.listed)
        elif step.action == "update":
            _state(mutation, "records").update(outcome.records)
        else:
            super().record_outcome(mutation, step, outcome)

    def _record_match(self, mutation: Mutation, records: list[dict[str, Any]]) -> None:
        candidate = mutation.payload["candidate"]
        ids = matching.matched_ids(
            records,
            email=candidate["email"],
            phone=candidate.get("phone"),
            email_column=_column("email"),
            phone_column=_column("phone"),
        )
        mutation.state["match"] = ids[0] if ids else None
        mutation.state["matched_ids"] = ids
        if ids:
            fields = next(r for r in records if r["id"] == ids[0]).get("fields", {})
            mutation.state["match_files"] = {
                _column(m): [a["id"] for a in fields.get(_column(m)) or []]
                for m in ATTACHMENT_MEMBERS
            }

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        result = super().complete(mutation)
        match = mutation.state.get("match")
        return {
            **result,
            "created": not match,
            "matchedIds": mutation.state.get("matched_ids", [match] if match else []),
        }

    def _event_candidates(self, mutation: Mutation) -> list[dict[str, Any]]:
        return [(mutation.payload or {}).get("candidate") or {}]

    def _event(self, result: dict[str, Any]) -> str:
        return "candidate.created" if result.get("created", True) else "candidate.updated"
