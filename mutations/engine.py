"""The Mutation Engine's work loop: claim, send one Airtable request, record, finish.

Contracts that are easy to break:

* **Claim, then work.** Rows are claimed inside a short transaction with
  ``SELECT … FOR UPDATE SKIP LOCKED`` and marked ``processing`` with a lease. Every later write
  of the worker is conditional on still holding that lease, so a worker that stalled past its
  lease cannot overwrite the work of the one that took over.
* **Ordering.** A mutation is claimable only while no earlier *active* mutation shares one of
  its keys (``MutationKey`` rows exist while a mutation is queued or processing, and after it
  ended inside a quarantine until the quarantine is over).
* **Batching and fairness.** One request carries up to 10 records of items whose steps have the
  same signature. The first region is chosen round-robin among regions with due work, and the
  request is filled from that region first, then from the others.
* **Retries.** ``attempts`` counts requests sent. Each step has its own retry budget
  (``step_failures``, reset when a step succeeds). 429: the base pauses for every worker and the
  mutations wait out the penalty (no budget spent). 5xx, timeouts, connection errors and
  reclaimed leases: exponential backoff with jitter, 1 s … 10 min, at most
  ``MUTATION_MAX_ATTEMPTS`` per step. Other 4xx: if the request mixed several mutations they are
  retried one mutation per request to find the culprit; otherwise the mutation fails at once.
  Waits up to ``SHORT_WAIT_MAX_S`` are Celery countdowns; longer ones are swept from the
  database (``next_attempt_at``).
* **Fencing.** Right before every request the worker verifies and extends its lease in one
  conditional update (which also counts the attempt) and sends nothing for a mutation it no
  longer holds; the request's total deadline is shorter than the lease it was sent under.
* **Quarantine.** A request whose outcome is unknown (timeout, lost connection, a lease that
  expired in another worker's hands) may still land on Airtable later, so its mutation, and
  through its ordering keys every later mutation on its records, waits ``MUTATION_SETTLE_S``
  before anything more is sent; a non-idempotent step re-reads the record first.
* **Exactly once.** Creates are upserts merged on ``API Mutation Key``; updates are idempotent;
  a delete that finds the record gone counts as done. The mirror is written in the same
  transaction that marks the mutation succeeded.

This module claims, fences and runs the tick; ``mutations.batching`` fills and sends one
request, ``mutations.outcomes`` records its answer (success, failure classification, requeue
with backoff, wake-ups).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from airtable.gateway import AirtableError, AirtableGateway, gateway_for_environment

from . import registry
from .batching import Batch, send_batch
from .limiter import AirtableBudget
from .models import Mutation, MutationKey, MutationStatus
from .outcomes import (
    backoff_s,
    handle_failure,
    handle_success,
    mutation_finish,
    requeue,
    schedule_wakeup_on_commit,
)

logger = structlog.get_logger(__name__)

CLAIM_WINDOW = 30  # mutations inspected per region when filling one request
DATABASE_RETRY_S = 1.0
RECLAIMS_EXHAUSTED_ERROR = {
    "code": "AIRTABLE_UNAVAILABLE",
    "message": "The step's retry budget was spent on requests whose outcome is unknown "
    "(workers lost their lease while the request was in flight).",
    "retryable": True,
    "airtableErrorType": None,
    "status": None,
}
# The region this process served first last time, per environment: the round-robin cursor.
# Each worker rotates on its own; across workers the shares even out the same way.
_last_region_served: dict[str, str] = {}


def worker_id() -> str:
    """Unique per worker: host and process, plus the thread outside the main thread (thread
    and green-thread pools are refused at start, see ``mutations.apps``)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    if threading.current_thread() is threading.main_thread():
        return base
    return f"{base}:{threading.get_native_id()}"


def lease_timing_problem() -> str | None:
    """Why ``MUTATION_LEASE_S`` cannot fence a request, or ``None`` when it can: the lease must
    cover the connect and read timeouts (one request's deadline), the longest wait for a
    rate-limit token and a margin."""
    needed = {
        "AIRTABLE_CONNECT_TIMEOUT_S": float(settings.AIRTABLE_CONNECT_TIMEOUT_S),
        "AIRTABLE_READ_TIMEOUT_S": float(settings.AIRTABLE_READ_TIMEOUT_S),
        "MUTATION_TOKEN_WAIT_S": float(settings.MUTATION_TOKEN_WAIT_S),
        "MUTATION_LEASE_MARGIN_S": float(settings.MUTATION_LEASE_MARGIN_S),
    }
    lease = float(settings.MUTATION_LEASE_S)
    if lease >= sum(needed.values()):
        return None
    parts = " + ".join(f"{name} ({value:g})" for name, value in needed.items())
    return f"MUTATION_LEASE_S ({lease:g}) must be at least {parts} = {sum(needed.values()):g} s."


def check_lease_timing() -> None:
    """Refuse to run the engine with a lease that a request can outlive."""
    problem = lease_timing_problem()
    if problem:
        raise ImproperlyConfigured(problem)


