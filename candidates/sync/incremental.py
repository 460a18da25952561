"""The incremental sync (every minute): per table, list what changed since the watermark
(docs/sync.md "Incremental sync")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from airtable.gateway import AirtableError
from airtable.models import SyncMode, SyncState

from .. import tables
from ..fields import COL_LAST_MODIFIED
from .job import ITERATOR_EXPIRED, Progress, SyncJob, SyncResult
from .pages import apply_page
from .runs import run_job

# An incremental listing is short; one that keeps losing its iterator has a deeper problem.
MAX_LISTING_RESTARTS = 3


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


def _incremental_table(sync: SyncJob, spec: tables.TableSpec, watermark: datetime | None) -> None:
    formula = None
    if watermark is not None:
        since = watermark - timedelta(seconds=settings.AIRTABLE_SYNC_OVERLAP_S)
        formula = changed_since_formula(since)
    offset, restarts = None, 0
    while True:
        try:
            page = sync.list_page(spec.name, formula=formula, offset=offset)
        except AirtableError as error:
            if error.error_type == ITERATOR_EXPIRED and restarts < MAX_LISTING_RESTARTS:
                # Re-reading from the start is safe: applying a version twice changes nothing.
                restarts += 1
                sync.run.restarts += 1
                offset = None
                continue
            raise
        apply_page(sync, spec, page.records, full=False)
        if not page.offset:
            return
        offset = page.offset


def sync_incremental(
    *, environment: str, progress: Progress | None = None, wait_s: float = 0
) -> SyncResult:
    """Pull what changed in Airtable since the watermark into the mirror (every minute)."""

    def work(sync: SyncJob) -> None:
        for spec in tables.TABLES:
            state = SyncState.objects.filter(base_id=sync.run.base_id, table=spec.name).first()
            _incremental_table(sync, spec, state.watermark if state else None)

    return run_job(
        environment=environment,
        mode=SyncMode.INCREMENTAL,
        tables=tables.TABLE_NAMES,
        work=work,
        progress=progress,
        wait_s=wait_s,
    )
