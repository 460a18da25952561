"""SPEC 9 incremental sync: staff changes in Airtable reach the mirror within a run and are
announced; the engine's own writes are not; the watermark lives in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from airtable.models import SyncRun, SyncState
from candidates.mapping import parse_airtable_datetime
from candidates.models import Candidate, Interaction
from candidates.sync import formula_datetime
from mutations.models import Mutation, MutationStatus
from tests.clock import next_whole_second
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db

ANNA = candidate_body()


def _create(region_client, run_engine, payload=ANNA) -> Candidate:
    response = region_client.post("/api/v2/candidates", {"candidates": [payload]}, format="json")
    assert response.status_code == 202, response.content
    run_engine()
    mutation = Mutation.objects.get(uuid=response.json()["data"]["mutationId"])
    assert mutation.status == MutationStatus.SUCCEEDED, mutation.error
    return Candidate.objects.get(record_id=mutation.result["recordIds"][0])


def _patch(region_client, record_id, fields) -> None:
    response = region_client.patch(f"/api/v2/candidates/{record_id}", fields, format="json")
    assert response.status_code == 202, response.content


def test_staff_edit_reaches_the_mirror_and_is_announced(
    region_client, run_engine, staff, sync, events
):
    candidate = _create(region_client, run_engine)
    assert sync().status == "succeeded"  # the initial load
    staff.update("Kandidaten", candidate.record_id, {"Fase": "matchen", "Plaats": "Utrecht"})

    result = sync()

    candidate.refresh_from_db()
    assert (candidate.phase, candidate.city) == ("matchen", "Utrecht")
    assert result.records_changed == 1
    assert events == [
        (
            "candidate.updated",
            "utrecht",
            {
                "candidateId": candidate.record_id,
                "changedFields": ["city", "phase"],
                "source": "airtable",
            },
        )
    ]


def test_the_engines_own_write_is_not_announced(region_client, run_engine, staff, sync, events):
    candidate = _create(region_client, run_engine)
    sync()
    _patch(region_client, candidate.record_id, {"phase": "werkzaam"})
    run_engine()

    result = sync()

    candidate.refresh_from_db()
    assert candidate.phase == "werkzaam"
    assert result.records_seen == 1  # listed again (it changed) ...
    assert result.records_changed == 0  # ... but the mirror already held that version
    assert events == []


def test_staff_edit_and_engine_write_of_other_fields_both_survive(
    region_client, run_engine, staff, sync, events
):
    candidate = _create(region_client, run_engine)
    sync()
    staff.update("Kandidaten", candidate.record_id, {"Notities": "Belde terug"})  # field A
    _patch(region_client, candidate.record_id, {"phase": "matchen"})  # field B
    run_engine()

    sync()

    candidate.refresh_from_db()
    assert (candidate.notes, candidate.phase) == ("Belde terug", "matchen")
    [record] = staff.stack.records("Kandidaten")
    assert (record["fields"]["Notities"], record["fields"]["Fase"]) == ("Belde terug", "matchen")


def test_a_version_listed_before_an_engine_write_never_overwrites_it(
    region_client, run_engine, staff, sync, monkeypatch
):
    """The sync lists the staff version; before it applies it the engine writes and mirrors a
    newer one. The older listing must not win."""
    from airtable.gateway import AirtableGateway

    candidate = _create(region_client, run_engine)
    sync()
    staff.update("Kandidaten", candidate.record_id, {"Notities": "Belde terug"})
    _patch(region_client, candidate.record_id, {"phase": "matchen"})
    real = AirtableGateway.list_records
    raced = []

    def list_then_engine(self, table, **kwargs):
        page = real(self, table, **kwargs)
        if table == "Kandidaten" and not raced:
            raced.append(True)
            run_engine()
        return page

    monkeypatch.setattr(AirtableGateway, "list_records", list_then_engine)
    sync()

    candidate.refresh_from_db()
    assert (candidate.notes, candidate.phase) == ("Belde terug", "matchen")


def test_staff_created_candidate_and_interaction_are_mirrored_and_announced(
    region, staff, sync, events
):
    sync()  # the initial load of an empty base
    record = staff.create("Kandidaten", {"Naam": "Bram", "E-mail": "Bram@X.nl", "Regio": "utrecht"})
    interaction = staff.create(
        "Interacties",
        {"Type": "Telefonisch", "Kandidaat": [record["id"]], "Datum": "2026-11-20T10:00:00Z"},
    )

    sync()

    candidate = Candidate.objects.get(record_id=record["id"])
    assert (candidate.email, candidate.region, candidate.environment) == (
        "bram@x.nl",
        region,
        "production",
    )
    assert Interaction.objects.get(record_id=interaction["id"]).candidate == candidate
    assert [(event, code) for event, code, _ in events] == [
        ("candidate.created", "utrecht"),
        ("interaction.created", "utrecht"),
    ]
    assert events[0][2]["changedFields"] == ["email", "name"]
    assert events[1][2] == {
        "interactionId": interaction["id"],
        "candidateId": record["id"],
        "source": "airtable",
    }


def test_the_first_run_is_an_initial_load_without_created_events(region, staff, sync, events):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    staff.create("Kandidaten", {"Naam": "Carla", "Regio": "utrecht"})

    result = sync()

    assert result.records_changed == 2
    assert Candidate.objects.count() == 2
    assert events == []


def test_staff_archiving_is_announced_as_archived(region_client, run_engine, staff, sync, events):
    candidate = _create(region_client, run_engine)
    sync()
    staff.update("Kandidaten", candidate.record_id, {"Gearchiveerd": True})
    sync()
    staff.update("Kandidaten", candidate.record_id, {"Gearchiveerd": False})
    sync()

    data = {
        "candidateId": candidate.record_id,
        "changedFields": ["archived"],
        "source": "airtable",
    }
    assert events == [
        ("candidate.archived", "utrecht", data),
        ("candidate.unarchived", "utrecht", data),
    ]


def test_moving_a_candidate_to_another_region_tells_both(
    region_client, other_region, run_engine, staff, sync, events
):
    candidate = _create(region_client, run_engine)
    sync()
    staff.update("Kandidaten", candidate.record_id, {"Regio": "amsterdam"})

    sync()

    candidate.refresh_from_db()
    assert candidate.region == other_region
    assert [(event, code) for event, code, _ in events] == [
        ("candidate.deleted", "utrecht"),
        ("candidate.created", "amsterdam"),
    ]


def test_records_of_an_unknown_region_are_skipped(region, staff, sync):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "nergens"})
    staff.create("Kandidaten", {"Naam": "Carla", "Regio": "utrecht"})

    result = sync()

    assert result.status == "succeeded"
    assert list(Candidate.objects.values_list("name", flat=True)) == ["Carla"]


def test_only_changes_since_the_watermark_minus_the_overlap_are_listed(
    region, staff, sync, listings, settings
):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    first = sync()
    state = SyncState.objects.get(base_id=first.base_id, table="Kandidaten")
    assert state.watermark is not None
    assert listings[0]["formula"] is None  # no watermark yet: everything

    listings.clear()
    next_whole_second()
    staff.create("Kandidaten", {"Naam": "Carla", "Regio": "utrecht"})
    second = sync()

    since = state.watermark - timedelta(seconds=settings.AIRTABLE_SYNC_OVERLAP_S)
    assert formula_datetime(since) in listings[0]["formula"]
    assert "Laatst gewijzigd" in listings[0]["formula"]
    assert second.records_seen == 2  # Carla, and Bram again inside the overlap
    assert second.records_changed == 1
    assert SyncState.objects.get(pk=state.pk).watermark > state.watermark


def test_the_watermark_is_kept_only_when_the_run_succeeded(
    region, staff, sync, airtable, monkeypatch
):
    monkeypatch.setattr("candidates.sync.job.RETRY_BACKOFF_S", (0.01, 0.01))
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    sync()
    state = SyncState.objects.get(table="Kandidaten", environment="production")
    staff.create("Kandidaten", {"Naam": "Carla", "Regio": "utrecht"})
    airtable.emulator.set_faults(airtable.base_id, error_rate=1.0, error_statuses=[503])
    try:
        result = sync()
    finally:
        airtable.emulator.clear_faults(airtable.base_id)

    assert result.status == "failed"
    assert result.requests == 3  # the first try and two retries
    failed = SyncState.objects.get(pk=state.pk)
    assert "SERVICE_UNAVAILABLE" in failed.last_error
    assert failed.watermark == state.watermark
    assert SyncRun.objects.filter(status="failed", mode="incremental").count() == 1

    assert sync().records_changed == 1  # the next run picks Carla up
    assert SyncState.objects.get(pk=state.pk).last_error == ""


def test_a_record_an_active_mutation_is_writing_is_deferred(
    region_client, run_engine, staff, sync, events
):
    candidate = _create(region_client, run_engine)
    sync()
    in_flight = Mutation.objects.create(
        region=candidate.region,
        environment="production",
        operation="candidate.update",
        target_ids=[candidate.record_id],
        payload={"fields": {"notes": "x"}},
        payload_hash="x",
        status=MutationStatus.PROCESSING,
        started_at=timezone.now(),
    )
    edited = staff.update("Kandidaten", candidate.record_id, {"Plaats": "Zeist"})

    deferred = sync()

    candidate.refresh_from_db()
    assert candidate.city == ""  # the engine mirrors it when it finishes
    assert deferred.records_changed == 0 and events == []
    state = SyncState.objects.get(table="Kandidaten", environment="production")
    assert state.watermark == parse_airtable_datetime(edited["fields"]["Laatst gewijzigd"])

    # The mutation ended without mirroring this version (say it failed): the next run does.
    Mutation.objects.filter(pk=in_flight.pk).update(status=MutationStatus.FAILED)
    sync()
    candidate.refresh_from_db()
    assert candidate.city == "Zeist"
    assert [event for event, _, _ in events] == ["candidate.updated"]


def test_sandbox_changes_stay_in_the_sandbox_mirror(region, staff, sync):
    staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"}, environment="sandbox")

    sync(environment="production")
    assert Candidate.objects.count() == 0
    sync(environment="sandbox")
    assert Candidate.objects.get().environment == "sandbox"
