"""Enqueue a Celery task without ever failing the caller: the database row is the record and a
task only a wake-up, so with the broker down a sweep (or the caller's fallback) catches up."""

from __future__ import annotations

from typing import Any

import structlog
from kombu.exceptions import KombuError, OperationalError
from redis.exceptions import RedisError

logger = structlog.get_logger(__name__)

BROKER_ERRORS = (KombuError, OperationalError, RedisError, OSError)


def enqueue(task: Any, *args: Any, countdown: float = 0, failure_event: str, **log: Any) -> bool:
    """``task.apply_async(args)``; ``False`` (logged as ``failure_event``) when the broker is
    unreachable. Never raises a broker error."""
    try:
        task.apply_async(args, countdown=countdown or None, retry=False)
        return True
    except BROKER_ERRORS as exc:
        logger.warning(failure_event, error=type(exc).__name__, **log)
        return False
