"""One sync job's working state (``SyncJob``): every Airtable request through the base's
budget with the read-side retries, the lock lease kept alive while it waits, the per-table
counters and the unplaced-records report that end up in the ``SyncRun``, and events emitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from airtable.gateway import (
    KIND_RATE_LIMITED,
    KIND_RETRYABLE,
    MAX_PAGE_SIZE,
    AirtableError,
    AirtableGateway,
    RecordPage,
)
from airtable.models import SyncMode, SyncRun
from mutations.limiter import AirtableBudget
from regions.models import Region

from ..fields import COL_LAST_MODIFIED
from ..mapping import parse_airtable_datetime
from .lock import sync_lock_renew

EVENT_SOURCE = "airtable"
ITERATOR_EXPIRED = "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
# Waits before retrying a request after a 5xx/timeout; then the run fails and the next one
# (a minute later for the incremental sync) starts over.
RETRY_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
MAX_RATE_LIMITED_RETRIES = 3  # each one waits out Airtable's 30 s penalty
# How often a waiting job wakes to renew its lock lease (a fraction of the lease).
LOCK_RENEW_FRACTION = 0.2
MAX_SLEEP_S = 1.0

# Records a sync could not place (no or unknown region, unknown phase option): all counted,
# this many listed in the run's report (command output and the back office).
MAX_UNPLACED_LISTED = 1000

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


@dataclass
class SyncJob:
    environment: str
    gateway: AirtableGateway
    budget: AirtableBudget
    run: SyncRun
    owner: str
    progress: Progress | None
    # When the page being applied was requested: a mirror row written after it with the same
    # (whole-second) version stamp may be newer than the listed version (see
    # pages._mirrored_since_listing).
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


def record_modified(record: dict[str, Any]) -> datetime:
    fields = record.get("fields") or {}
    modified = parse_airtable_datetime(fields.get(COL_LAST_MODIFIED))
    return modified or parse_airtable_datetime(record["createdTime"])  # type: ignore[return-value]
