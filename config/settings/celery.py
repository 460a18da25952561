"""Celery and Redis. Redis is a wake-up signal and a shared counter store, never the record."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

from celery.schedules import crontab

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
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
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
    for _sub in ("in", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "in"),
        "data_folder_out": str(_queue_dir / "in"),
        "processed_folder": str(_queue_dir / "processed"),
        # Otherwise the broadcast (control) exchange lands in ./control of the cwd.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }

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
# Task modules outside the apps' ``tasks.py`` (which autodiscovery finds on its own).
CELERY_IMPORTS = ("candidates.auth.tasks", "candidates.retention")

# Personal data in mutation payloads and delivery logs is scrubbed after this many days.
RETENTION_PERSONAL_DATA_DAYS = env.int("RETENTION_PERSONAL_DATA_DAYS", default=30)
# Change-feed events (GET /events) are kept this many days; an older cursor is a 410.
EVENT_FEED_RETENTION_DAYS = env.int("EVENT_FEED_RETENTION_DAYS", default=30)

# Every scheduled job, in one place (SPEC 9). Each is also a management command.
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-mutations": {"task": "mutations.tasks.sweep_mutations", "schedule": 10.0},
    "retention": {
        "task": "candidates.retention.run_retention",
        "schedule": crontab(hour=3, minute=30),  # UTC, outside office hours
    },
    "clean-up-sessions": {"task": "candidates.auth.tasks.clean_up_sessions", "schedule": 3600.0},
    "sweep-webhook-deliveries": {"task": "webhooks.tasks.sweep_deliveries", "schedule": 30.0},
    # A tick that waited longer than its interval in the queue is dropped: the next one reads
    # the same changes.
    "sync-airtable-incremental": {
        "task": "candidates.tasks.sync_airtable_incremental",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Quiet hours (UTC); the wipe well after the reconcile so they rarely meet on the lock.
    "sync-airtable-full": {
        "task": "candidates.tasks.sync_airtable_full",
        "schedule": crontab(hour=2, minute=15),
    },
    "wipe-sandbox": {
        "task": "candidates.tasks.wipe_sandbox",
        "schedule": crontab(hour=4, minute=30),
    },
}
