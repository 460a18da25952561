"""Scheduled jobs that pull Airtable into the mirror (SPEC 9) and wipe the sandbox (SPEC 8).

Contracts that are easy to break (docs/sync.md has the reasoning):

* **Watermark.** The incremental sync lists, per table, the records whose ``Laatst gewijzigd``
  (or creation time, for a record never edited) is after ``watermark - AIRTABLE_SYNC_OVERLAP_S``.
  Only after the whole run succeeded does the watermark move, to
  ``max(old, min(newest version seen, run start))``, capped at the oldest deferred record, so a
  failed or partial run is simply read again. The mirror services never let an older version
  overwrite a newer one, so reading a record twice is harmless.
* **Our own changes.** The engine writes Airtable's answer into the mirror when a mutation ends,
  so a version the mirror already holds (same ``Laatst gewijzigd``, same values) is ours or
  already synced: no write, no event. A record an active, already-claimed mutation may be
  writing is *deferred* (not applied, no event; the engine applies it, or the next run does).
  Any other version is a staff change: applied, and one event names the fields whose mirrored
  values differ. A table's first run is its initial load and announces no creations.
* **Full reconcile.** Lists every record (mapped columns only) in slices of record-id space,
  repairs drift, and stores each listed id in ``SyncRunRecord``; once a table is listed, mirror
  rows neither listed nor mirrored since the run started are deletions. Progress (slices left,
  the Airtable offset) is saved with each page in the page's transaction, so a crash resumes at
  that page and an expired offset restarts only the current slice, split in four.
* **One at a time.** Every job holds its base's ``SyncLock`` (a claimed row with a lease renewed
  while it works); a second job for the same base waits or gives up cleanly.
* **Budget.** Every Airtable request takes a token from the base's limiter at sync priority
  (``mutations.limiter``): the engine always comes first.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from airtable.gateway import (
    KIND_RATE_LIMITED,
    KIND_RETRYABLE,
    MAX_PAGE_SIZE,
    MAX_RECORDS_PER_WRITE,
    AirtableError,
    AirtableGateway,
    RecordPage,
    gateway_for_environment,
)
from airtable.models import SyncLock, SyncMode, SyncRun, SyncRunRecord, SyncRunStatus, SyncState
from config.api.environment import SANDBOX
from mutations.limiter import PRIORITY_SYNC, AirtableBudget
from mutations.models import ACTIVE_STATUSES, Mutation
from regions.models import CustomField, Region

from .fields import (
    CANDIDATE_FIELDS,
    CANDIDATES_TABLE,
    COL_INTERACTION_CANDIDATE,
    COL_LAST_MODIFIED,
    COL_MUTATION_KEY,
    COL_REGION,
    INTERACTION_FIELDS,
    INTERACTIONS_TABLE,
    PHASES,
)
from .mapping import (
    ATTACHMENT_FIELDS,
    CANDIDATE_ATTRIBUTES,
    INTERACTION_ATTRIBUTES,
    airtable_region_code,
    candidate_from_airtable,
    interaction_from_airtable,
    parse_airtable_datetime,
)
from .mirror import (
    candidate_mirror_apply,
    candidate_mirror_delete,
    interaction_mirror_apply,
    interaction_mirror_delete,
)
from .models import Candidate, Interaction

logger = structlog.get_logger(__name__)

# Candidates first: an interaction is mirrored only once its candidate is.
TABLES = (CANDIDATES_TABLE, INTERACTIONS_TABLE)
EVENT_SOURCE = "airtable"
ITERATOR_EXPIRED = "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
UNKNOWN_FIELD = "UNKNOWN_FIELD_NAME"
# An incremental listing is short; one that keeps losing its iterator has a deeper problem.
MAX_LISTING_RESTARTS = 3
# Waits before retrying a request after a 5xx/timeout; then the run fails and the next one
# (a minute later for the incremental sync) starts over.
RETRY_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
MAX_RATE_LIMITED_RETRIES = 3  # each one waits out Airtable's 30 s penalty
# The full reconcile splits record-id space (``rec`` + 14 base-62 characters) in four per level
# when an iterator expires, so each part lists in a quarter of the time. Three levels (64
# slices) keep a listing short even at the sync's small share next to a busy engine.
RECORD_ID_SLICES = ("0-9A-F", "G-V", "W-Za-l", "m-z")
MAX_SLICE_DEPTH = 3
# Below this many rows the mass-delete guard stays out of the way (small and test bases).
MASS_DELETE_MIN_ROWS = 20
DELETE_CHUNK = 500
# How often a waiting job wakes to renew its lock lease (a fraction of the lease).
LOCK_RENEW_FRACTION = 0.2
MAX_SLEEP_S = 1.0
LOCK_POLL_S = 1.0
MAX_ERROR_CHARS = 2000
_RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")

# Records a sync could not place (no or unknown region, unknown phase option): all counted,
# this many listed in the run's report (command output and the back office).
MAX_UNPLACED_LISTED = 1000
REASON_NO_REGION = "no region"
REASON_UNKNOWN_REGION = "unknown region"
REASON_UNKNOWN_PHASE = "unknown phase option"

STATUS_SUCCEEDED = "succeeded"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"

Progress = Callable[[int], None]


class SyncError(Exception):
    """A sync that must stop: the lock was lost, or a guard refused to go on."""


@dataclass
class SyncResult:
    environment: str
    base_id: str
    mode: str
    status: str
    run_id: int | None = None
    requests: int = 0
    records_seen: int = 0
    records_changed: int = 0
    records_deleted: int = 0
    events: int = 0
    duration_s: float = 0.0
    error: str = ""
    watermarks: dict[str, datetime | None] = field(default_factory=dict)
    unplaced_count: int = 0
    unplaced: list[dict[str, str]] = field(default_factory=list)  # {"table", "id", "reason"}

    def unplaced_lines(self) -> list[str]:
        """The report of records the sync could not place, one line each."""
        lines = [f"  {u['table']} {u['id']}: {u['reason']}" for u in self.unplaced]
        if self.unplaced_count > len(self.unplaced):
            lines.append(f"  … and {self.unplaced_count - len(self.unplaced)} more")
        return lines

    def summary(self) -> str:
        """The one line the commands print and the tasks log."""
        head = f"{self.mode} sync of {self.environment} ({self.base_id})"
        if self.status == STATUS_SKIPPED:
            return f"{head}: skipped, {self.error}"
        if self.mode == SyncMode.WIPE:
            head = f"wipe of {self.environment} ({self.base_id})"
            figures = (
                f"{self.records_deleted} Airtable records deleted, "
                f"{self.requests} requests in {self.duration_s:.1f} s"
            )
            if self.status == STATUS_FAILED:
                return f"{head}: FAILED after {figures}: {self.error}"
            return f"{head}: {figures}; mirror emptied"
        figures = (
            f"{self.records_seen} records seen, {self.records_changed} changed, "
            f"{self.records_deleted} deleted, {self.events} events, "
            f"{self.requests} requests in {self.duration_s:.1f} s"
        )
        if self.status == STATUS_FAILED:
            return f"{head}: FAILED after {figures}: {self.error}"
        marks = ", ".join(
            f"{table} {mark.isoformat() if mark else '-'}"
            for table, mark in self.watermarks.items()
        )
        unplaced = (
            f"; {self.unplaced_count} records could not be placed" if self.unplaced_count else ""
        )
        return f"{head}: {figures}" + (f"; watermark {marks}" if marks else "") + unplaced


# --- the base lock ----------------------------------------------------------------------------


def sync_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


def sync_lock_acquire(*, base_id: str, owner: str, ttl_s: float | None = None) -> bool:
    """Claim the base for ``owner``: one conditional UPDATE that changes the row only while it
    is free or its lease has lapsed (works alike on Postgres and SQLite)."""
    ttl_s = settings.AIRTABLE_SYNC_LOCK_TTL_S if ttl_s is None else ttl_s
    SyncLock.objects.get_or_create(base_id=base_id)
    now = timezone.now()
    claimed = (
        SyncLock.objects.filter(base_id=base_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(owner=owner))
        .update(owner=owner, acquired_at=now, expires_at=now + timedelta(seconds=ttl_s))
    )
    return claimed == 1


def sync_lock_renew(*, base_id: str, owner: str, ttl_s: float | None = None) -> bool:
    """Extend the lease; False when another job took the base over (ours had lapsed)."""
    ttl_s = settings.AIRTABLE_SYNC_LOCK_TTL_S if ttl_s is None else ttl_s
    expires_at = timezone.now() + timedelta(seconds=ttl_s)
    return SyncLock.objects.filter(base_id=base_id, owner=owner).update(expires_at=expires_at) == 1


def sync_lock_release(*, base_id: str, owner: str) -> None:
    SyncLock.objects.filter(base_id=base_id, owner=owner).update(owner="", expires_at=None)


def _lock_holder(base_id: str) -> str:
    lock = SyncLock.objects.filter(base_id=base_id).first()
    if lock is None or not lock.owner:
        return "another job"
    until = lock.expires_at.isoformat(timespec="seconds") if lock.expires_at else "?"
    return f"{lock.owner} (lease until {until})"


def _acquire_waiting(*, base_id: str, owner: str, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while not sync_lock_acquire(base_id=base_id, owner=owner):
        if time.monotonic() + LOCK_POLL_S > deadline:
            return False
        time.sleep(LOCK_POLL_S)
    return True


# --- one job: requests, budget, lease ---------------------------------------------------------


@dataclass
class _Sync:
    environment: str
    gateway: AirtableGateway
    budget: AirtableBudget
    run: SyncRun
    owner: str
    progress: Progress | None
    # When the page being applied was requested: a mirror row written after it with the same
    # (whole-second) version stamp may be newer than the listed version (see _sync_page).
    page_listed_at: datetime | None = None
    # Per table: False on its first run (the initial load announces no creations).
    announce_created: dict[str, bool] = field(default_factory=dict)
    lock_renewed_at: float = field(default_factory=time.monotonic)

    def table_stats(self, table: str) -> dict[str, Any]:
        tables = self.run.cursor.setdefault("tables", {})
        return tables.setdefault(
            table,
            {"seen": 0, "changed": 0, "deleted": 0, "max_modified": None, "min_deferred": None},
        )

    def unplaced(self, table: str, record_id: str, reason: str) -> None:
        report = self.run.cursor.setdefault("unplaced", {"count": 0, "records": []})
        report["count"] += 1
        if len(report["records"]) < MAX_UNPLACED_LISTED:
            report["records"].append({"table": table, "id": record_id, "reason": reason})

    def keep_lock(self) -> None:
        ttl_s = settings.AIRTABLE_SYNC_LOCK_TTL_S
        if time.monotonic() - self.lock_renewed_at < ttl_s * LOCK_RENEW_FRACTION:
            return
        if not sync_lock_renew(base_id=self.gateway.base_id, owner=self.owner):
            raise SyncError("lost the base lock to another job (lease lapsed)")
        self.lock_renewed_at = time.monotonic()

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, MAX_SLEEP_S))
            self.keep_lock()

    def request(self, send: Callable[[], Any]) -> Any:
        """One Airtable request through the budget, with the read-side retries."""
        retries = rate_limited = 0
        while True:
            while (wait := self.budget.try_acquire()) > 0:
                self.sleep(wait)
            self.keep_lock()
            self.run.requests += 1
            try:
                return send()
            except AirtableError as error:
                if error.kind == KIND_RATE_LIMITED and rate_limited < MAX_RATE_LIMITED_RETRIES:
                    rate_limited += 1
                    self.budget.pause()  # every engine worker waits the penalty out too
                elif error.kind == KIND_RETRYABLE and retries < len(RETRY_BACKOFF_S):
                    self.sleep(RETRY_BACKOFF_S[retries])
                    retries += 1
                else:
                    raise

    def list_page(
        self,
        table: str,
        *,
        formula: str | None = None,
        fields: Sequence[str] | None = None,
        offset: str | None = None,
    ) -> RecordPage:
        self.page_listed_at = timezone.now()
        page = self.request(
            lambda: self.gateway.list_records(
                table, formula=formula, fields=fields, offset=offset, page_size=MAX_PAGE_SIZE
            )
        )
        if self.progress is not None:
            self.progress(len(page.records))
        return page

    def emit(self, *, region: Region, event: str, data: dict[str, Any]) -> None:
        # Imported here: webhooks sits above candidates and is told about changes.
        from webhooks.services import event_emit

        event_emit(
            region=region,
            environment=self.environment,
            event=event,
            data={**data, "source": EVENT_SOURCE},
        )
        self.run.events += 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _record_modified(record: dict[str, Any]) -> datetime:
    fields = record.get("fields") or {}
    modified = parse_airtable_datetime(fields.get(COL_LAST_MODIFIED))
    return modified or parse_airtable_datetime(record["createdTime"])  # type: ignore[return-value]


# --- what the engine may be writing right now ---------------------------------------------------


@dataclass
class _InFlight:
    record_ids: set[str]
    mutation_ids: set[str]

    def touches(self, record: dict[str, Any]) -> bool:
        if record["id"] in self.record_ids:
            return True
        key = str((record.get("fields") or {}).get(COL_MUTATION_KEY) or "")
        return bool(key) and key.partition(":")[0] in self.mutation_ids


def _record_ids_in(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if _RECORD_ID.match(value):
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _record_ids_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _record_ids_in(item, found)


def _in_flight(environment: str) -> _InFlight:
    """Records that active mutations which were already claimed once may be writing: their
    targets, the records their finished steps returned, and (through ``API Mutation Key``)
    records they created. A mutation never claimed has sent nothing yet."""
    record_ids: set[str] = set()
    mutation_ids: set[str] = set()
    for uuid, target_ids, state in Mutation.objects.filter(
        environment=environment, status__in=ACTIVE_STATUSES, started_at__isnull=False
    ).values_list("uuid", "target_ids", "state"):
        mutation_ids.add(str(uuid))
        _record_ids_in(target_ids, record_ids)
        _record_ids_in(state, record_ids)
    return _InFlight(record_ids=record_ids, mutation_ids=mutation_ids)


# --- applying one page --------------------------------------------------------------------------


@dataclass
class _PageOutcome:
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


def _mirrored_since_listing(sync: _Sync, row: Any, modified: datetime) -> bool:
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


def _sync_candidate_page(sync: _Sync, records: list[dict[str, Any]], *, full: bool) -> _PageOutcome:
    outcome = _PageOutcome()
    # Read before the mirror rows: a mutation that finishes in between is then either still
    # active here or already visible in the mirror, never neither.
    in_flight = _in_flight(sync.environment)
    regions, custom = _regions_for(records)
    incoming: dict[str, tuple[dict[str, Any], dict[str, Any], Region]] = {}
    for record in records:
        outcome.saw(_record_modified(record))
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
    changes: list[_Change], outcome: _PageOutcome, in_flight: _InFlight
) -> list[_Change]:
    """Changes to apply now; records a running mutation may be writing are deferred (the
    engine mirrors them when it finishes, or the next sync does)."""
    ready = []
    for change in changes:
        if in_flight.touches(change.record):
            outcome.deferred(_record_modified(change.record))
        else:
            ready.append(change)
    return ready


def _apply_candidates(
    sync: _Sync, changes: list[_Change], outcome: _PageOutcome, in_flight: _InFlight
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
        if row is None or row.airtable_modified_at != _record_modified(change.record):
            continue
        outcome.changed += 1
        if change.announce:
            _announce_candidate(sync, change)


def _announce_candidate(sync: _Sync, change: _Change) -> None:
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


def _sync_interaction_page(
    sync: _Sync, records: list[dict[str, Any]], *, full: bool
) -> _PageOutcome:
    outcome = _PageOutcome()
    in_flight = _in_flight(sync.environment)  # before the mirror rows, as for candidates
    incoming = {}
    for record in records:
        outcome.saw(_record_modified(record))
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
            if row is None or row.airtable_modified_at != _record_modified(change.record):
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


def _sync_page(
    sync: _Sync, table: str, records: list[dict[str, Any]], *, full: bool
) -> _PageOutcome:
    if not records:
        return _PageOutcome()
    page_sync = _sync_candidate_page if table == CANDIDATES_TABLE else _sync_interaction_page
    outcome = page_sync(sync, records, full=full)
    stats = sync.table_stats(table)
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


# --- incremental ----------------------------------------------------------------------------------


def formula_datetime(value: datetime) -> str:
    """An instant for ``filterByFormula``, in UTC with milliseconds, as Airtable writes them."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"DATETIME_PARSE('{text}')"


