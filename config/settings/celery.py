"""Celery and Redis. Redis is a wake-up signal and a shared counter store, never the record."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from config.env import DEBUG, VAR_DIR, env, required

REDIS_PROBE_TIMEOUT_S = 0.5


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=REDIS_PROBE_TIMEOUT_S
        ):
            return True
    except OSError:
        return False


_redis_url = env.str("REDIS_URL", default="")
if not DEBUG:
    _redis_url = required("REDIS_URL")
# The embedded default uses Redis only when it answers; otherwise Celery's filesystem transport.
REDIS_URL: str = _redis_url if _redis_url and (not DEBUG or _redis_answers(_redis_url)) else ""

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Fail fast when Redis is down: accepted writes are safe in the database and the sweeper
    # enqueues them once the broker is back.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        # Publishing gives up after one quick retry instead of kombu's default of several
        # seconds; workers reconnect through broker_connection_retry on their own.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
else:
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("in", "processed"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "in"),
        "data_folder_out": str(_queue_dir / "in"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }

# Long waits never become countdowns longer than this; they are swept from the database.
CELERY_BROKER_VISIBILITY_TIMEOUT_S = CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ROUTES = {"mutations.tasks.drain_mutations": {"queue": "engine"}}
CELERY_TASK_DEFAULT_QUEUE = "celery"

# Every scheduled job, in one place (SPEC 9). Each is also a management command.
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-mutations": {"task": "mutations.tasks.sweep_mutations", "schedule": 10.0},
    "sweep-webhook-deliveries": {"task": "webhooks.tasks.sweep_deliveries", "schedule": 30.0},
}
