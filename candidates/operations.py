"""The candidate domain's Mutation Engine operations (SPEC 5.1).

Each handler turns an accepted mutation into Airtable steps and applies the outcome to the
mirror. Handlers are pure with respect to Airtable: the engine sends the requests; a handler
only reads ``mutation.payload``/``mutation.state`` and, when the mutation completes, writes the
mirror. ``next_step`` must be a function of the payload and state alone, because a retry or
another worker may ask again at any time.

Payload shapes (written by ``candidates/apis/write.py``): attachments arrive either as
``{"url", "filename"?}`` or, staged at accept time, as ``{"staged", "filename", "contentType",
"size"}``.

``events`` names the webhook events a succeeded mutation produces (SPEC 6.3): ids and the names
of changed members, never values; webhooks adds ``mutationId`` and ``source`` and delivers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from mutations.models import Mutation, MutationStatus
from mutations.registry import OperationHandler, register_operation
from mutations.services import mutation_cancel
from mutations.steps import Step, StepOutcome, Upload, WriteItem
from regions.models import CustomField

from . import mapping, matching, mirror
from .fields import (
    ATTACHMENT_MEMBERS,
    CANDIDATE_FIELDS_BY_NAME,
    CANDIDATES_TABLE,
    COL_ARCHIVED,
    COL_MUTATION_KEY,
    COL_REGION,
    CREATE_DEFAULTS,
    INTERACTIONS_TABLE,
)
from .layout_file import configured_layout

MERGE_ON = (COL_MUTATION_KEY,)
# Airtable adds the reverse of a link column to the linked table, named after the linking table.
COL_CANDIDATE_INTERACTIONS = INTERACTIONS_TABLE
CANDIDATE_ERASED_ERROR = {
    "code": "CANDIDATE_DELETED",
    "message": "The candidate was deleted (GDPR erasure) before this write ran.",
    "retryable": False,
}
# Members of a candidate payload that are not candidate fields of its event.
NOT_CHANGED_FIELDS = frozenset({"interactions"})

Events = list[tuple[str, dict[str, Any]]]


def _column(api_name: str) -> str:
    return CANDIDATE_FIELDS_BY_NAME[api_name].column


def _custom_fields(mutation: Mutation) -> list[CustomField]:
    return list(CustomField.objects.filter(region_id=mutation.region_id))


def _pending(items: Iterable[WriteItem], done: dict[str, Any]) -> tuple[WriteItem, ...]:
    return tuple(item for item in items if item.key not in done)


def _state(mutation: Mutation, name: str) -> dict[str, Any]:
    return mutation.state.setdefault(name, {})


def _target(mutation: Mutation) -> str | None:
    targets = list(mutation.target_ids or [])
    return targets[0] if targets else None


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


def _url_attachments(candidate: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Attachment columns for files Airtable fetches itself (written with the record)."""
    columns: dict[str, list[dict[str, str]]] = {}
    for member in ATTACHMENT_MEMBERS:
        urls = [
            {k: v for k, v in (("url", f["url"]), ("filename", f.get("filename"))) if v}
            for f in candidate.get(member) or []
            if "url" in f
        ]
        if urls:
            columns[_column(member)] = urls
    return columns


def _staged_uploads(candidate: dict[str, Any], prefix: str) -> list[tuple[str, str, dict]]:
    """(key, column, file) for base64 files staged at accept time."""
    return [
        (f"{prefix}{member}.{index}", _column(member), f)
        for member in ATTACHMENT_MEMBERS
        for index, f in enumerate(candidate.get(member) or [])
        if "staged" in f
    ]


def _verify_uploads_step(
    mutation: Mutation, record_id: str, pending: list[tuple[str, str, dict]]
) -> Step | None:
    """After a request whose outcome is unknown (a timeout after Airtable stored the file, or
    a lease reclaimed from a worker that died mid-upload) an upload may have landed: look at
    the record once before uploading again. The engine counts those requests, and only sends
    this step after the quarantine, so anything in flight has landed by then."""
    if pending and mutation.unknown_outcomes > mutation.state.get("uploads_verified_at", 0):
        return Step(action="get", table=CANDIDATES_TABLE, record_id=record_id)
    return None