def changed_since_formula(since: datetime) -> str:
    """Records changed after ``since``; a record never edited has a blank last-modified cell
    in Airtable until its first edit, so its creation time counts."""
    moment = formula_datetime(since)
    return (
        f"OR(IS_AFTER({{{COL_LAST_MODIFIED}}}, {moment}), "
        f"AND({{{COL_LAST_MODIFIED}}} = BLANK(), IS_AFTER(CREATED_TIME(), {moment})))"
    )


def _incremental_table(sync: _Sync, table: str, watermark: datetime | None) -> None:
    formula = None
    if watermark is not None:
        since = watermark - timedelta(seconds=settings.AIRTABLE_SYNC_OVERLAP_S)
        formula = changed_since_formula(since)
    offset, restarts = None, 0
    while True:
        try:
            page = sync.list_page(table, formula=formula, offset=offset)
        except AirtableError as error:
            if error.error_type == ITERATOR_EXPIRED and restarts < MAX_LISTING_RESTARTS:
                # Re-reading from the start is safe: applying a version twice changes nothing.
                restarts += 1
                sync.run.restarts += 1
                offset = None
                continue
            raise
        _sync_page(sync, table, page.records, full=False)
        if not page.offset:
            return
        offset = page.offset


# --- full reconcile -------------------------------------------------------------------------------