def _due(now: Any) -> Q:
    return Q(status=MutationStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=MutationStatus.PROCESSING, lease_expires_at__lt=now
    )


def eligible_mutations(environment: str, now: Any | None = None) -> QuerySet[Mutation]:
    """Due mutations of ``environment`` that no earlier active (or still quarantined)
    mutation blocks."""
    now = now or timezone.now()
    earlier = MutationKey.objects.filter(
        Q(held_until__isnull=True) | Q(held_until__gt=now),
        key=OuterRef("key"),
        sequence__lt=OuterRef("sequence"),
    )
    blocked = MutationKey.objects.filter(mutation=OuterRef("pk")).filter(Exists(earlier))
    return Mutation.objects.filter(_due(now), environment=environment).exclude(Exists(blocked))


def _region_order(environment: str, now: Any) -> list[Any]:
    # order_by() first: DISTINCT would otherwise include the model's ordering column and
    # return a region once per timestamp.
    region_ids = sorted(
        set(
            eligible_mutations(environment, now)
            .order_by()
            .values_list("region_id", flat=True)
            .distinct()
        ),
        key=str,
    )
    last = _last_region_served.get(environment)
    if last is None or not region_ids:
        return region_ids
    after = [r for r in region_ids if str(r) > last]
    before = [r for r in region_ids if str(r) <= last]
    return after + before


def mutation_claim_batch(*, environment: str, owner: str) -> tuple[Batch | None, list[Mutation]]:
    """Claim the next request's worth of work.

    Returns the batch to send (or ``None``) and mutations to finish now: those with no step left
    (a worker died between its last request and finishing) succeed; those whose step ran out of
    retries with a reclaim fail (``state["reclaim_failed"]``).

    A mutation whose lease expired in another worker's hands is not sent again here: that
    worker's request may still land, so the reclaim counts as a try with an unknown outcome
    and the mutation waits out its quarantine (``_quarantine_reclaimed``).
    """
    now = timezone.now()
    with transaction.atomic():
        batch = Batch(environment=environment)
        to_finish: list[Mutation] = []
        first_region = None
        for region_id in _region_order(environment, now):
            rows = (
                eligible_mutations(environment, now)
                .filter(region_id=region_id)
                .select_for_update(skip_locked=True)
                .order_by("sequence")[:CLAIM_WINDOW]
            )
            for mutation in rows:
                step = registry.handler_for(mutation.operation).next_step(mutation)
                if step is None:
                    to_finish.append(mutation)
                elif mutation.status == MutationStatus.PROCESSING:
                    if _quarantine_reclaimed(mutation, now):
                        to_finish.append(mutation)
                elif batch.accepts(mutation, step):
                    batch.add(mutation, step)
                    first_region = first_region or region_id
                    if batch.closed:
                        break
            if batch.closed:
                break
        claimed = [p.mutation for p in batch.parts] + to_finish
        for mutation in claimed:
            mutation.status = MutationStatus.PROCESSING
            mutation.lease_owner = owner
            mutation.lease_expires_at = now + timedelta(seconds=settings.MUTATION_LEASE_S)
            mutation.started_at = mutation.started_at or now
        if claimed:
            Mutation.objects.bulk_update(
                claimed, ["status", "lease_owner", "lease_expires_at", "started_at"]
            )
        if first_region is not None:
            _last_region_served[environment] = str(first_region)
    return (batch if batch.parts else None), to_finish


def _quarantine_reclaimed(mutation: Mutation, now: Any) -> bool:
    """Count a reclaimed lease as a try with an unknown outcome (inside the claim transaction,
    the row is locked). Returns True when the step's budget is spent and it must fail."""
    mutation.step_failures += 1
    mutation.unknown_outcomes += 1
    mutation.quarantined_until = now + timedelta(seconds=settings.MUTATION_SETTLE_S)
    logger.warning(
        "mutation.reclaimed",
        mutation_id=str(mutation.uuid),
        previous_owner=mutation.lease_owner,
        step_failures=mutation.step_failures,
    )
    fields = ["step_failures", "unknown_outcomes", "quarantined_until"]
    if mutation.step_failures >= settings.MUTATION_MAX_ATTEMPTS:
        mutation.state = {**mutation.state, "reclaim_failed": True}
        Mutation.objects.filter(pk=mutation.pk).update(
            **{name: getattr(mutation, name) for name in fields}
        )
        return True
    delay = max(backoff_s(mutation.step_failures), settings.MUTATION_SETTLE_S)
    Mutation.objects.filter(pk=mutation.pk).update(
        **{name: getattr(mutation, name) for name in fields},
        status=MutationStatus.QUEUED,
        next_attempt_at=now + timedelta(seconds=delay),
        lease_owner="",
        lease_expires_at=None,
    )
    schedule_wakeup_on_commit(mutation.environment, delay)
    return False


