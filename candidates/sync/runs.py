"""A job's run: take the base lock, start (or resume) its ``SyncRun``, do the work, and
record the outcome in ``SyncRun``/``SyncState`` (the watermark moves only after success)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.utils import timezone

from airtable.gateway import AirtableError, gateway_for_environment
from airtable.models import SyncMode, SyncRun, SyncRunRecord, SyncRunStatus, SyncState
from mutations.limiter import PRIORITY_SYNC, AirtableBudget

from .job import (
    STATUS_FAILED,
    STATUS_SKIPPED,
    STATUS_SUCCEEDED,
    Progress,
    SyncError,
    SyncJob,
    SyncResult,
)
from .lock import acquire_waiting, lock_holder, sync_lock_release, sync_owner_id

logger = structlog.get_logger(__name__)

MAX_ERROR_CHARS = 2000


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


def _finish_run(sync: SyncJob, *, status: str, error: str, tables: Sequence[str]) -> None:
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


def run_job(
    *,
    environment: str,
    mode: str,
    tables: Sequence[str],
    work: Callable[[SyncJob], None],
    progress: Progress | None,
    wait_s: float,
) -> SyncResult:
    gateway = gateway_for_environment(environment)
    base_id = gateway.base_id
    owner = sync_owner_id()
    result = SyncResult(environment=environment, base_id=base_id, mode=mode, status=STATUS_SKIPPED)
    if not acquire_waiting(base_id=base_id, owner=owner, wait_s=wait_s):
        result.error = f"base {base_id} is being synced by {lock_holder(base_id)}"
        logger.info("sync.skipped", base=base_id, mode=mode, holder=lock_holder(base_id))
        return result
    try:
        run = _start_run(base_id=base_id, environment=environment, mode=mode, owner=owner)
        sync = SyncJob(
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


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