def record_id_slice_formula(part: Sequence[int]) -> str | None:
    """The records whose id starts with the given character groups (None: all records)."""
    if not part:
        return None
    pattern = "^rec" + "".join(f"[{RECORD_ID_SLICES[group]}]" for group in part)
    return f"REGEX_MATCH(RECORD_ID(), '{pattern}')"


def _split(part: list[int]) -> list[list[int]]:
    if len(part) >= MAX_SLICE_DEPTH:
        return [part]
    return [[*part, group] for group in range(len(RECORD_ID_SLICES))]


def _listing_columns(table: str) -> list[str]:
    """The columns the mirror maps: listing only these keeps pages small when staff keep
    columns of their own in the base."""
    if table == CANDIDATES_TABLE:
        columns = [spec.column for spec in CANDIDATE_FIELDS]
        columns += [COL_REGION, COL_LAST_MODIFIED, COL_MUTATION_KEY]
        columns += CustomField.objects.order_by().values_list("airtable_column", flat=True)
    else:
        columns = [spec.column for spec in INTERACTION_FIELDS]
        columns += [COL_INTERACTION_CANDIDATE, COL_LAST_MODIFIED, COL_MUTATION_KEY]
    return list(dict.fromkeys(columns))


def _save_progress(sync: _Sync) -> None:
    SyncRun.objects.filter(pk=sync.run.pk).update(
        cursor=sync.run.cursor,
        requests=sync.run.requests,
        events=sync.run.events,
        restarts=sync.run.restarts,
    )