def _fence(batch: Batch, owner: str) -> Batch:
    """Verify and extend our lease on every mutation of the batch right before the token wait
    and the send, and count the attempt; parts whose lease we lost are dropped (nothing is
    sent for them)."""
    now = timezone.now()
    lease_end = now + timedelta(seconds=settings.MUTATION_LEASE_S)
    ids = [part.mutation.pk for part in batch.parts]
    with transaction.atomic():
        held = set(
            Mutation.objects.select_for_update()
            .filter(
                pk__in=ids,
                status=MutationStatus.PROCESSING,
                lease_owner=owner,
                lease_expires_at__gt=now,
            )
            .values_list("pk", flat=True)
        )
        if held:
            Mutation.objects.filter(pk__in=held).update(
                lease_expires_at=lease_end, attempts=F("attempts") + 1
            )
    lost = [part for part in batch.parts if part.mutation.pk not in held]
    if lost:
        logger.warning(
            "engine.lease_lost_before_send",
            mutations=[str(part.mutation.uuid) for part in lost],
        )
    batch.parts = [part for part in batch.parts if part.mutation.pk in held]
    for part in batch.parts:
        part.mutation.lease_expires_at = lease_end
        part.mutation.attempts += 1
    return batch


def _request_deadline_s(gateway: AirtableGateway, batch: Batch) -> float:
    """A total deadline per request, shorter than what is left of the lease the fence extended
    (less the token wait since then)."""
    # _fence set every part's lease end; a part without one has no lease left to send under.
    ends = [part.mutation.lease_expires_at for part in batch.parts]
    lease_end = min(end for end in ends if end is not None) if all(ends) else timezone.now()
    remaining = (lease_end - timezone.now()).total_seconds()
    leeway = remaining - float(settings.MUTATION_LEASE_MARGIN_S)
    return max(0.1, min(gateway.request_timeout_s, leeway))


@dataclass
class TickResult:
    sent: bool = False
    records: int = 0
    wait_s: float = 0.0  # > 0: the caller should come back after this long
    idle: bool = False  # nothing due at all


def engine_tick(
    *, environment: str, owner: str | None = None, max_token_wait_s: float | None = None
) -> TickResult:
    """Send at most one Airtable request for ``environment``; the unit every worker loops on.

    A database outage (restart, failover) ends the tick with a short wait instead of killing
    the worker: whatever it had claimed stays leased and is redone safely after the lease.
    """
    try:
        return _engine_tick(
            environment=environment,
            owner=owner or worker_id(),
            max_token_wait_s=(
                settings.MUTATION_TOKEN_WAIT_S if max_token_wait_s is None else max_token_wait_s
            ),
        )
    except (OperationalError, InterfaceError) as exc:
        logger.warning("engine.database_unavailable", error=type(exc).__name__)
        close_old_connections()
        connection.close()
        return TickResult(wait_s=DATABASE_RETRY_S)


def _engine_tick(*, environment: str, owner: str, max_token_wait_s: float) -> TickResult:
    gateway = gateway_for_environment(environment)
    budget = AirtableBudget(gateway.base_id)
    paused = budget.paused_for()
    if paused > 0:
        return TickResult(wait_s=paused)
    batch, to_finish = mutation_claim_batch(environment=environment, owner=owner)
    for mutation in to_finish:
        if mutation.state.get("reclaim_failed"):
            mutation_finish(
                mutation=mutation,
                owner=owner,
                status=MutationStatus.FAILED,
                error=RECLAIMS_EXHAUSTED_ERROR,
            )
        else:
            mutation_finish(mutation=mutation, owner=owner, status=MutationStatus.SUCCEEDED)
    if batch is None:
        return TickResult(idle=not to_finish)
    # Fence first, then wait for the token and send at once: nothing (no database round trip)
    # stands between the token and the request, so requests reach Airtable as evenly spaced as
    # the tokens (the limiter runs at 97 % of the limit: ~30 ms of jitter would cost a 429).
    # The lease just extended covers the token wait (lease_timing_problem), and the request's
    # deadline is what is left of it.
    batch = _fence(batch, owner)
    if not batch.parts:
        return TickResult()
    if not budget.acquire(max_wait_s=max_token_wait_s):
        for part in batch.parts:
            # No token, nothing sent: the attempt the fence counted did not happen.
            requeue(part.mutation, owner, attempts=part.mutation.attempts - 1)
        return TickResult(wait_s=budget.paused_for() or 0.2)
    started = time.perf_counter()
    try:
        with gateway.deadline(_request_deadline_s(gateway, batch)):
            outcomes = send_batch(gateway, batch)
    except AirtableError as error:
        duration_ms = int((time.perf_counter() - started) * 1000)
        handle_failure(batch, error, owner=owner, budget=budget, duration_ms=duration_ms)
        return TickResult(sent=True)
    duration_ms = int((time.perf_counter() - started) * 1000)
    handle_success(batch, outcomes, owner=owner, duration_ms=duration_ms)
    return TickResult(sent=True, records=batch.record_count)
