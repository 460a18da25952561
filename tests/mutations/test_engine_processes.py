"""The engine under real conditions: several worker processes, Airtable's rate limit, faults.

Each test commits its data (``transaction=True``) so the worker processes, started with
``manage.py run_engine`` against the same database and emulator, can see it.
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from rest_framework.test import APIClient

from mutations.models import Mutation, MutationStatus
from regions.services import api_key_create, region_create

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WAIT_LIMIT_S = 180


def _candidate(region_code: str, n: int) -> dict:
    return {
        "name": f"Kandidaat {region_code} {n}",
        "email": f"k{n}@{region_code}.example.nl",
        "privacyConsent": True,
        "phone": f"061{n:07d}",  # a valid Dutch mobile number (is_valid_number)
    }


def _client(code: str) -> APIClient:
    region = region_create(code=code, name=f"Regio {code}")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_create(region=region, name="import").full_key)
    return client


def _submit(client: APIClient, code: str, count: int, batch: int) -> int:
    sent = 0
    while sent < count:
        size = min(batch, count - sent)
        body = {"candidates": [_candidate(code, sent + i) for i in range(size)]}
        response = client.post("/api/v2/candidates", body, format="json")
        assert response.status_code == 202, response.content
        sent += size
    return sent


def _wait_until_final(expected: int, processes=()) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        if Mutation.objects.exclude(status__in=["succeeded", "failed"]).count() == 0:
            assert Mutation.objects.count() == expected
            return
        for process in processes:
            assert process.poll() in (None, -signal.SIGKILL), process.stderr.read().decode()
        time.sleep(0.5)
    stuck = Counter(Mutation.objects.values_list("status", flat=True))
    raise AssertionError(f"mutations not final after {WAIT_LIMIT_S}s: {stuck}")


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def _assert_no_duplicates(airtable, expected: int) -> None:
    records = airtable.records("Kandidaten")
    keys = Counter(r["fields"]["API Mutation Key"] for r in records)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    assert len(records) == expected


def test_bulk_import_from_five_regions_with_two_workers(airtable, settings):
    """1 000 candidates: all succeed, exactly 1 000 records, ≤ 10 records per request, no 429,
    ≤ 5 requests in any second (Airtable's own limit, enforced by the emulator)."""
    settings.AIRTABLE_REQUESTS_PER_S = 5
    airtable.emulator.set_config(rate_limit_per_s=5, penalty_s=30)
    # Mixed request sizes so batches must combine mutations of several regions.
    plan = {"noord": 10, "zuid": 10, "oost": 7, "west": 3, "midden": 1}
    clients = {code: _client(code) for code in plan}
    total = sum(_submit(clients[code], code, 200, batch) for code, batch in plan.items())
    assert total == 1000
    expected_mutations = Mutation.objects.count()
    airtable.emulator.clear_log()

    workers = [airtable.start_engine_process() for _ in range(2)]
    try:
        _wait_until_final(expected_mutations, workers)
    finally:
        _stop(workers)

    assert set(Mutation.objects.values_list("status", flat=True)) == {MutationStatus.SUCCEEDED}
    _assert_no_duplicates(airtable, 1000)
    log = airtable.emulator.log_summary(airtable.base_id)
    assert log["rate_limited_429"] == 0
    assert log["max_batch_size"] <= 10
    assert log["max_requests_in_any_1s_window"] <= 5
    # Batching works: far fewer requests than mutations (1 000 records need ≥ 100 requests).
    assert log["by_kind"].get("write", 0) <= 110


def test_exactly_once_under_faults_and_a_killed_worker(airtable, settings):
    """20 % 5xx, 10 % timeouts after the write was applied, one worker SIGKILLed mid-batch:
    every mutation ends succeeded and Airtable holds no duplicate."""
    settings.AIRTABLE_READ_TIMEOUT_S = 1
    settings.MUTATION_LEASE_S = 4
    settings.MUTATION_BACKOFF_BASE_S = 0.2
    settings.MUTATION_BACKOFF_MAX_S = 2
    airtable.emulator.set_faults(
        airtable.base_id, error_rate=0.2, timeout_after_write_rate=0.1, timeout_s=2, seed=7
    )
    clients = {code: _client(code) for code in ("noord", "zuid")}
    total = _submit(clients["noord"], "noord", 60, 3) + _submit(clients["zuid"], "zuid", 40, 1)
    expected_mutations = Mutation.objects.count()

    env = {
        "MUTATION_LEASE_S": "4",
        # The lease must cover connect + read timeout + token wait + margin (0.5 + 1 + 1 + 0.5).
        "AIRTABLE_CONNECT_TIMEOUT_S": "0.5",
        "MUTATION_TOKEN_WAIT_S": "1",
        "MUTATION_LEASE_MARGIN_S": "0.5",
        # The faults apply writes before they answer late: short quarantines suffice.
        "MUTATION_SETTLE_S": "1",
        "MUTATION_BACKOFF_BASE_S": "0.2",
        "MUTATION_BACKOFF_MAX_S": "2",
        "MUTATION_MAX_ATTEMPTS": "30",
    }
    victim = airtable.start_engine_process(extra_env=env)
    survivor = airtable.start_engine_process(extra_env=env)
    try:
        # Kill one worker while it holds claimed mutations (mid-batch).
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and not Mutation.objects.filter(
                status=MutationStatus.PROCESSING, lease_owner__endswith=f":{victim.pid}"
            ).exists()
        ):
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        _wait_until_final(expected_mutations, [survivor])
    finally:
        _stop([survivor])

    statuses = Counter(Mutation.objects.values_list("status", flat=True))
    assert statuses == {MutationStatus.SUCCEEDED: expected_mutations}
    _assert_no_duplicates(airtable, total)
    log = airtable.emulator.log_summary(airtable.base_id)
    assert log["injected_5xx"] > 0 and log["injected_timeouts"] > 0


