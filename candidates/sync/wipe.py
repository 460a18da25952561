"""The sandbox wipe (daily): empty the sandbox base's tables and the sandbox mirror
(docs/sync.md "Sandbox wipe")."""

from __future__ import annotations

from functools import partial

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from airtable.gateway import MAX_RECORDS_PER_WRITE, AirtableError
from airtable.models import SyncMode
from config.api.environment import SANDBOX

from .. import tables
from ..fields import COL_LAST_MODIFIED
from .incremental import formula_datetime
from .job import Progress, SyncError, SyncJob, SyncResult
from .runs import run_job

logger = structlog.get_logger(__name__)


def _delete_batch(sync: SyncJob, table: str, record_ids: list[str]) -> int:
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


def _wipe(sync: SyncJob) -> None:
    # Airtable stamps createdTime in whole seconds: a record created later within the wipe's
    # first second carries a stamp before ``started_at``. Only records of earlier seconds go.
    started_at = sync.run.started_at.replace(microsecond=0)
    # Only what existed when the wipe began: records created meanwhile (a sandbox test running
    # right now) survive, and an engine writing faster than we delete cannot keep us going.
    formula = f"IS_BEFORE(CREATED_TIME(), {formula_datetime(started_at)})"
    # Dependents first, so no record is left linking to a deleted one.
    for table in reversed(tables.TABLE_NAMES):
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
        mirror_rows = 0
        # Parents first: a candidate takes its attachments and interactions with it.
        for spec in tables.TABLES:
            deleted, _ = spec.model._default_manager.filter(old).delete()
            mirror_rows += deleted
    logger.info("sync.sandbox_wiped", base=sync.gateway.base_id, mirror_rows=mirror_rows)


def sandbox_wipe(*, progress: Progress | None = None, wait_s: float = 0) -> SyncResult:
    """Empty the sandbox base's tables (batches of 10 through the limiter) and the sandbox
    mirror (daily). The mutation log stays: it is the audit trail and holds idempotency keys,
    and the retention job scrubs it like production's."""
    if settings.AIRTABLE_SANDBOX_BASE_ID == settings.AIRTABLE_BASE_ID:
        raise SyncError("AIRTABLE_SANDBOX_BASE_ID is the production base; refusing to wipe it")
    return run_job(
        environment=SANDBOX,
        mode=SyncMode.WIPE,
        tables=tables.TABLE_NAMES,
        work=_wipe,
        progress=progress,
        wait_s=wait_s,
    )
