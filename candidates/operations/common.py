"""What the candidate operations share: their state bookkeeping, the record they target,
and the attachment plumbing (URL files written with the record; base64 files staged at accept
time, uploaded one by one and verified after an unknown outcome).

The helpers keep their leading underscore: they are private to this package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mutations.models import Mutation
from mutations.steps import Step, Upload, WriteItem
from regions.models import CustomField

from ..fields import (
    ATTACHMENT_MEMBERS,
    CANDIDATE_FIELDS_BY_NAME,
    CANDIDATES_TABLE,
    COL_MUTATION_KEY,
)

MERGE_ON = (COL_MUTATION_KEY,)

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