def test_twenty_concurrent_identical_requests_make_one_mutation(airtable):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    client = _client("noord")
    key = client._credentials["HTTP_X_API_KEY"]
    body = {"candidates": [_candidate("noord", 1)], "idempotencyKey": "burst-1"}

    def post(_: int) -> tuple[int, str]:
        try:
            thread_client = APIClient()
            thread_client.credentials(HTTP_X_API_KEY=key)
            response = thread_client.post("/api/v2/candidates", body, format="json")
            return response.status_code, response.json()["data"]["mutationId"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))
    assert {status for status, _ in results} == {202}
    assert len({mutation_id for _, mutation_id in results}) == 1
    assert Mutation.objects.count() == 1


def test_back_to_back_writes_to_one_candidate_end_in_order(airtable):
    client = _client("noord")
    workers = [airtable.start_engine_process() for _ in range(2)]
    try:
        created = client.post(
            "/api/v2/candidates", {"candidates": [_candidate("noord", 1)]}, format="json"
        )
        assert created.status_code == 202
        # An upsert of the same person, sent before the create ran, must not overtake it.
        upsert = client.post(
            "/api/v2/candidates/upsert",
            {**_candidate("noord", 1), "phase": "matchen"},
            format="json",
        )
        assert upsert.status_code == 202
        _wait_until_final(2, workers)
        record_id = Mutation.objects.get(operation="candidate.create").result["recordIds"][0]
        url = f"/api/v2/candidates/{record_id}"
        for body in (
            {"phase": "oriënteren"},
            {"phase": "voorbereiden", "city": "Zwolle"},
            {"phase": "in opleiding"},
        ):
            assert client.patch(url, body, format="json").status_code == 202
        assert client.post(f"{url}/archive").status_code == 202
        _wait_until_final(6, workers)
    finally:
        _stop(workers)
    records = airtable.records("Kandidaten")
    assert len(records) == 1
    fields = records[0]["fields"]
    assert (fields["Fase"], fields["Plaats"], fields["Gearchiveerd"]) == (
        "in opleiding",
        "Zwolle",
        True,
    )
    operations = list(Mutation.objects.order_by("finished_at").values_list("operation", flat=True))
    assert operations == [
        "candidate.create",
        "candidate.upsert",
        "candidate.update",
        "candidate.update",
        "candidate.update",
        "candidate.archive",
    ]
