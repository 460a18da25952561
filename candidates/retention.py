"""Retention (SPEC 9, AVG/GDPR storage limitation), run daily by beat and by ``run_retention``.

* Personal data in the logs of writes is scrubbed once it is older than
  ``RETENTION_PERSONAL_DATA_DAYS`` (default 30): mutation payloads, engine state and error
  messages, Airtable error messages of attempts, webhook delivery payloads and the response
  bodies receivers sent back. What stays is the audit skeleton: ids, operation, status,
  attempts, timestamps, and the *names* of the fields a payload carried.
* Candidates untouched in Airtable for longer than their region's ``retention_months`` are
  archived — through the Mutation Engine, like every other write, never in the mirror directly.
* Change-feed events older than ``EVENT_FEED_RETENTION_DAYS`` are deleted (webhooks/feed.py).
* Access-log rows older than a year are deleted; so are expired codes and sessions (also hourly).

Every step is safe to run twice and to interrupt: rows are claimed one by one with a
conditional update, and a candidate with any open mutation is left for the next run.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.api.environment import PRODUCTION
from mutations.models import FINAL_STATUSES, Mutation, MutationAttempt, MutationKey
from mutations.services import mutation_accept
from regions.models import Region
from webhooks.feed import feed_prune
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus

from .access_log import access_log_prune
from .auth.services import sessions_cleanup
from .models import Candidate
from .write_plans import candidate_key

logger = structlog.get_logger(__name__)

SCRUB_BATCH_SIZE = 500
# Stale candidates queued per run at most; the next day's run continues where this one stopped.
ARCHIVE_BATCH_SIZE = 1000
SCRUBBED_MESSAGE = "Removed after the retention period."
# Payload members whose values are ids, kept when a payload is reduced to its skeleton.
_ID_KEYS = frozenset(
    {"id", "candidateId", "interactionIds", "attachmentId", "attachmentIds", "recordIds"}
)
# What a delivery payload keeps: the callback/event envelope, ids, and event data (which
# carries ids and field names only, by webhooks' own contract).
_DELIVERY_KEPT_KEYS = frozenset(
    {
        "id",
        "type",
        "timestamp",
        "sandbox",
        "region",
        "mutationId",
        "operation",
        "status",
        "attempts",
        "result",
        "createdAt",
        "finishedAt",
        "data",
    }
)


def personal_data_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=settings.RETENTION_PERSONAL_DATA_DAYS)


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment ``months`` calendar months earlier (day clamped)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def payload_skeleton(value: Any) -> Any:
    """The shape of a payload without its values: every object becomes ``{"keys": [its member
    names]}`` plus the skeletons of nested objects/arrays and the values of id members."""
    if isinstance(value, dict):
        skeleton: dict[str, Any] = {"keys": sorted(value)}
        for key, item in value.items():
            if key in _ID_KEYS:
                skeleton[key] = item
            elif isinstance(item, dict | list):
                nested = payload_skeleton(item)
                if nested:
                    skeleton[key] = nested
        return skeleton
    if isinstance(value, list):
        return [payload_skeleton(item) for item in value if isinstance(item, dict | list)]
    return None


def _scrubbed_error(error: Any) -> Any:
    if isinstance(error, dict) and error.get("message"):
        return {**error, "message": SCRUBBED_MESSAGE}
    return error


# --- mutations -----------------------------------------------------------------------------------


def mutations_scrub(*, before: datetime, batch_size: int = SCRUB_BATCH_SIZE) -> tuple[int, int]:
    """Scrub ended mutations that finished before ``before``. Returns (mutations, attempts)."""
    ended_before = Q(finished_at__lt=before) | Q(finished_at__isnull=True, created_at__lt=before)
    due = Mutation.objects.filter(ended_before, status__in=FINAL_STATUSES, scrubbed_at__isnull=True)
    mutations = attempts = 0
    last_pk = 0
    while True:
        batch = list(
            due.filter(pk__gt=last_pk)
            .order_by("pk")
            .values("pk", "payload", "state", "error")[:batch_size]
        )
        if not batch:
            return mutations, attempts
        last_pk = batch[-1]["pk"]
        now = timezone.now()
        with transaction.atomic():
            scrubbed = []
            for row in batch:
                # Conditional: a staff retry that re-queued the mutation meanwhile wins.
                claimed = Mutation.objects.filter(
                    pk=row["pk"], status__in=FINAL_STATUSES, scrubbed_at__isnull=True
                ).update(
                    payload={"scrubbed": True, **(payload_skeleton(row["payload"]) or {})},
                    state=payload_skeleton(row["state"]) or {},
                    error=_scrubbed_error(row["error"]),
                    scrubbed_at=now,
                )
                if claimed:
                    scrubbed.append(row["pk"])
            mutations += len(scrubbed)
            attempts += (
                MutationAttempt.objects.filter(mutation_id__in=scrubbed)
                .exclude(error_message="")
                .update(error_message="")
            )


# --- webhook deliveries --------------------------------------------------------------------------


def _delivery_skeleton(payload: Any) -> dict[str, Any]:
    kept = {k: v for k, v in (payload or {}).items() if k in _DELIVERY_KEPT_KEYS}
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        kept["error"] = {k: v for k, v in payload["error"].items() if k != "message"}
    return {"scrubbed": True, **kept}


def deliveries_scrub(*, before: datetime, batch_size: int = SCRUB_BATCH_SIZE) -> tuple[int, int]:
    """Scrub finished deliveries created before ``before``. Returns (deliveries, attempts)."""
    due = (
        Delivery.objects.filter(created_at__lt=before)
        .exclude(status=DeliveryStatus.PENDING)
        .exclude(payload__has_key="scrubbed")
    )
    deliveries = attempts = 0
    after = Q()
    while True:
        batch = list(
            due.filter(after)
            .order_by("created_at", "pk")
            .values("pk", "created_at", "payload")[:batch_size]
        )
        if not batch:
            return deliveries, attempts
        last = batch[-1]
        after = Q(created_at__gt=last["created_at"]) | Q(
            created_at=last["created_at"], pk__gt=last["pk"]
        )
        with transaction.atomic():
            scrubbed = [
                row["pk"]
                for row in batch
                if Delivery.objects.filter(pk=row["pk"])
                .exclude(status=DeliveryStatus.PENDING)
                .update(payload=_delivery_skeleton(row["payload"]))
            ]
            deliveries += len(scrubbed)
            attempts += (
                DeliveryAttempt.objects.filter(delivery_id__in=scrubbed)
                .exclude(response_body="")
                .update(response_body="")
            )


# --- stale candidates ----------------------------------------------------------------------------


def candidates_archive_stale(*, now: datetime, limit: int = ARCHIVE_BATCH_SIZE) -> int:
    """Queue a ``candidate.archive`` mutation for each production candidate not modified in
    Airtable for longer than its region's retention period (0 months: keep). A candidate with
    an open mutation is skipped: that write will touch it, or the next run archives it."""
    queued = 0
    for region in Region.objects.filter(retention_months__gt=0).order_by("code"):
        if queued >= limit:
            break
        record_ids = list(
            Candidate.objects.filter(
                region=region,
                environment=PRODUCTION,
                archived=False,
                airtable_modified_at__lt=months_before(now, region.retention_months),
            )
            .order_by("airtable_modified_at", "record_id")
            .values_list("record_id", flat=True)[: limit - queued]
        )
        keys = {candidate_key(PRODUCTION, record_id): record_id for record_id in record_ids}
        busy = set(MutationKey.objects.filter(key__in=list(keys)).values_list("key", flat=True))
        for key, record_id in keys.items():
            if key in busy:
                continue
            mutation_accept(
                region=region,
                environment=PRODUCTION,
                operation="candidate.archive",
                payload={},
                target_ids=[record_id],
                ordering_keys=[key],
                origin="retention",
            )
            queued += 1
    return queued


# --- the whole run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionSummary:
    mutations_scrubbed: int
    mutation_attempts_scrubbed: int
    deliveries_scrubbed: int
    delivery_attempts_scrubbed: int
    archives_queued: int
    feed_events_deleted: int
    access_log_deleted: int
    codes_deleted: int
    sessions_deleted: int

    def line(self) -> str:
        return (
            f"retention: scrubbed {self.mutations_scrubbed} mutations "
            f"({self.mutation_attempts_scrubbed} attempts) and {self.deliveries_scrubbed} "
            f"deliveries ({self.delivery_attempts_scrubbed} attempts); queued "
            f"{self.archives_queued} archive mutations for stale candidates; deleted "
            f"{self.feed_events_deleted} feed events, {self.access_log_deleted} access-log "
            f"rows, {self.codes_deleted} codes and "
            f"{self.sessions_deleted} sessions"
        )


def retention_run(*, now: datetime | None = None) -> RetentionSummary:
    now = now or timezone.now()
    cutoff = personal_data_cutoff(now)
    mutations, mutation_attempts = mutations_scrub(before=cutoff)
    deliveries, delivery_attempts = deliveries_scrub(before=cutoff)
    archives = candidates_archive_stale(now=now)
    feed_events = feed_prune(now=now)
    access_log = access_log_prune(now=now)
    cleanup = sessions_cleanup(now=now)
    summary = RetentionSummary(
        mutations_scrubbed=mutations,
        mutation_attempts_scrubbed=mutation_attempts,
        deliveries_scrubbed=deliveries,
        delivery_attempts_scrubbed=delivery_attempts,
        archives_queued=archives,
        feed_events_deleted=feed_events,
        access_log_deleted=access_log,
        codes_deleted=cleanup.codes,
        sessions_deleted=cleanup.sessions,
    )
    logger.info("retention.finished", **summary.__dict__)
    return summary


@shared_task(ignore_result=True)
def run_retention() -> None:
    """Daily (beat); also ``manage.py run_retention``."""
    retention_run()
