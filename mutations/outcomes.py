"""What the engine does with the answer to one request: record the attempts, fold a success
into the mutations (finishing them or queueing their next step), classify a failure and requeue
with backoff, quarantine or fail, and schedule the wake-ups.

Retries (the engine's contract, ``mutations.engine``): 429 pauses the base for every worker and
the mutations wait out the penalty (no budget spent). 5xx, timeouts, connection errors and
reclaimed leases back off exponentially with jitter, 1 s … 10 min, at most
``MUTATION_MAX_ATTEMPTS`` per step. Other 4xx: a request that mixed several mutations is retried
one mutation per request to find the culprit; otherwise the mutation fails at once. Waits up to
``SHORT_WAIT_MAX_S`` are Celery countdowns; longer ones are swept from the database. Every write
here is conditional on the worker still holding the mutation's lease.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from airtable.gateway import KIND_RATE_LIMITED, KIND_RETRYABLE, AirtableError

from . import registry
from .batching import Batch
from .limiter import AirtableBudget
from .models import Mutation, MutationAttempt, MutationStatus
from .services import engine_wakeup, mutation_close
from .steps import StepOutcome

logger = structlog.get_logger(__name__)

SHORT_WAIT_MAX_S = 60.0
HTTP_GATEWAY_TIMEOUT = 504


def backoff_s(attempts: int) -> float:
    """Exponential backoff with full jitter in the upper half: 1 s, 2 s, 4 s … capped at 10 min."""
    ceiling = min(
        settings.MUTATION_BACKOFF_MAX_S,
        settings.MUTATION_BACKOFF_BASE_S * 2 ** max(0, attempts - 1),
    )
    return ceiling * random.uniform(0.5, 1.0)


def _log_attempts(
    batch: Batch,
    *,
    owner: str,
    duration_ms: int,
    status_code: int | None,
    error: AirtableError | None = None,
) -> None:
    MutationAttempt.objects.bulk_create(
        [
            MutationAttempt(
                mutation=part.mutation,
                request_id=batch.request_id,
                action=batch.step.action,
                table=batch.step.table,
                record_count=len(part.items) if batch.step.batchable else 1,
                status_code=status_code,
                duration_ms=duration_ms,
                error_kind=error.kind if error else "",
                error_type=(error.error_type or "") if error else "",
                error_message=(error.message[:1000]) if error else "",
                worker=owner,
            )
            for part in batch.parts
        ]
    )


def _locked_if_owned(mutation: Mutation, owner: str) -> Mutation | None:
    """Re-read under lock; ``None`` when our lease was lost to another worker."""
    fresh = (
        Mutation.objects.select_for_update()
        .filter(pk=mutation.pk, status=MutationStatus.PROCESSING, lease_owner=owner)
        .first()
    )
    return fresh


def mutation_finish(
    *, mutation: Mutation, owner: str, status: str, error: dict[str, Any] | None = None
) -> bool:
    """End a mutation: apply its outcome to the mirror and tell listeners, in one transaction."""
    with transaction.atomic():
        fresh = _locked_if_owned(mutation, owner)
        if fresh is None:
            return False
        fresh.state = mutation.state
        if status == MutationStatus.SUCCEEDED:
            fresh.result = registry.handler_for(fresh.operation).complete(fresh)
            fresh.error = None
        else:
            fresh.error = error
        fresh.status = status
        fresh.finished_at = timezone.now()
        fresh.lease_owner = ""
        fresh.lease_expires_at = None
        fresh.save()
        mutation_close(mutation=fresh)
    mutation.status, mutation.result, mutation.error = fresh.status, fresh.result, fresh.error
    logger.info(
        "mutation.finished",
        mutation_id=str(fresh.uuid),
        operation=fresh.operation,
        status=status,
        attempts=fresh.attempts,
    )
    return True


def requeue(
    mutation: Mutation,
    owner: str,
    *,
    delay_s: float = 0.0,
    state: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Back to ``queued`` after ``delay_s`` (with ``state`` and ``fields`` updated), if we still
    hold the lease. Returns whether we did."""
    changes: dict[str, Any] = {
        "status": MutationStatus.QUEUED,
        "next_attempt_at": timezone.now() + timedelta(seconds=delay_s),
        "lease_owner": "",
        "lease_expires_at": None,
        "updated_at": timezone.now(),
        **fields,
    }
    if state is not None:
        changes["state"] = state
    updated = Mutation.objects.filter(
        pk=mutation.pk, status=MutationStatus.PROCESSING, lease_owner=owner
    ).update(**changes)
    return updated == 1


def _error_body(error: AirtableError, *, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": error.message,
        "retryable": error.retryable,
        "airtableErrorType": error.error_type,
        "status": error.status,
    }


