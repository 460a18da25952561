"""Writes to the candidate mirror. Callers (the Mutation Engine, the sync jobs) pass raw Airtable
records and usually hold their own transaction; each service is atomic on its own too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from regions.models import CustomField, Region

from .fields import COL_REGION
from .mapping import airtable_region_code, candidate_from_airtable, interaction_from_airtable
from .models import Attachment, Candidate, Interaction

logger = structlog.get_logger(__name__)

_KEYS = ("environment", "record_id")
_CANDIDATE_UPDATE_FIELDS = [
    f.name for f in Candidate._meta.concrete_fields if f.name not in ("id", *_KEYS)
]
_INTERACTION_UPDATE_FIELDS = [
    f.name for f in Interaction._meta.concrete_fields if f.name not in ("id", *_KEYS)
]


def _newest_per_record(values: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One version per record id: the newest (the later one on a tie)."""
    newest: dict[str, dict[str, Any]] = {}
    for value in values:
        current = newest.get(value["record_id"])
        if current is None or value["airtable_modified_at"] >= current["airtable_modified_at"]:
            newest[value["record_id"]] = value
    return newest


def _split_stale(
    model: type[Candidate] | type[Interaction],
    *,
    environment: str,
    incoming: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], set[str]]:
    """Lock the existing rows; return them by record id, and the ids whose mirror row is newer
    than the incoming version (those are never overwritten)."""
    existing = {
        row.record_id: row
        for row in model.objects.select_for_update()
        .filter(environment=environment, record_id__in=list(incoming))
        .only("id", "record_id", "region_id", "airtable_modified_at")
    }
    stale = {
        record_id
        for record_id, row in existing.items()
        if row.airtable_modified_at > incoming[record_id]["airtable_modified_at"]
    }
    return existing, stale


def _in_request_order(record_ids: Iterable[str | None], rows: Iterable[Any]) -> list[Any]:
    by_id = {row.record_id: row for row in rows}
    seen: set[str | None] = set()
    ordered = []
    for record_id in record_ids:
        if record_id in by_id and record_id not in seen:
            seen.add(record_id)
            ordered.append(by_id[record_id])
    return ordered


@transaction.atomic
def candidate_mirror_apply(
    *, environment: str, records: Sequence[Mapping[str, Any]]
) -> list[Candidate]:
    """Upsert raw Airtable candidate records into the mirror; replace their attachments.

    The region comes from the ``Regio`` column; records of an unknown region are skipped and
    logged. A row is never overwritten by an older Airtable version (``Laatst gewijzigd``); an
    equal one is applied again. Returns the mirror rows of the applied and the already-newer
    records, in the order of ``records``.
    """
    if not records:
        return []
    codes = {airtable_region_code((r.get("fields") or {}).get(COL_REGION)) for r in records}
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    custom_fields: dict[Any, dict[str, CustomField]] = {
        region.pk: {} for region in regions.values()
    }
    for definition in CustomField.objects.filter(region__in=regions.values()):
        custom_fields[definition.region_id][definition.airtable_column] = definition

    parsed, skipped = [], []
    for record in records:
        code = airtable_region_code((record.get("fields") or {}).get(COL_REGION))
        region = regions.get(code)
        if region is None:
            skipped.append((record.get("id"), code))
            continue
        values = candidate_from_airtable(record, custom_fields_by_column=custom_fields[region.pk])
        values["region"] = region
        parsed.append(values)
    if skipped:
        logger.warning(
            "candidates.mirror.unknown_region",
            environment=environment,
            records=[{"id": rid, "region": code} for rid, code in skipped],
        )

    incoming = _newest_per_record(parsed)
    existing, stale = _split_stale(Candidate, environment=environment, incoming=incoming)
    now = timezone.now()
    rows, attachments = [], {}
    for record_id, values in incoming.items():
        if record_id in stale:
            continue
        values = dict(values)
        values.pop("region_code")
        attachments[record_id] = values.pop("attachments")
        rows.append(Candidate(environment=environment, mirrored_at=now, **values))
    if rows:
        Candidate.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=list(_KEYS),
            update_fields=_CANDIDATE_UPDATE_FIELDS,
        )
        _replace_attachments(rows, attachments)
        for row in rows:
            before = existing.get(row.record_id)
            if before is not None and before.region_id != row.region_id:
                Interaction.objects.filter(candidate_id=row.pk).update(region_id=row.region_id)
    kept = list(Candidate.objects.filter(environment=environment, record_id__in=stale))
    return _in_request_order((r.get("id") for r in records), [*rows, *kept])


def _replace_attachments(
    rows: list[Candidate], attachments: dict[str, list[dict[str, Any]]]
) -> None:
    Attachment.objects.filter(candidate__in=[row.pk for row in rows]).delete()
    Attachment.objects.bulk_create(
        [
            Attachment(candidate_id=row.pk, **item)
            for row in rows
            for item in attachments[row.record_id]
        ]
    )


@transaction.atomic
def interaction_mirror_apply(
    *, environment: str, records: Sequence[Mapping[str, Any]]
) -> list[Interaction]:
    """Upsert raw Airtable interaction records. The candidate comes from the ``Kandidaat`` link
    (and the region from the candidate); records whose candidate is not mirrored are skipped and
    logged. Never overwrites a newer row. Returns rows in the order of ``records``."""
    if not records:
        return []
    parsed = [interaction_from_airtable(record) for record in records]
    candidates = {
        row.record_id: row
        for row in Candidate.objects.filter(
            environment=environment, record_id__in={v["candidate_record_id"] for v in parsed}
        ).only("id", "record_id", "region_id")
    }
    linked, skipped = [], []
    for values in parsed:
        candidate = candidates.get(values.pop("candidate_record_id"))
        if candidate is None:
            skipped.append(values["record_id"])
            continue
        values["candidate_id"], values["region_id"] = candidate.pk, candidate.region_id
        linked.append(values)
    if skipped:
        logger.warning(
            "candidates.mirror.unknown_candidate", environment=environment, records=skipped
        )

    incoming = _newest_per_record(linked)
    _existing, stale = _split_stale(Interaction, environment=environment, incoming=incoming)
    now = timezone.now()
    rows = [
        Interaction(environment=environment, mirrored_at=now, **values)
        for record_id, values in incoming.items()
        if record_id not in stale
    ]
    if rows:
        Interaction.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=list(_KEYS),
            update_fields=_INTERACTION_UPDATE_FIELDS,
        )
    kept = list(Interaction.objects.filter(environment=environment, record_id__in=stale))
    return _in_request_order((r.get("id") for r in records), [*rows, *kept])


@transaction.atomic
def candidate_mirror_delete(*, environment: str, record_ids: Iterable[str]) -> int:
    """Remove candidates (with their interactions and attachments). Returns candidates removed;
    ids that are not mirrored are ignored, so a repeated delete is harmless."""
    _total, per_model = Candidate.objects.filter(
        environment=environment, record_id__in=list(record_ids)
    ).delete()
    return per_model.get(Candidate._meta.label, 0)


@transaction.atomic
def interaction_mirror_delete(*, environment: str, record_ids: Iterable[str]) -> int:
    _total, per_model = Interaction.objects.filter(
        environment=environment, record_id__in=list(record_ids)
    ).delete()
    return per_model.get(Interaction._meta.label, 0)
