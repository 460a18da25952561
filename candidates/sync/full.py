"""The full reconcile (nightly): list every record in slices of record-id space, repair
drift, delete what Airtable no longer lists (docs/sync.md "Full reconcile")."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from django.conf import settings
from django.db import transaction

from airtable.gateway import AirtableError
from airtable.models import SyncMode, SyncRun, SyncRunRecord
from regions.models import CustomField

from .. import tables
from .job import ITERATOR_EXPIRED, Progress, SyncError, SyncJob, SyncResult
from .pages import apply_page
from .runs import run_job

logger = structlog.get_logger(__name__)

UNKNOWN_FIELD = "UNKNOWN_FIELD_NAME"
# The full reconcile splits record-id space (``rec`` + 14 base-62 characters) in four per level
# when an iterator expires, so each part lists in a quarter of the time. Three levels (64
# slices) keep a listing short even at the sync's small share next to a busy engine.
RECORD_ID_SLICES = ("0-9A-F", "G-V", "W-Za-l", "m-z")
MAX_SLICE_DEPTH = 3
# Below this many rows the mass-delete guard stays out of the way (small and test bases).
MASS_DELETE_MIN_ROWS = 20
DELETE_CHUNK = 500


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


def _listing_columns(spec: tables.TableSpec) -> list[str]:
    """The columns the mirror maps: listing only these keeps pages small when staff keep
    columns of their own in the base."""
    columns = spec.mapped_columns
    if spec.custom_fields:
        columns += CustomField.objects.order_by().values_list("airtable_column", flat=True)
    return list(dict.fromkeys(columns))


def _save_progress(sync: SyncJob) -> None:
    SyncRun.objects.filter(pk=sync.run.pk).update(
        cursor=sync.run.cursor,
        requests=sync.run.requests,
        events=sync.run.events,
        restarts=sync.run.restarts,
    )


def _full_table(sync: SyncJob, spec: tables.TableSpec, *, allow_mass_delete: bool) -> None:
    table = spec.name
    listing = sync.run.cursor.setdefault("listing", {}).setdefault(
        table, {"slices": [[]], "offset": None, "all_columns": False, "deleted": False}
    )
    columns = None if listing["all_columns"] else _listing_columns(spec)
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
            apply_page(sync, spec, page.records, full=True)
            SyncRunRecord.objects.bulk_create(
                [SyncRunRecord(run=sync.run, record_id=r["id"]) for r in page.records],
                ignore_conflicts=True,
            )
            listing["offset"] = page.offset
            if not page.offset:
                listing["slices"].pop(0)
            _save_progress(sync)
    if not listing["deleted"]:
        deleted = _delete_unlisted(sync, spec, allow_mass_delete=allow_mass_delete)
        sync.table_stats(table)["deleted"] += deleted
        listing["deleted"] = True
        _save_progress(sync)


def _delete_unlisted(sync: SyncJob, spec: tables.TableSpec, *, allow_mass_delete: bool) -> int:
    """Remove mirror rows whose record the completed listing did not return. Rows mirrored
    after the run started are fresh by definition (the engine wrote them) and stay."""
    table = spec.name
    mirror = spec.model._default_manager.filter(environment=sync.environment)
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
            events = spec.deletion_events(environment=sync.environment, record_ids=chunk)
            deleted += spec.mirror_delete(environment=sync.environment, record_ids=chunk)
            for region, event, data in events:
                sync.emit(region=region, event=event, data=data)
    logger.info("sync.deleted", base=sync.gateway.base_id, table=table, records=deleted)
    return deleted


def sync_full(
    *,
    environment: str,
    progress: Progress | None = None,
    wait_s: float = 0,
    allow_mass_delete: bool = False,
) -> SyncResult:
    """List every record: repair drift, remove what Airtable deleted (nightly). Resumes an
    interrupted reconcile of the same base."""

    def work(sync: SyncJob) -> None:
        for spec in tables.TABLES:
            _full_table(sync, spec, allow_mass_delete=allow_mass_delete)

    return run_job(
        environment=environment,
        mode=SyncMode.FULL,
        tables=tables.TABLE_NAMES,
        work=work,
        progress=progress,
        wait_s=wait_s,
    )
