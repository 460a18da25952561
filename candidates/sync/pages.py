"""Applying one listed page to the mirror (docs/sync.md "Our own changes"): compare each
record with its mirror row, defer what a running mutation may be writing, apply the rest with
the mirror services and announce staff changes as events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction

from regions.models import CustomField, Region

from ..fields import CANDIDATES_TABLE, COL_REGION, INTERACTIONS_TABLE, PHASES
from ..mapping import (
    ATTACHMENT_FIELDS,
    CANDIDATE_ATTRIBUTES,
    INTERACTION_ATTRIBUTES,
    airtable_region_code,
    candidate_from_airtable,
    interaction_from_airtable,
)
from ..mirror import candidate_mirror_apply, interaction_mirror_apply
from ..models import Candidate, Interaction
from .in_flight import InFlight, in_flight_now
from .job import SyncJob, record_modified

if TYPE_CHECKING:
    from ..tables import TableSpec

REASON_NO_REGION = "no region"
REASON_UNKNOWN_REGION = "unknown region"
REASON_UNKNOWN_PHASE = "unknown phase option"

# An event to emit: the region told, the event type, its data.
Announcement = tuple[Region, str, dict[str, Any]]


# --- applying one page --------------------------------------------------------------------------


@dataclass
class PageOutcome:
    seen: int = 0
    changed: int = 0
    max_modified: datetime | None = None
    min_deferred: datetime | None = None

    def saw(self, modified: datetime) -> None:
        self.seen += 1
        if self.max_modified is None or modified > self.max_modified:
            self.max_modified = modified

    def deferred(self, modified: datetime) -> None:
        if self.min_deferred is None or modified < self.min_deferred:
            self.min_deferred = modified


@dataclass
class _Change:
    record: dict[str, Any]
    before: Any  # the mirror row, None when new
    changed_fields: list[str]
    region: Region | None = None
    announce: bool = True  # False for a repair of drift: nothing changed in Airtable


def _mirrored_since_listing(sync: SyncJob, row: Any, modified: datetime) -> bool:
    """Version stamps have whole-second resolution: an engine write mirrored after this page
    was listed, within the same second as the listed version, cannot be ordered by stamp, and
    the mirror's copy is at least as new. The next run reads the record again anyway."""
    listed_at = sync.page_listed_at
    return (
        listed_at is not None
        and modified == row.airtable_modified_at
        and row.mirrored_at is not None
        and row.mirrored_at > listed_at
    )


def _candidate_snapshot(
    values: dict[str, Any], attachments: Iterable[tuple[str, int, str]]
) -> dict[str, Any]:
    snapshot = {name: values[attr] for name, attr in CANDIDATE_ATTRIBUTES.items()}
    snapshot["customFields"] = values["custom_fields"]
    ordered = sorted(attachments)
    for spec in ATTACHMENT_FIELDS:
        snapshot[spec.name] = [att_id for fld, _, att_id in ordered if fld == spec.name]
    return snapshot


def _candidate_row_snapshot(row: Candidate) -> dict[str, Any]:
    values = {attr: getattr(row, attr) for attr in CANDIDATE_ATTRIBUTES.values()}
    values["custom_fields"] = row.custom_fields
    return _candidate_snapshot(
        values, ((a.field, a.position, a.attachment_id) for a in row.attachments.all())
    )


def _candidate_values_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    return _candidate_snapshot(
        values, ((a["field"], a["position"], a["attachment_id"]) for a in values["attachments"])
    )


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def _is_filled(value: Any) -> bool:
    if isinstance(value, dict):  # custom fields: filled when any of them is
        return any(_is_filled(item) for item in value.values())
    # An unticked checkbox is as empty as a blank cell, in Airtable's eyes and ours.
    return value is not False and value not in (None, "", [])


def _filled(snapshot: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in snapshot.items() if _is_filled(value))


def _regions_for(records: Sequence[dict[str, Any]]) -> tuple[dict[str, Region], dict[Any, Any]]:
    codes = {airtable_region_code((r.get("fields") or {}).get(COL_REGION)) for r in records}
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    custom: dict[Any, dict[str, CustomField]] = {region.pk: {} for region in regions.values()}
    for definition in CustomField.objects.filter(region__in=regions.values()):
        custom[definition.region_id][definition.airtable_column] = definition
    return regions, custom


