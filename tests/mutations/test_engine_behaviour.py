"""Engine semantics in one process against the emulator: ordering, batching, fairness,
leases, the retry classes of SPEC 5.3 and idempotency (SPEC 5.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from candidates.models import Candidate
from mutations.engine import engine_tick, mutation_claim_batch, mutation_finish
from mutations.models import Mutation, MutationAttempt, MutationKey, MutationStatus
from regions.services import api_key_create
from tests.factories import RegionFactory
from tests.factories import numbered_candidate_body as _person

pytestmark = pytest.mark.django_db


def _post(client, candidates, **reserved):
    response = client.post(
        "/api/v2/candidates", {"candidates": candidates, **reserved}, format="json"
    )
    assert response.status_code == 202, response.content
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _created(client, run_engine, n=1) -> Candidate:
    mutation = _post(client, [_person(n)])
    run_engine()
    mutation.refresh_from_db()
    return Candidate.objects.get(record_id=mutation.result["recordIds"][0])


def test_later_mutation_on_a_record_waits_for_the_earlier(region_client, airtable, run_engine):
    candidate = _created(region_client, run_engine)
    url = f"/api/v2/candidates/{candidate.record_id}"
    region_client.patch(url, {"phase": "matchen"}, format="json")
    region_client.patch(url, {"phase": "werkzaam"}, format="json")
    batch, _ = mutation_claim_batch(environment="production", owner="w1")
    assert [p.mutation.payload for p in batch.parts] == [{"fields": {"phase": "matchen"}}]
    # The second update is blocked while the first is processing, for every worker.
    assert mutation_claim_batch(environment="production", owner="w2") == (None, [])


def test_upsert_never_overtakes_the_create_of_the_same_person(region_client, airtable, run_engine):
    _post(region_client, [_person(1)])
    response = region_client.post(
        "/api/v2/candidates/upsert", _person(1, phase="matchen"), format="json"
    )
    assert response.status_code == 202
    first, _ = mutation_claim_batch(environment="production", owner="w1")
    assert [p.mutation.operation for p in first.parts] == ["candidate.create"]
    assert mutation_claim_batch(environment="production", owner="w2") == (None, [])
    # Let w1's claim lapse; a single drain now runs both, in order.
    Mutation.objects.update(status=MutationStatus.QUEUED, lease_owner="")
    run_engine()
    records = airtable.records("Kandidaten")
    assert len(records) == 1 and records[0]["fields"]["Fase"] == "matchen"


def test_requests_combine_mutations_up_to_ten_records(region_client, airtable, run_engine):
    for start in (0, 4, 8):
        _post(region_client, [_person(start + i) for i in range(4)])
    run_engine()
    writes = [e for e in airtable.emulator.log_entries(airtable.base_id) if e["method"] == "PATCH"]
    assert [e["record_count"] for e in writes] == [10, 2]
    assert Mutation.objects.filter(status="succeeded").count() == 3
    assert len(airtable.records("Kandidaten")) == 12


def test_regions_are_served_round_robin(airtable, run_engine, settings):
    clients = {}
    for code in ("groot", "klein"):
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(
            HTTP_X_API_KEY=api_key_create(region=RegionFactory(code=code), name="k").full_key
        )
        clients[code] = client
    for n in range(30):  # the big region submits first, ten candidates at a time
        _post(clients["groot"], [_person(100 * n + i) for i in range(10)])
    small = _post(clients["klein"], [_person(9999)])
    for _ in range(2):
        engine_tick(environment="production", owner="w")
    small.refresh_from_db()
    assert small.status == "succeeded"


def test_expired_lease_is_a_try_with_unknown_outcome_and_the_stale_worker_cannot_finish(
    region_client, airtable, settings
):
    settings.MUTATION_SETTLE_S = 60
    _post(region_client, [_person(1)])
    batch, _ = mutation_claim_batch(environment="production", owner="stalled")
    mutation = batch.parts[0].mutation
    Mutation.objects.filter(pk=mutation.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    # The stalled worker's request may still land: the reclaim quarantines instead of resending.
    assert mutation_claim_batch(environment="production", owner="fresh") == (None, [])
    reclaimed = Mutation.objects.get(pk=mutation.pk)
    assert (reclaimed.status, reclaimed.step_failures, reclaimed.unknown_outcomes) == (
        "queued",
        1,
        1,
    )
    assert reclaimed.next_attempt_at >= reclaimed.quarantined_until > timezone.now()
    assert mutation_finish(mutation=mutation, owner="stalled", status="succeeded") is False
    Mutation.objects.filter(pk=mutation.pk).update(next_attempt_at=timezone.now())
    takeover, _ = mutation_claim_batch(environment="production", owner="fresh")
    assert takeover.parts[0].mutation.pk == mutation.pk
    assert Mutation.objects.get(pk=mutation.pk).lease_owner == "fresh"


def test_server_errors_are_retried_with_backoff(region_client, airtable, run_engine):
    airtable.emulator.set_faults(airtable.base_id, error_rate=1.0, seed=1)
    mutation = _post(region_client, [_person(1)])
    engine_tick(environment="production", owner="w")
    mutation.refresh_from_db()
    assert mutation.status == "queued" and mutation.attempts == 1
    attempt = MutationAttempt.objects.get(mutation=mutation)
    # Backed off from the failed attempt (not from "now": under load the shortest backoff,
    # half a second, can already have passed when this line runs).
    assert mutation.next_attempt_at > attempt.created_at
    assert attempt.error_kind == "retryable" and attempt.status_code >= 500
    airtable.emulator.clear_faults()
    Mutation.objects.filter(pk=mutation.pk).update(next_attempt_at=timezone.now())
    run_engine()
    mutation.refresh_from_db()
    assert mutation.status == "succeeded" and mutation.attempts == 2


def test_retries_end_in_failed_after_max_attempts(region_client, airtable, settings):
    settings.MUTATION_MAX_ATTEMPTS = 3
    airtable.emulator.set_faults(airtable.base_id, error_rate=1.0, seed=1)
    mutation = _post(region_client, [_person(1)])
    for _ in range(3):
        Mutation.objects.filter(pk=mutation.pk).update(next_attempt_at=timezone.now())
        engine_tick(environment="production", owner="w")
    mutation.refresh_from_db()
    assert mutation.status == "failed" and mutation.attempts == 3
    assert mutation.error["code"] == "AIRTABLE_UNAVAILABLE" and mutation.error["retryable"]
    assert not MutationKey.objects.filter(mutation=mutation).exists()


def test_rate_limit_pauses_the_base_without_spending_the_retry_budget(region_client, airtable):
    airtable.emulator.set_faults(airtable.base_id, rate_limit_storm_s=60)
    mutation = _post(region_client, [_person(1)])
    engine_tick(environment="production", owner="w")
    mutation.refresh_from_db()
    assert mutation.status == "queued" and mutation.step_failures == 0
    assert mutation.attempts == 1  # the request was sent
    assert mutation.next_attempt_at > timezone.now() + timedelta(seconds=25)
    # Every worker now waits out the pause instead of sending.
    requests_before = len(airtable.emulator.log_entries(airtable.base_id))
    assert engine_tick(environment="production", owner="other").wait_s > 25
    assert len(airtable.emulator.log_entries(airtable.base_id)) == requests_before


def test_permanent_error_fails_only_the_culprit_without_retries(
    region_client, airtable, run_engine
):
    airtable.remove_select_option("Kandidaten", "Fase", "uitgestroomd")
    good = _post(region_client, [_person(1), _person(2)])
    bad = _post(region_client, [_person(3, phase="uitgestroomd")])
    run_engine()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == "succeeded"
    # Sent twice: in the shared request, then alone to find the culprit.
    assert bad.status == "failed" and bad.attempts == 2
    assert bad.error["code"] == "AIRTABLE_REJECTED" and bad.error["retryable"] is False
    assert bad.error["airtableErrorType"] == "INVALID_MULTIPLE_CHOICE_OPTIONS"
    assert len(airtable.records("Kandidaten")) == 2


def test_idempotent_replay_and_conflict(region_client, airtable):
    body = {"candidates": [_person(1)], "idempotencyKey": "import-2026-11-22"}
    first = region_client.post("/api/v2/candidates", body, format="json")
    replay = region_client.post("/api/v2/candidates", body, format="json")
    assert first.status_code == replay.status_code == 202
    assert replay.json()["data"] == first.json()["data"]
    by_header = region_client.post(
        "/api/v2/candidates",
        {"candidates": [_person(1)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="import-2026-11-22",
    )
    assert by_header.json()["data"]["mutationId"] == first.json()["data"]["mutationId"]
    changed = region_client.post(
        "/api/v2/candidates", {**body, "candidates": [_person(2)]}, format="json"
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert Mutation.objects.count() == 1


def test_idempotency_key_is_reusable_after_24_hours(region_client, airtable):
    body = {"candidates": [_person(1)], "idempotencyKey": "k1"}
    first = region_client.post("/api/v2/candidates", body, format="json")
    Mutation.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = region_client.post("/api/v2/candidates", body, format="json")
    assert again.json()["data"]["mutationId"] != first.json()["data"]["mutationId"]


def test_idempotency_keys_are_per_region_and_environment(
    region_client, other_region_client, airtable
):
    body = {"candidates": [_person(1)], "idempotencyKey": "same"}
    ids = {
        region_client.post("/api/v2/candidates", body, format="json").json()["data"]["mutationId"],
        region_client.post("/api/sandbox/candidates", body, format="json").json()["data"][
            "mutationId"
        ],
        other_region_client.post("/api/v2/candidates", body, format="json").json()["data"][
            "mutationId"
        ],
    }
    assert len(ids) == 3


def test_upload_retried_after_ambiguous_timeout_is_not_duplicated(
    region_client, airtable, run_engine, settings
):
    import base64

    candidate = _created(region_client, run_engine)
    settings.AIRTABLE_READ_TIMEOUT_S = 0.5
    airtable.emulator.set_faults(airtable.base_id, timeout_after_write_rate=1.0, timeout_s=1.5)
    response = region_client.post(
        f"/api/v2/candidates/{candidate.record_id}/attachments",
        {
            "curriculumVitae": [
                {
                    "filename": "cv.txt",
                    "contentType": "text/plain",
                    "base64": base64.b64encode(b"cv").decode(),
                }
            ]
        },
        format="json",
    )
    mutation = Mutation.objects.get(uuid=response.json()["data"]["mutationId"])
    for _ in range(4):  # get, upload (times out after storing the file) ...
        engine_tick(environment="production", owner="w")
        Mutation.objects.filter(pk=mutation.pk).update(next_attempt_at=timezone.now())
    airtable.emulator.clear_faults()
    run_engine()
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", mutation.error
    files = airtable.records("Kandidaten")[0]["fields"]["CV"]
    assert [f["filename"] for f in files] == ["cv.txt"]


def test_a_database_outage_ends_the_tick_instead_of_the_worker(airtable, monkeypatch):
    from django.db import OperationalError

    from mutations import engine

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(engine, "mutation_claim_batch", down)
    monkeypatch.setattr(engine.connection, "close", lambda: None)  # keep the test's transaction
    result = engine_tick(environment="production", owner="w")
    assert result.wait_s == engine.DATABASE_RETRY_S and not result.sent