def handle_success(
    batch: Batch, outcomes: list[StepOutcome], *, owner: str, duration_ms: int
) -> None:
    _log_attempts(batch, owner=owner, duration_ms=duration_ms, status_code=200)
    _apply_outcomes(batch, outcomes, owner=owner)


def _apply_outcomes(batch: Batch, outcomes: list[StepOutcome], *, owner: str) -> None:
    for part, outcome in zip(batch.parts, outcomes, strict=True):
        handler = registry.handler_for(part.mutation.operation)
        handler.record_outcome(part.mutation, part.step, outcome)
        if handler.next_step(part.mutation) is None:
            mutation_finish(mutation=part.mutation, owner=owner, status=MutationStatus.SUCCEEDED)
        else:
            # The step is done: the next one starts with a fresh retry budget.
            requeue(part.mutation, owner, state=part.mutation.state, step_failures=0)


def lands_later(error: AirtableError) -> bool:
    """A write that may still be applied after we stopped waiting: a timeout or lost
    connection (no answer at all) or a gateway timeout. Other 5xx are answers: whatever
    happened is over, though we do not know what it was."""
    return error.ambiguous and (error.status is None or error.status == HTTP_GATEWAY_TIMEOUT)


def handle_failure(
    batch: Batch, error: AirtableError, *, owner: str, budget: AirtableBudget, duration_ms: int
) -> None:
    _log_attempts(
        batch, owner=owner, duration_ms=duration_ms, status_code=error.status, error=error
    )
    logger.warning(
        "airtable.request_failed",
        kind=error.kind,
        status=error.status,
        error_type=error.error_type,
        action=batch.step.action,
        table=batch.step.table,
        records=batch.record_count,
    )
    if error.kind == KIND_RATE_LIMITED:
        budget.pause()
        for part in batch.parts:
            requeue(part.mutation, owner, delay_s=budget.paused_for())
        return
    if error.table_or_base_not_found:
        # A misnamed table or an unreachable base is configuration, not a missing record:
        # the mutations wait (backing off as for an outage) while an operator fixes it, and
        # fail with a message that says so if it is not fixed in time.
        logger.error("airtable.table_or_base_not_found", table=batch.step.table, error=str(error))
    if error.kind == KIND_RETRYABLE or error.table_or_base_not_found:
        code = "AIRTABLE_LAYOUT" if error.table_or_base_not_found else "AIRTABLE_UNAVAILABLE"
        now = timezone.now()
        for part in batch.parts:
            mutation = part.mutation
            mutation.step_failures += 1
            mutation.unknown_outcomes += int(error.ambiguous)
            if lands_later(error):
                mutation.quarantined_until = now + timedelta(seconds=settings.MUTATION_SETTLE_S)
            fields: dict[str, Any] = {
                "step_failures": mutation.step_failures,
                "unknown_outcomes": mutation.unknown_outcomes,
                "quarantined_until": mutation.quarantined_until,
            }
            if mutation.step_failures >= settings.MUTATION_MAX_ATTEMPTS:
                Mutation.objects.filter(pk=mutation.pk).update(**fields)
                mutation_finish(
                    mutation=mutation,
                    owner=owner,
                    status=MutationStatus.FAILED,
                    error=_error_body(error, code=code),
                )
                continue
            delay = backoff_s(mutation.step_failures)
            if mutation.quarantined_until and mutation.quarantined_until > now:
                delay = max(delay, (mutation.quarantined_until - now).total_seconds())
            if requeue(mutation, owner, delay_s=delay, **fields):
                _schedule_wakeup(batch.environment, delay)
        return
    _handle_permanent(batch, error, owner=owner)


def _handle_permanent(batch: Batch, error: AirtableError, *, owner: str) -> None:
    step = batch.step
    if len(batch.parts) > 1:
        # Airtable rejects the whole request for one bad record: isolate the culprit.
        for part in batch.parts:
            requeue(part.mutation, owner, state={**part.mutation.state, "solo": True})
        return
    part = batch.parts[0]
    not_found = error.record_not_found
    if step.action == "delete" and not_found and step.missing_ok:
        if len(part.items) == 1:
            _apply_outcomes(batch, [StepOutcome(deleted=[part.items[0].key])], owner=owner)
            return
        requeue(part.mutation, owner, state={**part.mutation.state, "one_item_per_request": True})
        return
    mutation_finish(
        mutation=part.mutation,
        owner=owner,
        status=MutationStatus.FAILED,
        error=_error_body(error, code="AIRTABLE_REJECTED"),
    )


def _schedule_wakeup(environment: str, delay_s: float) -> None:
    if delay_s <= SHORT_WAIT_MAX_S:
        engine_wakeup(environment, countdown=delay_s)


def schedule_wakeup_on_commit(environment: str, delay_s: float) -> None:
    transaction.on_commit(lambda: _schedule_wakeup(environment, delay_s))