def _full_table(sync: _Sync, table: str, *, allow_mass_delete: bool) -> None:
    listing = sync.run.cursor.setdefault("listing", {}).setdefault(
        table, {"slices": [[]], "offset": None, "all_columns": False, "deleted": False}
    )
    columns = None if listing["all_columns"] else _listing_columns(table)
    while listing["slices"]:
        part = listing["slices"][0]
        try:
            page = sync.list_page(
                table,
                formula=record_id_slice_formula(part),
                fields=columns,
                offset=listing["offset"],
            )
        except AirtableError as error:
            if error.error_type == ITERATOR_EXPIRED:
                listing["slices"][0:1] = _split(part)
                listing["offset"] = None
                sync.run.restarts += 1
                _save_progress(sync)
                continue
            if error.error_type == UNKNOWN_FIELD and not listing["all_columns"]:
                # A custom field's column is missing from the base (airtable_check reports
                # it); list every column rather than fail the reconcile.
                logger.warning("sync.listing_all_columns", base=sync.gateway.base_id, table=table)
                listing.update(all_columns=True, offset=None)
                columns = None
                continue
            raise
        with transaction.atomic():
            _sync_page(sync, table, page.records, full=True)
            SyncRunRecord.objects.bulk_create(
                [SyncRunRecord(run=sync.run, record_id=r["id"]) for r in page.records],
                ignore_conflicts=True,
            )
            listing["offset"] = page.offset
            if not page.offset:
                listing["slices"].pop(0)
            _save_progress(sync)
    if not listing["deleted"]:
        deleted = _delete_unlisted(sync, table, allow_mass_delete=allow_mass_delete)
        sync.table_stats(table)["deleted"] += deleted
        listing["deleted"] = True
        _save_progress(sync)


