"""Scheduled jobs that pull Airtable into the mirror (SPEC 9) and wipe the sandbox (SPEC 8).

One module per job: ``lock`` (the base lock), ``job`` (requests, budget, lease), ``runs`` (run
bookkeeping), ``pages`` and ``in_flight`` (applying a listed page), ``incremental``, ``full``
(the reconcile) and ``wipe`` (the sandbox wipe). What differs per table comes from its
``TableSpec`` (``candidates.tables``). The public API is re-exported here.

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

from .full import record_id_slice_formula, sync_full
from .incremental import changed_since_formula, formula_datetime, sync_incremental
from .job import STATUS_FAILED, STATUS_SKIPPED, STATUS_SUCCEEDED, Progress, SyncError, SyncResult
from .lock import sync_lock_acquire, sync_lock_release, sync_lock_renew, sync_owner_id
from .wipe import sandbox_wipe

__all__ = [
    "STATUS_FAILED",
    "STATUS_SKIPPED",
    "STATUS_SUCCEEDED",
    "Progress",
    "SyncError",
    "SyncResult",
    "changed_since_formula",
    "formula_datetime",
    "record_id_slice_formula",
    "sandbox_wipe",
    "sync_full",
    "sync_incremental",
    "sync_lock_acquire",
    "sync_lock_release",
    "sync_lock_renew",
    "sync_owner_id",
]