def _record_verification(
    mutation: Mutation, record: dict[str, Any] | None, pending: list[tuple[str, str, dict]]
) -> None:
    mutation.state["uploads_verified_at"] = mutation.unknown_outcomes
    fields = (record or {}).get("fields", {})
    uploads = _state(mutation, "uploads")
    for key, column, file in pending:
        present = {(a.get("filename"), a.get("size")) for a in fields.get(column) or []}
        if (file["filename"], file["size"]) in present:
            uploads[key] = True


def _upload_step(record_id: str, upload: tuple[str, str, dict]) -> Step:
    _, column, file = upload
    return Step(
        action="upload",
        table=CANDIDATES_TABLE,
        upload=Upload(
            record_id=record_id,
            field=column,
            filename=file["filename"],
            content_type=file["contentType"],
            storage_path=file["staged"],
        ),
    )


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
        self.table = table
        self.fixed_fields = fixed_fields
        self.event = event
        self.id_member = id_member
        self.changed = changed

    def _fields(self, mutation: Mutation) -> dict[str, Any]:
        if self.fixed_fields is not None:
            return dict(self.fixed_fields)
        changes = mutation.payload["fields"]
        if self.table == CANDIDATES_TABLE:
            return mapping.candidate_to_airtable(changes, custom_fields=_custom_fields(mutation))
        return mapping.interaction_to_airtable(changes)

    def next_step(self, mutation: Mutation) -> Step | None:
        if "0" in _state(mutation, "records"):
            return None
        item = WriteItem(key="0", fields=self._fields(mutation), record_id=mutation.target_ids[0])
        return Step(action="update", table=self.table, items=(item,))

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        _state(mutation, "records").update(outcome.records)

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        record = _state(mutation, "records")["0"]
        apply = (
            mirror.candidate_mirror_apply
            if self.table == CANDIDATES_TABLE
            else mirror.interaction_mirror_apply
        )
        apply(environment=mutation.environment, records=[record])
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


class AttachmentAdd:
    """Files for an existing candidate: URL files are appended to the column (Airtable
    fetches them), base64 files go through upload-attachment, then the record is re-read."""

    def _candidate(self, mutation: Mutation) -> dict[str, Any]:
        return mutation.payload

    def next_step(self, mutation: Mutation) -> Step | None:
        record_id = mutation.target_ids[0]
        state = mutation.state
        if "current" not in state:
            return Step(action="get", table=CANDIDATES_TABLE, record_id=record_id)
        urls = _url_attachments(self._candidate(mutation))
        if urls and "urls" not in _state(mutation, "records"):
            current = state["current"].get("fields", {})
            fields = {}
            for column, new in urls.items():
                # Append-only (SPEC 5.5): a file named like one already there is added too.
                keep = [{"id": a["id"]} for a in current.get(column) or []]
                fields[column] = keep + new
            return Step(
                action="update",
                table=CANDIDATES_TABLE,
                items=(WriteItem(key="urls", fields=fields, record_id=record_id),),
            )
        done = _state(mutation, "uploads")
        pending = [u for u in _staged_uploads(self._candidate(mutation), "") if u[0] not in done]
        if pending:
            verify = _verify_uploads_step(mutation, record_id, pending)
            return verify or _upload_step(record_id, pending[0])
        if "final" not in state:
            return Step(action="get", table=CANDIDATES_TABLE, record_id=record_id)
        return None

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        state = mutation.state
        if step.action == "update":
            _state(mutation, "records").update(outcome.records)
        elif step.action == "upload":
            assert step.upload is not None
            key = next(
                k
                for k, _, f in _staged_uploads(self._candidate(mutation), "")
                if f["staged"] == step.upload.storage_path
            )
            _state(mutation, "uploads")[key] = True
        elif "current" not in state:
            state["current"] = outcome.record or {"fields": {}}
        else:
            done = _state(mutation, "uploads")
            pending = [
                u for u in _staged_uploads(self._candidate(mutation), "") if u[0] not in done
            ]
            if pending:
                _record_verification(mutation, outcome.record, pending)
            else:
                state["final"] = outcome.record

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        record = mutation.state.get("final")
        if record:
            mirror.candidate_mirror_apply(environment=mutation.environment, records=[record])
        return {"recordIds": list(mutation.target_ids)}

    def events(self, mutation: Mutation) -> Events:
        payload = mutation.payload or {}
        fields = [m for m in ATTACHMENT_MEMBERS if payload.get(m)]
        return [("attachment.added", {"candidateId": _target(mutation), "changedFields": fields})]


