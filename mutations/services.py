from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.api.errors import IdempotencyConflict
from config.enqueue import enqueue_task
from regions.models import ApiKey, Region

from . import registry
from .models import Mutation, MutationKey, MutationStatus
from .waiting import engine_nudge

logger = structlog.get_logger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# The Celery task that drains an environment (``mutations.tasks.drain_mutations``), enqueued by
# name so this module never imports the tasks.
DRAIN_TASK = "mutations.tasks.drain_mutations"


def payload_fingerprint(
    *, operation: str, target_ids: Sequence[str], payload: Any, callback_url: str
) -> str:
    canonical = json.dumps(
        {
            "operation": operation,
            "targetIds": list(target_ids),
            "payload": payload,
            "callbackUrl": callback_url,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    mutation: Mutation
    created: bool  # False: an idempotent replay of an earlier request


def _existing(region: Region, environment: str, idempotency_key: str) -> Mutation | None:
    return Mutation.objects.filter(
        region=region, environment=environment, idempotency_key=idempotency_key
    ).first()


def _replay(existing: Mutation, payload_hash: str) -> Accepted:
    if existing.payload_hash != payload_hash:
        raise IdempotencyConflict("This idempotencyKey was already used with a different payload.")
    return Accepted(mutation=existing, created=False)


def mutation_accept(
    *,
    region: Region,
    environment: str,
    operation: str,
    payload: Any,
    api_key: ApiKey | None = None,
    requested_by: str = "",
    target_ids: Sequence[str] = (),
    ordering_keys: Iterable[str] = (),
    idempotency_key: str | None = None,
    callback_url: str = "",
    staged_files: Sequence[str] = (),
    origin: str = "api",
) -> Accepted:
    """Persist a validated write and wake the engine once it is committed (SPEC 5.2, 5.4).

    Concurrent requests with the same idempotency key meet at the unique constraint: exactly
    one inserts, the others read the winner and replay it (or get a 409 for another payload).

    For one ordering key, sequence order is commit order: the accepting transaction locks its
    keys before the insert takes a sequence number, so a mutation sharing a key with one that
    is inserted but not yet committed waits for that commit and gets the higher number.
    """
    payload_hash = payload_fingerprint(
        operation=operation, target_ids=target_ids, payload=payload, callback_url=callback_url
    )
    keys = sorted(set(ordering_keys))
    if idempotency_key:
        # A key is unique for 24 h; after that it may be used again.
        Mutation.objects.filter(
            region=region,
            environment=environment,
            idempotency_key=idempotency_key,
            created_at__lt=timezone.now() - IDEMPOTENCY_WINDOW,
        ).update(idempotency_key=None)
        existing = _existing(region, environment, idempotency_key)
        if existing:
            return _replay(existing, payload_hash)
    try:
        with transaction.atomic():
            _lock_ordering_keys(keys)
            mutation = Mutation.objects.create(
                region=region,
                environment=environment,
                api_key=api_key,
                requested_by=requested_by,
                origin=origin,
                operation=operation,
                target_ids=list(target_ids),
                payload=payload,
                idempotency_key=idempotency_key or None,
                payload_hash=payload_hash,
                callback_url=callback_url,
                staged_files=list(staged_files),
                ordering_keys=keys,
            )
            _open_keys(mutation)
            transaction.on_commit(lambda: _wake_engine(environment))
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = _existing(region, environment, idempotency_key)
        if existing is None:
            raise
        return _replay(existing, payload_hash)
    logger.info(
        "mutation.accepted",
        mutation_id=str(mutation.uuid),
        operation=operation,
        region=region.code,
        environment=environment,
    )
    return Accepted(mutation=mutation, created=True)


def _lock_ordering_keys(keys: Iterable[str]) -> None:
    """Transaction-scoped Postgres advisory locks on the keys, taken in one order (by hash) so
    two accepts never deadlock. A hash collision only serialises two unrelated accepts. SQLite
    needs none: its single writer holds the database from the insert to the commit."""
    unique = sorted(set(keys))
    if not unique or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM "
            "(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(%s::text[]) AS k "
            "ORDER BY h) AS ordered",
            [unique],
        )


def engine_wakeup(environment: str, *, countdown: float = 0) -> bool:
    """Enqueue a drain. Never raises: with the broker down the sweeper catches up later."""
    return enqueue_task(
        DRAIN_TASK,
        environment,
        countdown=countdown,
        failure_event="engine.wakeup_failed",
        environment=environment,
    )


def _wake_engine(environment: str) -> None:
    engine_nudge(environment)
    engine_wakeup(environment)


@transaction.atomic
def mutation_retry(*, mutation: Mutation) -> Mutation:
    """Staff action: run a failed or cancelled mutation again (keeps its place in order)."""
    mutation = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if mutation.status not in (MutationStatus.FAILED, MutationStatus.CANCELLED):
        return mutation
    if mutation.scrubbed_at is not None:
        # Retention replaced the payload with a skeleton; sending it would write nonsense.
        return mutation
    mutation.status = MutationStatus.QUEUED
    mutation.step_failures = 0  # a fresh retry budget; ``attempts`` keeps counting requests
    mutation.error = None
    mutation.finished_at = None
    mutation.next_attempt_at = timezone.now()
    mutation.save()
    MutationKey.objects.filter(mutation=mutation).delete()  # keys a quarantine still held
    _open_keys(mutation)
    transaction.on_commit(lambda: _wake_engine(mutation.environment))
    return mutation


@transaction.atomic
def mutation_cancel(*, mutation: Mutation, error: dict[str, Any] | None = None) -> Mutation:
    """Cancel a mutation that is queued (staff, or an operation that made it pointless, with
    ``error`` saying why)."""
    mutation = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if mutation.status != MutationStatus.QUEUED:
        return mutation
    mutation.status = MutationStatus.CANCELLED
    mutation.error = error
    mutation.finished_at = timezone.now()
    mutation.save()
    mutation_close(mutation=mutation)
    return mutation


def _open_keys(mutation: Mutation) -> None:
    MutationKey.objects.bulk_create(
        MutationKey(mutation=mutation, key=key, sequence=mutation.sequence)
        for key in mutation.ordering_keys
    )


def mutation_close(*, mutation: Mutation) -> None:
    """Bookkeeping when a mutation ends, inside the transaction that ends it: release its
    ordering keys (or hold them until its quarantine ends: a write of it may still land),
    tell listeners (callbacks, events), delete staged files after commit."""
    keys = MutationKey.objects.filter(mutation=mutation)
    quarantine = mutation.quarantined_until
    if quarantine is not None and quarantine > timezone.now():
        keys.update(held_until=quarantine)
    else:
        keys.delete()
    registry.notify_finished(mutation)
    staged = list(mutation.staged_files)
    if staged:
        transaction.on_commit(lambda: _delete_staged_files(staged))


def mutation_keys_release_expired() -> int:
    """Delete ordering keys whose quarantine hold is over (the sweeper calls this)."""
    deleted, _ = MutationKey.objects.filter(held_until__lte=timezone.now()).delete()
    return deleted


def _delete_staged_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("mutation.staged_file_not_deleted", path=path)