def _delete_unlisted(sync: _Sync, table: str, *, allow_mass_delete: bool) -> int:
    """Remove mirror rows whose record the completed listing did not return. Rows mirrored
    after the run started are fresh by definition (the engine wrote them) and stay."""
    model = Candidate if table == CANDIDATES_TABLE else Interaction
    mirror = model.objects.filter(environment=sync.environment)
    listed = SyncRunRecord.objects.filter(run=sync.run).values("record_id")
    gone = list(
        mirror.filter(mirrored_at__lt=sync.run.started_at)
        .exclude(record_id__in=listed)
        .values_list("record_id", flat=True)
    )
    if not gone:
        return 0
    total = mirror.count()
    too_many = len(gone) > settings.AIRTABLE_SYNC_MAX_DELETE_FRACTION * total
    if too_many and len(gone) >= MASS_DELETE_MIN_ROWS and not allow_mass_delete:
        raise SyncError(
            f"refusing to delete {len(gone)} of {total} mirrored {table} records that "
            f"{sync.gateway.base_id} did not list; check the base id and token, then rerun "
            "with --allow-mass-delete"
        )
    deleted = 0
    for start in range(0, len(gone), DELETE_CHUNK):
        chunk = gone[start : start + DELETE_CHUNK]
        with transaction.atomic():
            if model is Candidate:
                rows = list(
                    Candidate.objects.select_related("region").filter(
                        environment=sync.environment, record_id__in=chunk
                    )
                )
                deleted += candidate_mirror_delete(environment=sync.environment, record_ids=chunk)
                for row in rows:
                    sync.emit(
                        region=row.region,
                        event="candidate.deleted",
                        data={"candidateId": row.record_id},
                    )
            else:
                gone_interactions = list(
                    Interaction.objects.select_related("region", "candidate").filter(
                        environment=sync.environment, record_id__in=chunk
                    )
                )
                deleted += interaction_mirror_delete(environment=sync.environment, record_ids=chunk)
                for interaction in gone_interactions:
                    sync.emit(
                        region=interaction.region,
                        event="interaction.deleted",
                        data={
                            "interactionId": interaction.record_id,
                            "candidateId": interaction.candidate.record_id,
                        },
                    )
    logger.info("sync.deleted", base=sync.gateway.base_id, table=table, records=deleted)
    return deleted