class AttachmentRemove:
    def next_step(self, mutation: Mutation) -> Step | None:
        record_id = mutation.target_ids[0]
        state = mutation.state
        if "current" not in state:
            return Step(action="get", table=CANDIDATES_TABLE, record_id=record_id)
        if "records" in state or state.get("absent"):
            return None
        attachment_id = mutation.payload["attachmentId"]
        fields = state["current"].get("fields", {})
        for member in ATTACHMENT_MEMBERS:
            files = fields.get(_column(member)) or []
            if any(a.get("id") == attachment_id for a in files):
                keep = [{"id": a["id"]} for a in files if a.get("id") != attachment_id]
                return Step(
                    action="update",
                    table=CANDIDATES_TABLE,
                    items=(
                        WriteItem(key="0", fields={_column(member): keep}, record_id=record_id),
                    ),
                )
        return None

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        if step.action == "get":
            mutation.state["current"] = outcome.record or {"fields": {}}
            if outcome.record is None:
                mutation.state["absent"] = True
        else:
            _state(mutation, "records").update(outcome.records)

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        record = _state(mutation, "records").get("0") or mutation.state.get("current")
        if record and record.get("id"):
            mirror.candidate_mirror_apply(environment=mutation.environment, records=[record])
        return {
            "recordIds": list(mutation.target_ids),
            "removed": bool(_state(mutation, "records")),
        }

    def events(self, mutation: Mutation) -> Events:
        if not (mutation.result or {}).get("removed"):
            return []
        data = {
            "candidateId": _target(mutation),
            "changedFields": [],
            "attachmentIds": [(mutation.payload or {}).get("attachmentId")],
        }
        return [("attachment.removed", data)]


HANDLERS: dict[str, OperationHandler] = {
    "candidate.create": CandidateCreate(),
    "candidate.upsert": CandidateUpsert(),
    "candidate.update": RecordUpdate(
        CANDIDATES_TABLE, event="candidate.updated", id_member="candidateId"
    ),
    "candidate.archive": RecordUpdate(
        CANDIDATES_TABLE,
        fixed_fields={COL_ARCHIVED: True},
        event="candidate.archived",
        id_member="candidateId",
        changed=("archived",),
    ),
    "candidate.unarchive": RecordUpdate(
        CANDIDATES_TABLE,
        fixed_fields={COL_ARCHIVED: False},
        event="candidate.unarchived",
        id_member="candidateId",
        changed=("archived",),
    ),
    "candidate.delete": CandidateDelete(),
    "interaction.create": InteractionCreate(),
    "interaction.update": RecordUpdate(
        INTERACTIONS_TABLE, event="interaction.updated", id_member="interactionId"
    ),
    "interaction.delete": InteractionDelete(),
    "attachment.add": AttachmentAdd(),
    "attachment.remove": AttachmentRemove(),
}


LABELS = {
    "candidate.create": _("Create candidate"),
    "candidate.upsert": _("Create or update candidate"),
    "candidate.update": _("Update candidate"),
    "candidate.archive": _("Archive candidate"),
    "candidate.unarchive": _("Unarchive candidate"),
    "candidate.delete": _("Delete candidate"),
    "interaction.create": _("Add interaction"),
    "interaction.update": _("Update interaction"),
    "interaction.delete": _("Delete interaction"),
    "attachment.add": _("Add attachment"),
    "attachment.remove": _("Remove attachment"),
}


def register_operations() -> None:
    for name, handler in HANDLERS.items():
        register_operation(name, handler, LABELS[name])
