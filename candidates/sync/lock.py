"""The base lock: one sync job per Airtable base at a time (docs/sync.md "One at a time").

A ``SyncLock`` row per base is claimed with a conditional UPDATE and held with a lease the job
renews while it works; a job that finds the base taken waits for it or gives up cleanly.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from airtable.models import SyncLock

LOCK_POLL_S = 1.0


def sync_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


def sync_lock_acquire(*, base_id: str, owner: str, ttl_s: float | None = None) -> bool:
    """Claim the base for ``owner``: one conditional UPDATE that changes the row only while it
    is free or its lease has lapsed (works alike on Postgres and SQLite)."""
    ttl_s = settings.AIRTABLE_SYNC_LOCK_TTL_S if ttl_s is None else ttl_s
    SyncLock.objects.get_or_create(base_id=base_id)
    now = timezone.now()
    claimed = (
        SyncLock.objects.filter(base_id=base_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(owner=owner))
        .update(owner=owner, acquired_at=now, expires_at=now + timedelta(seconds=ttl_s))
    )
    return claimed == 1


def sync_lock_renew(*, base_id: str, owner: str, ttl_s: float | None = None) -> bool:
    """Extend the lease; False when another job took the base over (ours had lapsed)."""
    ttl_s = settings.AIRTABLE_SYNC_LOCK_TTL_S if ttl_s is None else ttl_s
    expires_at = timezone.now() + timedelta(seconds=ttl_s)
    return SyncLock.objects.filter(base_id=base_id, owner=owner).update(expires_at=expires_at) == 1


def sync_lock_release(*, base_id: str, owner: str) -> None:
    SyncLock.objects.filter(base_id=base_id, owner=owner).update(owner="", expires_at=None)


def lock_holder(base_id: str) -> str:
    lock = SyncLock.objects.filter(base_id=base_id).first()
    if lock is None or not lock.owner:
        return "another job"
    until = lock.expires_at.isoformat(timespec="seconds") if lock.expires_at else "?"
    return f"{lock.owner} (lease until {until})"


def acquire_waiting(*, base_id: str, owner: str, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while not sync_lock_acquire(base_id=base_id, owner=owner):
        if time.monotonic() + LOCK_POLL_S > deadline:
            return False
        time.sleep(LOCK_POLL_S)
    return True
