"""SPEC 9 full reconcile: deletions in Airtable leave the mirror, drift is repaired, and an
interrupted reconcile (expired iterator, crash) resumes instead of starting over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from airtable.models import SyncRun, SyncRunRecord, SyncState
from candidates.models import Candidate, Interaction
from candidates.sync import full as sync_full_module
from candidates.sync.job import SyncJob
from tests.clock import next_whole_second

pytestmark = pytest.mark.django_db


def _people(count: int, prefix: str = "P") -> list[dict]:
    return [
        {"Naam": f"{prefix}{n}", "E-mail": f"{prefix.lower()}{n}@example.nl", "Regio": "utrecht"}
        for n in range(count)
    ]


def test_a_record_deleted_in_airtable_disappears_and_is_announced(region, staff, sync, events):
    keep = staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    gone = staff.create("Kandidaten", {"Naam": "Carla", "Regio": "utrecht"})
    note = staff.create("Interacties", {"Type": "Telefonisch", "Kandidaat": [gone["id"]]})
    sync()
    assert Interaction.objects.filter(record_id=note["id"]).exists()
    staff.delete("Kandidaten", gone["id"])

    result = sync("full")

    assert list(Candidate.objects.values_list("record_id", flat=True)) == [keep["id"]]
    assert not Interaction.objects.exists()  # went with its candidate
    assert result.records_deleted == 1
    assert events == [
        ("candidate.deleted", "utrecht", {"candidateId": gone["id"], "source": "airtable"})
    ]
    assert not SyncRunRecord.objects.exists()  # the run's listing is cleaned up


def test_an_interaction_deleted_in_airtable_disappears_and_is_announced(
    region, staff, sync, events
):
    person = staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    note = staff.create("Interacties", {"Type": "Telefonisch", "Kandidaat": [person["id"]]})
    sync()
    staff.delete("Interacties", note["id"])

    sync("full")

    assert Candidate.objects.count() == 1
    assert not Interaction.objects.exists()
    assert events == [
        (
            "interaction.deleted",
            "utrecht",
            {"interactionId": note["id"], "candidateId": person["id"], "source": "airtable"},
        )
    ]


def test_drift_is_repaired_quietly(region, staff, sync, events, listings):
    person = staff.create("Kandidaten", {"Naam": "Bram", "Notities": "echt", "Regio": "utrecht"})
    sync()
    Candidate.objects.update(notes="kapot", city="Nergens")
    listings.clear()

    result = sync("full")

    assert Candidate.objects.get(record_id=person["id"]).notes == "echt"
    assert Candidate.objects.get().city == ""
    assert result.records_changed == 1
    assert events == []  # nothing changed in Airtable
    # Only the columns the mirror maps are listed.
    fields = listings[0]["fields"]
    assert "Notities" in fields and "Laatst gewijzigd" in fields and "Regio" in fields


def test_a_staff_change_the_incremental_sync_missed_is_announced(region, staff, sync, events):
    person = staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    sync()
    next_whole_second()  # a newer version, not the same one with other values (drift)
    staff.update("Kandidaten", person["id"], {"Fase": "matchen"})

    sync("full")

    assert events == [
        (
            "candidate.updated",
            "utrecht",
            {"candidateId": person["id"], "changedFields": ["phase"], "source": "airtable"},
        )
    ]


def test_rows_mirrored_while_the_reconcile_runs_are_kept(region, staff, sync, monkeypatch):
    """The engine mirrors a record created after the listing passed it: not a deletion."""
    from airtable.gateway import AirtableGateway
    from candidates.mirror import candidate_mirror_apply

    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    real = AirtableGateway.list_records

    def listing_then_engine_write(self, table, **kwargs):
        page = real(self, table, **kwargs)
        if table == "Kandidaten":
            late = staff.create("Kandidaten", {"Naam": "Laat", "Regio": "utrecht"})
            candidate_mirror_apply(environment="production", records=[late])
        return page

    monkeypatch.setattr(AirtableGateway, "list_records", listing_then_engine_write)
    sync("full")

    assert sorted(Candidate.objects.values_list("name", flat=True)) == ["Bram", "Laat"]


def test_a_mass_delete_is_refused_unless_allowed(region, staff, sync):
    ids = staff.bulk_create("Kandidaten", _people(30))
    sync()
    for record_id in ids[:25]:
        staff.stack.emulator.store.delete_records(staff.stack.base_id, "Kandidaten", [record_id])

    refused = sync("full")

    assert refused.status == "failed"
    assert "refusing to delete 25 of 30" in refused.error
    assert Candidate.objects.count() == 30
    allowed = sync("full", allow_mass_delete=True)
    assert allowed.status == "succeeded", allowed.error
    assert Candidate.objects.count() == 5


def test_the_reconcile_resumes_after_an_expired_iterator(region, staff, sync, listings, airtable):
    ids = staff.bulk_create("Kandidaten", _people(250))
    sync()
    staff.stack.emulator.store.delete_records(airtable.base_id, "Kandidaten", [ids[-1]])
    listings.clear()
    real_page = SyncJob.list_page
    expired = []

    def expire_after_first_page(self, table, **kwargs):
        page = real_page(self, table, **kwargs)
        if table == "Kandidaten" and not expired:
            expired.append(True)
            airtable.emulator.store._iterators.clear()  # Airtable dropped the listing
        return page

    SyncJob.list_page = expire_after_first_page
    try:
        result = sync("full")
    finally:
        SyncJob.list_page = real_page

    assert result.status == "succeeded", result.error
    assert Candidate.objects.count() == 249
    assert result.records_deleted == 1
    run = SyncRun.objects.get(pk=result.run_id)
    assert run.restarts == 1
    # Page 2's offset had expired: that listing was restarted in four parts of record-id
    # space, each listed from its start.
    calls = [c for c in listings if c["table"] == "Kandidaten"]
    assert calls[1]["offset"] and calls[1]["formula"] is None
    parts = {c["formula"] for c in calls[2:]}
    assert len(parts) == 4 and all(p.startswith("REGEX_MATCH(RECORD_ID(), '^rec[") for p in parts)


def test_the_reconcile_resumes_after_a_crash_where_it_stopped(region, staff, sync, listings):
    ids = staff.bulk_create("Kandidaten", _people(350))
    sync()
    staff.stack.emulator.store.delete_records(staff.stack.base_id, "Kandidaten", [ids[0]])
    real_sync_page = sync_full_module.apply_page
    pages = []

    def crash_on_the_third_page(sync_, spec, records, **kwargs):
        pages.append(spec.name)
        if len(pages) == 3:
            raise RuntimeError("worker killed")
        return real_sync_page(sync_, spec, records, **kwargs)

    sync_full_module.apply_page = crash_on_the_third_page
    try:
        with pytest.raises(RuntimeError):
            sync("full")
    finally:
        sync_full_module.apply_page = real_sync_page
    crashed = SyncRun.objects.get(mode="full")
    assert crashed.status == "failed"
    assert crashed.cursor["listing"]["Kandidaten"]["offset"]  # two pages in
    assert SyncRunRecord.objects.filter(run=crashed).count() == 200
    listings.clear()

    result = sync("full")

    assert result.status == "succeeded", result.error
    assert result.run_id == crashed.pk  # the same run, resumed
    first = next(c for c in listings if c["table"] == "Kandidaten")
    assert first["offset"] == crashed.cursor["listing"]["Kandidaten"]["offset"]
    assert len([c for c in listings if c["table"] == "Kandidaten"]) == 2  # pages 3 and 4
    assert Candidate.objects.count() == 349
    assert not Candidate.objects.filter(record_id=ids[0]).exists()
    assert SyncRun.objects.get(pk=crashed.pk).restarts == 1


def test_a_reconcile_too_old_to_resume_starts_over(region, staff, sync, settings):
    staff.bulk_create("Kandidaten", _people(3))
    too_old = settings.AIRTABLE_SYNC_RESUME_MAX_AGE_S + 60
    stale = SyncRun.objects.create(
        base_id=staff.stack.base_id,
        environment="production",
        mode="full",
        status="failed",
        started_at=timezone.now() - timedelta(seconds=too_old),
        cursor={"listing": {"Kandidaten": {"slices": [], "offset": None}}},
    )
    SyncRunRecord.objects.create(run=stale, record_id="recAAAAAAAAAAAAAA")

    result = sync("full")

    assert result.run_id != stale.pk
    assert SyncRun.objects.get(pk=stale.pk).status == "abandoned"
    assert not SyncRunRecord.objects.exists()
    assert Candidate.objects.count() == 3


def test_a_full_run_moves_the_watermark(region, staff, sync):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})

    result = sync("full")

    state = SyncState.objects.get(base_id=result.base_id, table="Kandidaten")
    assert state.watermark is not None and state.last_full_success_at is not None
    assert state.last_mode == "full"
