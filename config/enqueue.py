"""Enqueue a Celery task without ever failing the caller: the database row is the record and a
task only a wake-up, so with the broker down a sweep (or the caller's fallback) catches up.

Tasks are enqueued by their registered name, so a service never imports its app's ``tasks``
module (the tasks import the services, never the reverse). Every task enqueued this way has an
explicit ``name=`` equal to the name used here.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError
from redis.exceptions import RedisError

from .celery import app

logger = structlog.get_logger(__name__)

BROKER_ERRORS = (KombuError, OperationalError, RedisError, OSError)


def _publish(name: str, args: tuple[Any, ...], countdown: float | None) -> None:
    if app.conf.task_always_eager:
        # ``send_task`` ignores always-eager; the registered task's ``apply_async`` honours it.
        app.tasks[name].apply_async(args, countdown=countdown, retry=False)
    else:
        # As ``apply_async`` would: every task of the project ignores its result.
        ignore_result = app.conf.task_ignore_result
        app.send_task(name, args, countdown=countdown, retry=False, ignore_result=ignore_result)


def enqueue_task(
    name: str, *args: Any, countdown: float = 0, failure_event: str, **log: Any
) -> bool:
    """Enqueue the task registered as ``name`` with ``args``; ``False`` (logged as
    ``failure_event`` with ``log``) when the broker is unreachable. Never raises a broker
    error."""
    try:
        _publish(name, args, countdown or None)
        return True
    except BROKER_ERRORS as exc:
        logger.warning(failure_event, error=type(exc).__name__, **log)
        return False


def enqueue_on_commit(
    name: str, *args: Any, countdown: float = 0, failure_event: str, **log: Any
) -> None:
    """``enqueue_task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: enqueue_task(name, *args, countdown=countdown, failure_event=failure_event, **log)
    )
