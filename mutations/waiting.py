"""Waiting for a mutation to end, for callers that must answer synchronously (API v1, SPEC 14).

A waiting request must cost the other requests nothing: it gives its database connection back
before it waits and blocks on Redis (``BLPOP`` on a per-mutation list the engine pushes to when
the mutation ends, after the commit), so it holds one idle Redis socket and a thread, not a
Postgres backend. The push is a wake-up, not the truth: the waiter reads the mutation's status
from the database after every wake-up and every slice, so a lost push (Redis restarted) costs at
most one slice. Without Redis (the embedded SQLite default) it polls the database with a growing
interval, closing the connection between polls.
"""

from __future__ import annotations

import time
from functools import lru_cache

import redis
import structlog
from django.conf import settings
from django.db import connection, transaction
from redis.exceptions import RedisError

from .models import Mutation, MutationStatus

logger = structlog.get_logger(__name__)

FINAL_STATUSES = (MutationStatus.SUCCEEDED, MutationStatus.FAILED, MutationStatus.CANCELLED)
DONE_KEY = "mutations:done:{uuid}"
DONE_KEY_TTL_S = 120  # longer than any sensible wait bound; nobody reads it after that
WAIT_SLICE_S = 2.0  # re-read the status at least this often while waiting on Redis
POLL_FIRST_S, POLL_MAX_S = 0.05, 0.5
_CONNECT_TIMEOUT_S = 0.5


@lru_cache(maxsize=1)
def _blocking_client(url: str) -> redis.Redis:
    # The shared client's 0.5 s socket timeout would cut a blocking BLPOP short.
    return redis.Redis.from_url(
        url, socket_timeout=WAIT_SLICE_S + 2, socket_connect_timeout=_CONNECT_TIMEOUT_S
    )


def _client() -> redis.Redis | None:
    return _blocking_client(settings.REDIS_URL) if settings.REDIS_URL else None


def _done_key(mutation: Mutation) -> str:
    return DONE_KEY.format(uuid=mutation.uuid)


def mutation_signal_finished(mutation: Mutation) -> None:
    """Finish listener (inside the transaction that ends the mutation): wake its waiters once
    the outcome and the mirror are committed."""
    client = _client()
    if client is None:
        return
    key = _done_key(mutation)

    def push() -> None:
        try:
            pipe = client.pipeline(transaction=False)
            pipe.rpush(key, 1)
            pipe.expire(key, DONE_KEY_TTL_S)
            pipe.execute()
        except RedisError as exc:  # the waiters' next status read finds it anyway
            logger.warning("mutation.finish_signal_failed", error=type(exc).__name__)

    transaction.on_commit(push)


def _release_connection() -> None:
    # Inside an atomic block (a test's transaction) closing would break it; there is nothing
    # committed to wait for there anyway.
    if not connection.in_atomic_block:
        connection.close()


def _current(mutation: Mutation) -> Mutation:
    fresh = Mutation.objects.get(pk=mutation.pk)
    _release_connection()
    return fresh


def mutation_wait(*, mutation: Mutation, timeout_s: float) -> Mutation:
    """The mutation once it has ended, or as it stands when ``timeout_s`` ran out. Holds no
    database connection while it waits."""
    if mutation.status in FINAL_STATUSES:
        return mutation
    deadline = time.monotonic() + timeout_s
    _release_connection()
    client = _client()
    poll_s = POLL_FIRST_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _current(mutation)
        if client is not None:
            try:
                # BLPOP's timeout has a granularity of 0.1 s in Redis ≥ 6; at least that.
                client.blpop([_done_key(mutation)], max(0.1, min(remaining, WAIT_SLICE_S)))
            except RedisError as exc:
                logger.warning("mutation.wait_redis_unavailable", error=type(exc).__name__)
                client = None
        if client is None:
            time.sleep(min(poll_s, remaining))
            poll_s = min(poll_s * 2, POLL_MAX_S)
        current = _current(mutation)
        if current.status in FINAL_STATUSES:
            return current


# ---------------------------------------------------------------- waking an idle run_engine
# ``run_engine`` processes (the engine outside Celery) poll for work when idle. Accepting a write
# pushes to a per-environment list they block on, so an idle engine starts within a Redis round
# trip instead of after up to one idle sleep (0.5 s; issue 21's time to done). The push is a
# nudge, not the truth: the engine's tick reads the queue from the database, a lost push costs
# one idle sleep, and the list is trimmed and expires when no ``run_engine`` listens (Celery
# deployments wake the engine through the ``engine`` queue instead).
ENGINE_WAKE_KEY = "mutations:engine-wake:{environment}"
ENGINE_WAKE_TTL_S = 10
ENGINE_WAKE_MAX = 8


def engine_nudge(environment: str) -> None:
    """Wake one idle ``run_engine`` blocked in :func:`engine_idle_wait`. Never raises."""
    client = _client()
    if client is None:
        return
    key = ENGINE_WAKE_KEY.format(environment=environment)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.lpush(key, 1)
        pipe.ltrim(key, 0, ENGINE_WAKE_MAX - 1)
        pipe.expire(key, ENGINE_WAKE_TTL_S)
        pipe.execute()
    except RedisError as exc:
        logger.warning("engine.nudge_failed", error=type(exc).__name__)


def engine_idle_wait(environments: tuple[str, ...] | list[str], timeout_s: float) -> bool:
    """Block until a write is accepted in one of ``environments`` or ``timeout_s`` passed;
    True when woken by a nudge. Sleeps instead without Redis (or with Redis down)."""
    client = _client()
    if client is not None:
        keys = [ENGINE_WAKE_KEY.format(environment=e) for e in environments]
        try:
            # BLPOP's timeout has a granularity of 0.1 s in Redis ≥ 6; at least that.
            return client.blpop(keys, max(0.1, timeout_s)) is not None
        except RedisError as exc:
            logger.warning("engine.idle_wait_redis_unavailable", error=type(exc).__name__)
    time.sleep(timeout_s)
    return False
