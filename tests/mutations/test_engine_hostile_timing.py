"""SPEC 5.4 "Hostile timing": the engine's promises when requests are held, leases expire and
workers die mid-request (issue 14). Each of the five breaks has a regression test with real
``run_engine`` processes and the emulator's faults; timings are compressed through settings.

Compressed timing for the worker processes: a request's deadline is connect 0.5 s + read
timeout; the lease covers that plus 0.5 s of token wait and 0.5 s of margin, the least the
engine accepts. The process tests still take 15–40 s each (more on a loaded machine): they start
real workers (Django boot), wait for real leases to expire and quarantines to pass, and hold
requests in the emulator; none asserts on elapsed time.
"""

from __future__ import annotations

import base64
import signal
import threading
import time
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from airtable.gateway import AirtableError, gateway_for_environment
from candidates.models import Candidate
from mutations.apps import worker_problem
from mutations.engine import engine_tick
from mutations.models import Mutation, MutationStatus
from tests.factories import numbered_candidate_body as _person

pytestmark = pytest.mark.django_db(transaction=True)

processes = pytest.mark.postgres_only  # several processes share one database
WAIT_LIMIT_S = 90
HOLD_S = 1.5  # how long the emulator holds a request before applying it (latency_ms)


def _timing(read_s: float, settle_s: float, **extra: str) -> dict[str, str]:
    lease = 0.5 + read_s + 0.5 + 0.5
    return {
        "AIRTABLE_CONNECT_TIMEOUT_S": "0.5",
        "AIRTABLE_READ_TIMEOUT_S": str(read_s),
        "MUTATION_TOKEN_WAIT_S": "0.5",
        "MUTATION_LEASE_MARGIN_S": "0.5",
        "MUTATION_LEASE_S": str(lease),
        "MUTATION_SETTLE_S": str(settle_s),
        "MUTATION_BACKOFF_BASE_S": "0.1",
        "MUTATION_BACKOFF_MAX_S": "0.5",
        **extra,
    }


def _accepted(response) -> Mutation:
    assert response.status_code == 202, response.content
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _created(client: APIClient, run_engine: Callable[..., int]) -> str:
    mutation = _accepted(client.post("/api/v2/candidates", {"candidates": [_person(1)]}, "json"))
    run_engine()
    mutation.refresh_from_db()
    assert mutation.status == MutationStatus.SUCCEEDED
    return mutation.result["recordIds"][0]


def _wait(check: Callable[[], bool], what: str, processes=(), limit_s: float = WAIT_LIMIT_S):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if check():
            return
        for process in processes:
            assert process.poll() in (None, -signal.SIGKILL), process.stderr.read().decode()
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached after {limit_s}s")


def _all_final() -> bool:
    return not Mutation.objects.filter(status__in=["queued", "processing"]).exists()


def _sending(mutation: Mutation, process, condition: Callable[[Mutation], bool] = bool) -> bool:
    """``process`` holds ``mutation``'s lease (it is about to send or sending)."""
    mutation.refresh_from_db()
    return (
        mutation.status == MutationStatus.PROCESSING
        and mutation.lease_owner.endswith(f":{process.pid}")
        and condition(mutation)
    )