def sync_candidate_page(sync: SyncJob, records: list[dict[str, Any]], *, full: bool) -> PageOutcome:
    outcome = PageOutcome()
    # Read before the mirror rows: a mutation that finishes in between is then either still
    # active here or already visible in the mirror, never neither.
    in_flight = in_flight_now(sync.environment)
    regions, custom = _regions_for(records)
    incoming: dict[str, tuple[dict[str, Any], dict[str, Any], Region]] = {}
    for record in records:
        outcome.saw(record_modified(record))
        code = airtable_region_code((record.get("fields") or {}).get(COL_REGION))
        region = regions.get(code)
        if region is None:  # not mirrored: reported, so staff can fix the record
            reason = f"{REASON_UNKNOWN_REGION} {code!r}" if code else REASON_NO_REGION
            sync.unplaced(CANDIDATES_TABLE, record["id"], reason)
            continue
        values = candidate_from_airtable(record, custom_fields_by_column=custom[region.pk])
        if values["phase"] and values["phase"] not in PHASES:
            # Mirrored as it is (nothing is dropped), and reported: the API's enum lacks it.
            sync.unplaced(
                CANDIDATES_TABLE, record["id"], f"{REASON_UNKNOWN_PHASE} {values['phase']!r}"
            )
        incoming[record["id"]] = (record, values, region)
    with transaction.atomic():
        existing = {
            row.record_id: row
            for row in Candidate.objects.select_for_update(of=("self",))
            .select_related("region")
            .prefetch_related("attachments")
            .filter(environment=sync.environment, record_id__in=list(incoming))
        }
        changes = []
        for record_id, (record, values, region) in incoming.items():
            row = existing.get(record_id)
            after = _candidate_values_snapshot(values)
            if row is None:
                changes.append(_Change(record, None, _filled(after), region))
                continue
            modified = values["airtable_modified_at"]
            if modified < row.airtable_modified_at or _mirrored_since_listing(sync, row, modified):
                continue  # the mirror already holds a newer version
            differences = _differences(_candidate_row_snapshot(row), after)
            if row.region_id != region.pk:
                differences = sorted({*differences, "region"})
            newer = modified > row.airtable_modified_at
            if not newer and not differences:
                continue  # exactly the version the engine (or an earlier sync) mirrored
            # Same version, other values: a second edit within the timestamp's resolution
            # (announced), or drift only the full reconcile finds (repaired quietly). A newer
            # version without mirrored differences (a column we do not map changed) is still
            # applied, so the mirror holds Airtable's latest version.
            announce = newer or not full
            changes.append(_Change(record, row, differences, region, announce=announce))
        _apply_candidates(sync, changes, outcome, in_flight)
    return outcome


def _not_in_flight(
    changes: list[_Change], outcome: PageOutcome, in_flight: InFlight
) -> list[_Change]:
    """Changes to apply now; records a running mutation may be writing are deferred (the
    engine mirrors them when it finishes, or the next sync does)."""
    ready = []
    for change in changes:
        if in_flight.touches(change.record):
            outcome.deferred(record_modified(change.record))
        else:
            ready.append(change)
    return ready


def _apply_candidates(
    sync: SyncJob, changes: list[_Change], outcome: PageOutcome, in_flight: InFlight
) -> None:
    if not changes:
        return
    ready = _not_in_flight(changes, outcome, in_flight)
    rows = candidate_mirror_apply(
        environment=sync.environment, records=[change.record for change in ready]
    )
    applied = {row.record_id: row for row in rows}
    for change in ready:
        row = applied.get(change.record["id"])
        if row is None or row.airtable_modified_at != record_modified(change.record):
            continue
        outcome.changed += 1
        if change.announce:
            _announce_candidate(sync, change)


def _announce_candidate(sync: SyncJob, change: _Change) -> None:
    record_id, region = change.record["id"], change.region
    assert region is not None
    before = change.before
    if before is None or before.region_id != region.pk:
        if before is not None:
            # Moved to another region: gone for the old one, new for the new one.
            sync.emit(
                region=before.region, event="candidate.deleted", data={"candidateId": record_id}
            )
        if before is not None or sync.announce_created[CANDIDATES_TABLE]:
            data = {"candidateId": record_id, "changedFields": change.changed_fields}
            sync.emit(region=region, event="candidate.created", data=data)
        return
    if not change.changed_fields:
        return
    event = "candidate.updated"
    if "archived" in change.changed_fields:
        event = "candidate.unarchived" if before.archived else "candidate.archived"
    data = {"candidateId": record_id, "changedFields": change.changed_fields}
    sync.emit(region=region, event=event, data=data)


def _interaction_snapshot(values: dict[str, Any], candidate_record_id: str) -> dict[str, Any]:
    snapshot = {name: values[attr] for name, attr in INTERACTION_ATTRIBUTES.items()}
    snapshot["candidateId"] = candidate_record_id
    return snapshot