# --- runs -----------------------------------------------------------------------------------------


def _start_run(*, base_id: str, environment: str, mode: str, owner: str) -> SyncRun:
    """A new run, or for a full reconcile the interrupted one that is young enough to resume.
    Called with the base lock held, so no run of this base is really still running."""
    now = timezone.now()
    unfinished = SyncRun.objects.filter(
        base_id=base_id, status__in=[SyncRunStatus.RUNNING, SyncRunStatus.FAILED]
    )
    unfinished.exclude(mode=SyncMode.FULL).filter(status=SyncRunStatus.RUNNING).update(
        status=SyncRunStatus.FAILED, error="interrupted", finished_at=now
    )
    resumable = None
    if mode == SyncMode.FULL:
        max_age = timedelta(seconds=settings.AIRTABLE_SYNC_RESUME_MAX_AGE_S)
        resumable = (
            unfinished.filter(mode=SyncMode.FULL, started_at__gte=now - max_age)
            .order_by("-started_at")
            .first()
        )
        stale = unfinished.filter(mode=SyncMode.FULL)
        if resumable is not None:
            stale = stale.exclude(pk=resumable.pk)
        SyncRunRecord.objects.filter(run__in=stale).delete()
        stale.update(status=SyncRunStatus.ABANDONED, finished_at=now)
    if resumable is not None:
        resumable.status, resumable.owner, resumable.error = SyncRunStatus.RUNNING, owner, ""
        resumable.restarts += 1
        resumable.save(update_fields=["status", "owner", "error", "restarts"])
        logger.info("sync.resumed", base=base_id, run=resumable.pk)
        return resumable
    return SyncRun.objects.create(
        base_id=base_id, environment=environment, mode=mode, owner=owner, started_at=now
    )


def _next_watermark(
    old: datetime | None, stats: dict[str, Any], started_at: datetime
) -> datetime | None:
    newest = _dt(stats.get("max_modified"))
    # Records that changed while the run was listing may have been passed over; capping at
    # the run's start makes the next run read them.
    mark = old if newest is None else min(newest, started_at)
    if old is not None and mark is not None:
        mark = max(old, mark)
    deferred = _dt(stats.get("min_deferred"))
    if deferred is not None:
        mark = deferred if mark is None else min(mark, deferred)
    return mark


