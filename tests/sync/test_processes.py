"""The sync commands as operators and beat run them: separate processes sharing the database,
Redis and the emulator (each test commits its data so the processes see it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airtable.models import SyncState
from candidates.models import Candidate
from regions.services import region_create
from tests.airtable_stack import ROOT
from tests.clock import next_whole_second

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TIMEOUT_S = 120


def _command(airtable, *args: str, extra_env: dict[str, str] | None = None):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**airtable.subprocess_env(), **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_concurrent_syncs_of_a_base_one_runs_one_exits_cleanly(airtable, staff):
    region_create(code="utrecht", name="Utrecht")
    staff.bulk_create("Kandidaten", [{"Naam": f"P{n}", "Regio": "utrecht"} for n in range(600)])
    # Slow pages, so the two runs surely overlap.
    airtable.emulator.set_faults(airtable.base_id, latency_ms=400)
    try:
        args = ("sync_airtable", "--environment", "production", "--no-progress")
        processes = [_command(airtable, *args), _command(airtable, *args)]
        outputs = [process.communicate(timeout=TIMEOUT_S) for process in processes]
    finally:
        airtable.emulator.clear_faults(airtable.base_id)

    assert [process.returncode for process in processes] == [0, 0], outputs
    lines = [out.strip() for out, _ in outputs]
    assert sum("skipped" in line for line in lines) == 1, lines
    assert sum("600 records seen" in line for line in lines) == 1, lines
    assert Candidate.objects.count() == 600


def test_the_watermark_survives_a_restart(airtable, staff, sync):
    region_create(code="utrecht", name="Utrecht")
    staff.bulk_create("Kandidaten", [{"Naam": f"P{n}", "Regio": "utrecht"} for n in range(150)])
    sync()
    state = SyncState.objects.get(base_id=airtable.base_id, table="Kandidaten")
    edited = Candidate.objects.order_by("record_id").first()
    # Without overlap an edit in the watermark's own second would be missed: that is what
    # AIRTABLE_SYNC_OVERLAP_S is for (test_incremental covers the boundary with it).
    next_whole_second()
    staff.update("Kandidaten", edited.record_id, {"Fase": "matchen"})

    # A new process knows nothing but what the database holds. (No overlap, so only records
    # changed after the stored watermark are listed.)
    process = _command(
        airtable,
        "sync_airtable",
        "--environment",
        "production",
        "--no-progress",
        extra_env={"AIRTABLE_SYNC_OVERLAP_S": "0"},
    )
    out, err = process.communicate(timeout=TIMEOUT_S)

    assert process.returncode == 0, err
    assert "1 records seen, 1 changed" in out, out
    edited.refresh_from_db()
    assert edited.phase == "matchen"
    assert SyncState.objects.get(pk=state.pk).watermark > state.watermark