def sync_interaction_page(
    sync: SyncJob, records: list[dict[str, Any]], *, full: bool
) -> PageOutcome:
    outcome = PageOutcome()
    in_flight = in_flight_now(sync.environment)  # before the mirror rows, as for candidates
    incoming = {}
    for record in records:
        outcome.saw(record_modified(record))
        incoming[record["id"]] = (record, interaction_from_airtable(record))
    with transaction.atomic():
        existing = {
            row.record_id: row
            for row in Interaction.objects.select_for_update(of=("self",))
            .select_related("candidate")
            .filter(environment=sync.environment, record_id__in=list(incoming))
        }
        changes = []
        for record_id, (record, values) in incoming.items():
            row = existing.get(record_id)
            if row is None:
                changes.append(_Change(record, None, []))
                continue
            modified = values["airtable_modified_at"]
            if modified < row.airtable_modified_at or _mirrored_since_listing(sync, row, modified):
                continue
            before = _interaction_snapshot(
                {attr: getattr(row, attr) for attr in INTERACTION_ATTRIBUTES.values()},
                row.candidate.record_id,
            )
            differences = _differences(
                before, _interaction_snapshot(values, values["candidate_record_id"])
            )
            newer = modified > row.airtable_modified_at
            if newer or differences:
                # As for candidates: drift the full reconcile repairs is not announced.
                changes.append(_Change(record, row, differences, announce=newer or not full))
        if not changes:
            return outcome
        ready = _not_in_flight(changes, outcome, in_flight)
        rows = interaction_mirror_apply(
            environment=sync.environment, records=[change.record for change in ready]
        )
        applied = {row.record_id: row for row in rows}
        regions = {r.pk: r for r in Region.objects.filter(pk__in={r.region_id for r in rows})}
        for change in ready:
            row = applied.get(change.record["id"])
            if row is None or row.airtable_modified_at != record_modified(change.record):
                continue  # its candidate is not mirrored (yet)
            outcome.changed += 1
            candidate_id = incoming[row.record_id][1]["candidate_record_id"]
            data = {"interactionId": row.record_id, "candidateId": candidate_id}
            if change.before is None and sync.announce_created[INTERACTIONS_TABLE]:
                sync.emit(region=regions[row.region_id], event="interaction.created", data=data)
            elif change.before is not None and change.announce and change.changed_fields:
                sync.emit(
                    region=regions[row.region_id],
                    event="interaction.updated",
                    data={**data, "changedFields": change.changed_fields},
                )
    return outcome


class PageApplier(Protocol):
    """A table's page applier (``TableSpec.sync_page``): compare a listed page with the
    mirror, apply what changed and announce it."""

    def __call__(
        self, sync: SyncJob, records: list[dict[str, Any]], *, full: bool
    ) -> PageOutcome: ...


class DeletionEvents(Protocol):
    """A table's deletion announcements (``TableSpec.deletion_events``): the events for mirror
    rows about to be removed, read before they go."""

    def __call__(self, *, environment: str, record_ids: list[str]) -> list[Announcement]: ...


def apply_page(
    sync: SyncJob, spec: TableSpec, records: list[dict[str, Any]], *, full: bool
) -> PageOutcome:
    """Apply one listed page of ``spec``'s table and add it to the table's run counters."""
    if not records:
        return PageOutcome()
    outcome = spec.sync_page(sync, records, full=full)
    stats = sync.table_stats(spec.name)
    stats["seen"] += outcome.seen
    stats["changed"] += outcome.changed
    if outcome.max_modified and (
        stats["max_modified"] is None
        or outcome.max_modified > datetime.fromisoformat(stats["max_modified"])
    ):
        stats["max_modified"] = _iso(outcome.max_modified)
    if outcome.min_deferred and (
        stats["min_deferred"] is None
        or outcome.min_deferred < datetime.fromisoformat(stats["min_deferred"])
    ):
        stats["min_deferred"] = _iso(outcome.min_deferred)
    return outcome


def candidate_deletion_events(*, environment: str, record_ids: list[str]) -> list[Announcement]:
    rows = Candidate.objects.select_related("region").filter(
        environment=environment, record_id__in=record_ids
    )
    return [(row.region, "candidate.deleted", {"candidateId": row.record_id}) for row in rows]


def interaction_deletion_events(*, environment: str, record_ids: list[str]) -> list[Announcement]:
    rows = Interaction.objects.select_related("region", "candidate").filter(
        environment=environment, record_id__in=record_ids
    )
    return [
        (
            row.region,
            "interaction.deleted",
            {"interactionId": row.record_id, "candidateId": row.candidate.record_id},
        )
        for row in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