def _in_flight(mutation: Mutation, sent: int) -> None:
    """Give the claimed request time to reach the emulator: the engine counts an attempt right
    before its token wait (at most one token interval here) and the send. Soft, so the same
    test shows the old engine (which counted nothing)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        mutation.refresh_from_db()
        if mutation.attempts >= sent:
            break
        time.sleep(0.02)
    time.sleep(0.3)


def _kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def _patches(airtable) -> int:
    return sum(
        1
        for e in airtable.emulator.log_entries(airtable.base_id)
        if e["method"] == "PATCH" and e["path"].endswith("/Kandidaten")
    )


# --- break 1: a stale worker's late write ----------------------------------------------------


@processes
def test_a_held_write_cannot_land_after_a_later_write_to_the_record(
    region_client, airtable, run_engine
):
    """PATCH A is held by Airtable past its sender's deadline and lands late; PATCH B, accepted
    after A, must still be what Airtable and the mirror end with."""
    record_id = _created(region_client, run_engine)
    url = f"/api/v2/candidates/{record_id}"
    first = _accepted(region_client.patch(url, {"phase": "matchen"}, format="json"))
    second = _accepted(region_client.patch(url, {"phase": "werkzaam"}, format="json"))
    airtable.emulator.set_faults(airtable.base_id, latency_ms=HOLD_S * 1000 * 2)
    env = _timing(read_s=1, settle_s=HOLD_S * 2 + 1)
    workers = [airtable.start_engine_process(extra_env=env) for _ in range(2)]
    try:
        _wait(
            lambda: Mutation.objects.get(pk=first.pk).status == MutationStatus.PROCESSING,
            "first PATCH claimed",
            workers,
        )
        held_since = time.monotonic()
        _in_flight(first, sent=1)  # the request is in the emulator's hands, to be applied late
        airtable.emulator.clear_faults()  # everything after it is answered at once
        _wait(_all_final, "both PATCHes final", workers)
        # Whatever the engine did, the held request has landed by now.
        time.sleep(max(0.0, held_since + HOLD_S * 2 + 0.5 - time.monotonic()))
    finally:
        _stop(workers)
    [record] = airtable.records("Kandidaten")
    assert record["fields"]["Fase"] == "werkzaam"
    assert Candidate.objects.get(record_id=record_id).phase == "werkzaam"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert first.unknown_outcomes >= 1 and first.attempts >= 2


# --- break 2: unbounded resends; a reclaim is an attempt ------------------------------------


@processes
def test_reclaimed_leases_count_as_attempts_and_end_in_failed(region_client, airtable, run_engine):
    """Workers killed while their PATCH is held: every reclaim spends the step's budget
    (MUTATION_MAX_ATTEMPTS=2), so the PATCH is sent twice, fails, and the next write on the
    record still runs, after the quarantine."""
    record_id = _created(region_client, run_engine)
    url = f"/api/v2/candidates/{record_id}"
    doomed = _accepted(region_client.patch(url, {"phase": "matchen"}, format="json"))
    after = _accepted(region_client.patch(url, {"phase": "werkzaam"}, format="json"))
    patches_before = _patches(airtable)
    airtable.emulator.set_faults(airtable.base_id, latency_ms=HOLD_S * 1000)
    env = _timing(read_s=HOLD_S + 1, settle_s=HOLD_S + 0.5, MUTATION_MAX_ATTEMPTS="2")
    survivor = None
    try:
        for sent in (1, 2):
            victim = airtable.start_engine_process(extra_env=env)
            _wait(lambda v=victim: _sending(doomed, v), "PATCH claimed", [victim])
            _in_flight(doomed, sent=sent)
            _kill(victim)  # while Airtable holds its request
        survivor = airtable.start_engine_process(extra_env=env)
        _wait(_all_final, "both PATCHes final", [survivor])
    finally:
        _stop([survivor] if survivor else [])
    assert _patches(airtable) - patches_before == 3  # two for the doomed PATCH, one after it
    doomed.refresh_from_db()
    after.refresh_from_db()
    assert (doomed.status, doomed.attempts) == ("failed", 2)
    assert doomed.error["code"] == "AIRTABLE_UNAVAILABLE" and doomed.step_failures == 2
    assert after.status == "succeeded"
    assert airtable.records("Kandidaten")[0]["fields"]["Fase"] == "werkzaam"


# --- break 3: duplicate files after a reclaim ------------------------------------------------


@processes
def test_an_upload_applied_by_a_killed_worker_is_not_uploaded_again(
    region_client, airtable, run_engine
):
    record_id = _created(region_client, run_engine)
    cv = {
        "filename": "cv.txt",
        "contentType": "text/plain",
        "base64": base64.b64encode(b"curriculum").decode(),
    }
    response = region_client.post(
        f"/api/v2/candidates/{record_id}/attachments", {"curriculumVitae": [cv]}, format="json"
    )
    mutation = _accepted(response)
    airtable.emulator.set_faults(airtable.base_id, latency_ms=HOLD_S * 1000)
    env = _timing(read_s=HOLD_S + 1, settle_s=HOLD_S + 0.5)
    victim = airtable.start_engine_process(extra_env=env)
    survivor = None
    try:
        # The record was read; the claim now held is the upload's.
        _wait(lambda: _sending(mutation, victim, lambda m: "current" in m.state), "upload")
        _in_flight(mutation, sent=2)  # the read was the first request
        _kill(victim)  # while Airtable holds the upload, which it then applies
        survivor = airtable.start_engine_process(extra_env=env)
        _wait(_all_final, "upload final", [survivor])
    finally:
        _stop([survivor] if survivor else [])
    files = airtable.records("Kandidaten")[0]["fields"]["CV"]
    assert [f["filename"] for f in files] == ["cv.txt"]
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", mutation.error
    assert mutation.unknown_outcomes == 1
    mirrored = Candidate.objects.get(record_id=record_id).attachments.all()
    assert [a.filename for a in mirrored] == ["cv.txt"]


# --- break 4: a delete erases what the record links when it runs ----------------------------


@processes
def test_delete_erases_interactions_created_just_before_it_and_by_staff(
    region_client, airtable, run_engine
):
    record_id = _created(region_client, run_engine)
    staff_made = gateway_for_environment("production").create_records(
        "Interacties",
        [{"Onderwerp": "Belletje", "Type": "Telefonisch", "Kandidaat": [record_id]}],
    )[0]["id"]
    interaction = {"type": "Telefonisch", "performedAt": "2026-11-01T10:00:00Z"}
    created = _accepted(
        region_client.post(
            f"/api/v2/candidates/{record_id}/interactions",
            {"interactions": [interaction]},
            format="json",
        )
    )
    attachment = _accepted(
        region_client.post(
            f"/api/v2/candidates/{record_id}/attachments",
            {
                "curriculumVitae": [
                    {"filename": "cv.txt", "contentType": "text/plain", "base64": "eA=="}
                ]
            },
            format="json",
        )
    )
    delete = _accepted(region_client.delete(f"/api/v2/candidates/{record_id}"))
    airtable.emulator.set_faults(airtable.base_id, latency_ms=100)
    worker = airtable.start_engine_process(extra_env=_timing(read_s=2, settle_s=1))
    try:
        _wait(_all_final, "writes final", [worker])
    finally:
        _stop([worker])
    for mutation in (created, attachment, delete):
        mutation.refresh_from_db()
        assert mutation.status == "succeeded", (mutation.operation, mutation.error)
    late = created.result["recordIds"][0]
    assert airtable.records("Interacties") == []
    assert airtable.records("Kandidaten") == []
    assert sorted(delete.result["erased"]["interactionIds"]) == sorted([late, staff_made])
    assert not Candidate.objects.filter(record_id=record_id).exists()


def test_an_interaction_create_queued_after_the_delete_is_cancelled(
    region_client, airtable, run_engine
):
    record_id = _created(region_client, run_engine)
    delete = _accepted(region_client.delete(f"/api/v2/candidates/{record_id}"))
    body = {"interactions": [{"type": "Telefonisch", "performedAt": "2026-11-01T10:00:00Z"}]}
    late = _accepted(
        region_client.post(f"/api/v2/candidates/{record_id}/interactions", body, format="json")
    )
    run_engine()
    delete.refresh_from_db()
    late.refresh_from_db()
    assert delete.status == "succeeded"
    assert (late.status, late.error["code"]) == ("cancelled", "CANDIDATE_DELETED")
    assert airtable.records("Interacties") == []


# --- break 5: for one ordering key, sequence order is commit order ---------------------------


@processes
def test_racing_upserts_of_one_new_email_make_one_create_and_one_update(region_client, airtable):
    """An upsert inserted but not yet committed (the blocking row) and a second upsert of the
    same email: the second must not run beside the first."""
    airtable.emulator.set_faults(airtable.base_id, latency_ms=HOLD_S * 1000)
    env = _timing(read_s=HOLD_S + 1.5, settle_s=1)
    workers = [airtable.start_engine_process(extra_env=env) for _ in range(2)]
    key = region_client._credentials["HTTP_X_API_KEY"]
    inserted, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def upsert(name: str, *, hold_commit: bool) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_X_API_KEY=key)
            with transaction.atomic():
                response = client.post(
                    "/api/v2/candidates/upsert", _person(7, name=name), format="json"
                )
                assert response.status_code == 202, response.content
                if hold_commit:
                    inserted.set()
                    commit.wait(timeout=30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            inserted.set()
        finally:
            connection.close()

    try:
        # A warm-up write proves the workers are up before the race starts.
        _accepted(region_client.post("/api/v2/candidates", {"candidates": [_person(1)]}, "json"))
        _wait(_all_final, "warm-up", workers)
        first = threading.Thread(target=upsert, args=("Eerste",), kwargs={"hold_commit": True})
        first.start()
        assert inserted.wait(timeout=30)
        second = threading.Thread(target=upsert, args=("Tweede",), kwargs={"hold_commit": False})
        second.start()
        # Before the fix the second upsert commits at once and a worker starts on it.
        deadline = time.monotonic() + 5
        while (
            time.monotonic() < deadline
            and not Mutation.objects.filter(
                operation="candidate.upsert", status="processing"
            ).exists()
        ):
            time.sleep(0.05)
        commit.set()
        first.join(timeout=30)
        second.join(timeout=30)
        assert not errors, errors
        _wait(_all_final, "upserts final", workers)
    finally:
        commit.set()
        _stop(workers)
    upserts = Mutation.objects.filter(operation="candidate.upsert").order_by("sequence")
    assert [m.status for m in upserts] == ["succeeded", "succeeded"]
    assert [m.result["created"] for m in upserts] == [True, False]
    assert [m.payload["candidate"]["name"] for m in upserts] == ["Eerste", "Tweede"]
    matches = [
        r for r in airtable.records("Kandidaten") if r["fields"]["E-mail"] == "p7@example.nl"
    ]
    assert [r["fields"]["Naam"] for r in matches] == ["Tweede"]


# --- attempts, retry budget per step, refusing unsafe configurations ------------------------


def test_a_succeeded_mutation_reports_the_requests_it_sent(region_client, airtable, run_engine):
    """Issue 13, reproduction 7: ``attempts`` counts Airtable requests, never 0 after success."""
    mutation = _accepted(
        region_client.post("/api/v2/candidates", {"candidates": [_person(1)]}, "json")
    )
    run_engine()
    mutation.refresh_from_db()
    assert (mutation.status, mutation.attempts) == ("succeeded", 1)
    data = region_client.get(f"/api/v2/mutations/{mutation.uuid}").json()["data"]
    assert data["attempts"] == 1


def test_each_step_of_a_multi_step_write_has_its_own_retry_budget(
    region_client, airtable, run_engine, settings
):
    """MUTATION_MAX_ATTEMPTS=2 and every step fails once: the attachment add (read, upload,
    re-check, read) still succeeds, because a step that succeeds resets the budget."""
    settings.MUTATION_MAX_ATTEMPTS = 2
    record_id = _created(region_client, run_engine)
    cv = {"filename": "cv.txt", "contentType": "text/plain", "base64": "eA=="}
    mutation = _accepted(
        region_client.post(
            f"/api/v2/candidates/{record_id}/attachments", {"curriculumVitae": [cv]}, "json"
        )
    )
    for _ in range(4):
        for faults in ({"error_rate": 1.0, "error_statuses": [503]}, {}):
            if faults:
                airtable.emulator.set_faults(airtable.base_id, **faults)
            else:
                airtable.emulator.clear_faults()
            Mutation.objects.filter(pk=mutation.pk).update(next_attempt_at=timezone.now())
            engine_tick(environment="production", owner="w")
    run_engine()
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", mutation.error
    assert [f["filename"] for f in airtable.records("Kandidaten")[0]["fields"]["CV"]] == ["cv.txt"]


def test_gateway_deadline_bounds_the_whole_request(airtable):
    gateway = gateway_for_environment("production")
    airtable.emulator.set_faults(airtable.base_id, latency_ms=3000)
    with pytest.raises(AirtableError) as raised, gateway.deadline(0.3):
        gateway.list_records("Kandidaten")
    assert raised.value.error_type == "TIMEOUT"


def test_engine_refuses_a_lease_shorter_than_one_request(settings):
    settings.MUTATION_LEASE_S = 5
    settings.AIRTABLE_READ_TIMEOUT_S = 30
    with pytest.raises(CommandError, match="MUTATION_LEASE_S"):
        call_command("run_engine", "--until-idle")
    assert "MUTATION_LEASE_S (5)" in (worker_problem("prefork") or "")


@pytest.mark.parametrize("pool", ["threads", "gevent", "eventlet"])
def test_engine_refuses_thread_and_green_thread_pools(pool):
    assert "not supported" in (worker_problem(pool) or "")
    assert worker_problem("prefork") is None and worker_problem("solo") is None