def _finish_run(sync: _Sync, *, status: str, error: str, tables: Sequence[str]) -> None:
    run = sync.run
    now = timezone.now()
    succeeded = status == SyncRunStatus.SUCCEEDED
    run.status, run.error, run.finished_at = status, error[:MAX_ERROR_CHARS], now
    run.duration_s = round((now - run.started_at).total_seconds(), 3)
    totals = [sync.table_stats(table) for table in tables]
    run.records_seen = sum(t["seen"] for t in totals)
    run.records_changed = sum(t["changed"] for t in totals)
    run.records_deleted = sum(t["deleted"] for t in totals)
    fields = [f.name for f in SyncRun._meta.concrete_fields if f.name not in ("id", "cursor")]
    # After a failure the cursor in memory may be ahead of the last committed page; the one
    # in the database is what a resumed run must continue from.
    run.save(update_fields=[*fields, "cursor"] if succeeded else fields)
    for table in tables:
        stats = sync.table_stats(table)
        state, _ = SyncState.objects.get_or_create(
            base_id=run.base_id, table=table, defaults={"environment": run.environment}
        )
        state.environment = run.environment
        state.last_mode = run.mode
        state.last_started_at, state.last_finished_at = run.started_at, now
        state.last_duration_s = run.duration_s
        state.last_records_seen, state.last_records_changed = stats["seen"], stats["changed"]
        state.last_records_deleted = stats["deleted"]
        state.last_error = run.error
        if succeeded:
            state.last_success_at = now
            if run.mode == SyncMode.FULL:
                state.last_full_success_at = now
            if run.mode != SyncMode.WIPE:
                state.watermark = _next_watermark(state.watermark, stats, run.started_at)
        state.save()
    if succeeded and run.mode != SyncMode.INCREMENTAL:
        SyncRunRecord.objects.filter(run=run).delete()
        cutoff = now - timedelta(days=settings.AIRTABLE_SYNC_HISTORY_DAYS)
        SyncRun.objects.filter(started_at__lt=cutoff).exclude(status=SyncRunStatus.RUNNING).delete()


def _run_job(
    *,
    environment: str,
    mode: str,
    tables: Sequence[str],
    work: Callable[[_Sync], None],
    progress: Progress | None,
    wait_s: float,
) -> SyncResult:
    gateway = gateway_for_environment(environment)
    base_id = gateway.base_id
    owner = sync_owner_id()
    result = SyncResult(environment=environment, base_id=base_id, mode=mode, status=STATUS_SKIPPED)
    if not _acquire_waiting(base_id=base_id, owner=owner, wait_s=wait_s):
        result.error = f"base {base_id} is being synced by {_lock_holder(base_id)}"
        logger.info("sync.skipped", base=base_id, mode=mode, holder=_lock_holder(base_id))
        return result
    try:
        run = _start_run(base_id=base_id, environment=environment, mode=mode, owner=owner)
        sync = _Sync(
            environment=environment,
            gateway=gateway,
            budget=AirtableBudget(base_id, priority=PRIORITY_SYNC),
            run=run,
            owner=owner,
            progress=progress,
        )
        for table in tables:
            state = SyncState.objects.filter(base_id=base_id, table=table).first()
            sync.announce_created[table] = state is not None and state.last_success_at is not None
        try:
            work(sync)
        except (AirtableError, SyncError) as error:
            _finish_run(sync, status=SyncRunStatus.FAILED, error=str(error), tables=tables)
            logger.warning("sync.failed", base=base_id, mode=mode, error=str(error))
        except BaseException as error:
            _finish_run(sync, status=SyncRunStatus.FAILED, error=repr(error), tables=tables)
            raise
        else:
            _finish_run(sync, status=SyncRunStatus.SUCCEEDED, error="", tables=tables)
    finally:
        sync_lock_release(base_id=base_id, owner=owner)
    run.refresh_from_db()
    result.status = STATUS_SUCCEEDED if run.status == SyncRunStatus.SUCCEEDED else STATUS_FAILED
    result.run_id, result.error = run.pk, run.error
    result.requests, result.events = run.requests, run.events
    result.duration_s = run.duration_s or 0.0
    result.records_seen, result.records_changed = run.records_seen, run.records_changed
    result.records_deleted = run.records_deleted
    report = run.cursor.get("unplaced") or {}
    result.unplaced_count, result.unplaced = report.get("count", 0), report.get("records", [])
    if mode != SyncMode.WIPE:
        result.watermarks = dict(
            SyncState.objects.filter(base_id=base_id, table__in=tables).values_list(
                "table", "watermark"
            )
        )
    logger.info("sync.finished", summary=result.summary())
    return result


