"""Add files to an existing candidate, or remove one (SPEC 5.1)."""

from __future__ import annotations

from typing import Any

from mutations.models import Mutation
from mutations.steps import Step, StepOutcome, WriteItem

from .. import mirror
from ..fields import ATTACHMENT_MEMBERS, CANDIDATES_TABLE
from .common import (
    Events,
    _column,
    _record_verification,
    _staged_uploads,
    _state,
    _target,
    _upload_step,
    _url_attachments,
    _verify_uploads_step,
)


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
