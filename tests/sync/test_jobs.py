"""SPEC 9: every sync job is scheduled in one place and is also a management command; the
back office shows where each base stands."""

from __future__ import annotations

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command

from airtable.models import SyncRun, SyncState
from candidates import tasks

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_has_every_sync_job():
    schedule = settings.CELERY_BEAT_SCHEDULE
    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert jobs["candidates.tasks.sync_airtable_incremental"] == 60.0
    assert isinstance(jobs["candidates.tasks.sync_airtable_full"], crontab)
    assert isinstance(jobs["candidates.tasks.wipe_sandbox"], crontab)
    for name in jobs:
        if name.startswith("candidates.tasks."):
            assert getattr(tasks, name.rsplit(".", 1)[1]).name == name


def test_the_tasks_sync_both_bases(region, airtable):
    tasks.sync_airtable_incremental()
    tasks.sync_airtable_full()

    runs = set(SyncRun.objects.values_list("base_id", "mode", "status"))
    assert runs == {
        (airtable.base_ids[env], mode, "succeeded")
        for env in ("production", "sandbox")
        for mode in ("incremental", "full")
    }


def test_the_command_prints_one_summary_line_per_base(region, staff, capsys):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})

    call_command("sync_airtable", "--full")  # the progress bar goes to stderr

    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("full sync of production")
    assert "1 records seen, 1 changed, 0 deleted" in lines[0]
    assert lines[1].startswith("full sync of sandbox")


def test_a_failed_sync_fails_the_command(region, airtable, settings):
    settings.AIRTABLE_BASE_ID = "appDoesNotExist01"

    with pytest.raises(CommandError, match="production"):
        call_command("sync_airtable", "--environment", "production", "--no-progress")


def test_the_admin_shows_each_table_and_run(admin_client, region, staff, sync):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    sync()
    state = SyncState.objects.get(base_id=staff.stack.base_id, table="Kandidaten")

    page = admin_client.get("/admin/airtable/syncstate/")
    assert page.status_code == 200
    assert staff.stack.base_id.encode() in page.content
    assert admin_client.get(f"/admin/airtable/syncstate/{state.pk}/change/").status_code == 200
    run = SyncRun.objects.first()
    assert admin_client.get(f"/admin/airtable/syncrun/{run.pk}/change/").status_code == 200
    assert admin_client.get("/admin/airtable/syncrun/").status_code == 200
    assert admin_client.get("/admin/airtable/synclock/").status_code == 200
