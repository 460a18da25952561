"""One sync per base at a time: a second job waits or exits cleanly (SPEC 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from airtable.models import SyncLock, SyncRun
from candidates.sync import job as sync_job
from candidates.sync import sync_lock_acquire, sync_lock_release

pytestmark = pytest.mark.django_db


def test_a_sync_of_a_base_another_job_holds_is_skipped_cleanly(region, airtable, capsys):
    assert sync_lock_acquire(base_id=airtable.base_id, owner="worker-7:123")

    call_command("sync_airtable", "--environment", "production", "--no-progress")

    out = capsys.readouterr().out
    assert "incremental sync of production" in out and "skipped" in out
    assert "worker-7:123" in out
    assert not SyncRun.objects.exists()
    assert SyncLock.objects.get(base_id=airtable.base_id).owner == "worker-7:123"


def test_the_other_base_is_not_blocked(region, airtable, sync):
    sync_lock_acquire(base_id=airtable.base_id, owner="someone")

    assert sync(environment="production").status == "skipped"
    assert sync(environment="sandbox").status == "succeeded"


def test_a_waiting_sync_runs_once_the_holder_lets_go(region, airtable, sync):
    sync_lock_acquire(base_id=airtable.base_id, owner="short-lived", ttl_s=1)

    result = sync(wait_s=5)

    assert result.status == "succeeded"
    assert SyncLock.objects.get(base_id=airtable.base_id).owner == ""


def test_a_lapsed_lease_is_taken_over():
    past = timezone.now() - timedelta(seconds=1)
    SyncLock.objects.create(base_id="appCrashed0000001", owner="dead", expires_at=past)

    assert sync_lock_acquire(base_id="appCrashed0000001", owner="me")
    assert not sync_lock_acquire(base_id="appCrashed0000001", owner="you")
    sync_lock_release(base_id="appCrashed0000001", owner="me")
    assert sync_lock_acquire(base_id="appCrashed0000001", owner="you")


def test_a_sync_that_lost_its_lease_stops(region, staff, sync, monkeypatch):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    monkeypatch.setattr(sync_job, "LOCK_RENEW_FRACTION", 0)  # renew before every request
    real = sync_job.SyncJob.list_page

    def stolen(self, table, **kwargs):
        page = real(self, table, **kwargs)
        SyncLock.objects.filter(base_id=self.gateway.base_id).update(owner="thief")
        return page

    monkeypatch.setattr(sync_job.SyncJob, "list_page", stolen)
    result = sync()

    assert result.status == "failed"
    assert "lost the base lock" in result.error
    assert SyncLock.objects.get(base_id=staff.stack.base_id).owner == "thief"  # not ours