def sync_incremental(
    *, environment: str, progress: Progress | None = None, wait_s: float = 0
) -> SyncResult:
    """Pull what changed in Airtable since the watermark into the mirror (every minute)."""

    def work(sync: _Sync) -> None:
        for table in TABLES:
            state = SyncState.objects.filter(base_id=sync.run.base_id, table=table).first()
            _incremental_table(sync, table, state.watermark if state else None)

    return _run_job(
        environment=environment,
        mode=SyncMode.INCREMENTAL,
        tables=TABLES,
        work=work,
        progress=progress,
        wait_s=wait_s,
    )


def sync_full(
    *,
    environment: str,
    progress: Progress | None = None,
    wait_s: float = 0,
    allow_mass_delete: bool = False,
) -> SyncResult:
    """List every record: repair drift, remove what Airtable deleted (nightly). Resumes an
    interrupted reconcile of the same base."""

    def work(sync: _Sync) -> None:
        for table in TABLES:
            _full_table(sync, table, allow_mass_delete=allow_mass_delete)

    return _run_job(
        environment=environment,
        mode=SyncMode.FULL,
        tables=TABLES,
        work=work,
        progress=progress,
        wait_s=wait_s,
    )


# --- sandbox wipe ---------------------------------------------------------------------------------


def _delete_batch(sync: _Sync, table: str, record_ids: list[str]) -> int:
    try:
        return len(sync.request(lambda: sync.gateway.delete_records(table, record_ids)))
    except AirtableError as error:
        if not error.record_not_found:
            raise
    # One of them went in the meantime, which fails the whole request: one by one.
    deleted = 0
    for record_id in record_ids:
        try:
            deleted += len(sync.request(partial(sync.gateway.delete_records, table, [record_id])))
        except AirtableError as error:
            if not error.record_not_found:
                raise
    return deleted


def _wipe(sync: _Sync) -> None:
    # Airtable stamps createdTime in whole seconds: a record created later within the wipe's
    # first second carries a stamp before ``started_at``. Only records of earlier seconds go.
    started_at = sync.run.started_at.replace(microsecond=0)
    # Only what existed when the wipe began: records created meanwhile (a sandbox test running
    # right now) survive, and an engine writing faster than we delete cannot keep us going.
    formula = f"IS_BEFORE(CREATED_TIME(), {formula_datetime(started_at)})"
    for table in (INTERACTIONS_TABLE, CANDIDATES_TABLE):
        stats = sync.table_stats(table)
        while True:
            # Always the first page: deleting while paging would skip records.
            page = sync.list_page(table, formula=formula, fields=[COL_LAST_MODIFIED])
            if not page.records:
                break
            ids = [record["id"] for record in page.records]
            stats["seen"] += len(ids)
            for start in range(0, len(ids), MAX_RECORDS_PER_WRITE):
                stats["deleted"] += _delete_batch(
                    sync, table, ids[start : start + MAX_RECORDS_PER_WRITE]
                )
    with transaction.atomic():
        old = Q(environment=SANDBOX, airtable_created_at__lt=started_at)
        # Candidates take their attachments and interactions with them.
        mirror_candidates, _ = Candidate.objects.filter(old).delete()
        Interaction.objects.filter(old).delete()
    logger.info("sync.sandbox_wiped", base=sync.gateway.base_id, mirror_rows=mirror_candidates)


def sandbox_wipe(*, progress: Progress | None = None, wait_s: float = 0) -> SyncResult:
    """Empty the sandbox base's tables (batches of 10 through the limiter) and the sandbox
    mirror (daily). The mutation log stays: it is the audit trail and holds idempotency keys,
    and the retention job scrubs it like production's."""
    if settings.AIRTABLE_SANDBOX_BASE_ID == settings.AIRTABLE_BASE_ID:
        raise SyncError("AIRTABLE_SANDBOX_BASE_ID is the production base; refusing to wipe it")
    return _run_job(
        environment=SANDBOX,
        mode=SyncMode.WIPE,
        tables=TABLES,
        work=_wipe,
        progress=progress,
        wait_s=wait_s,
    )
