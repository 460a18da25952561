"""SPEC 5.2: Redis is a wake-up signal, not the queue. With Redis down, writes still get 202;
once it is back, the sweeper hands the queued work to the workers and everything completes."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from mutations.models import Mutation
from regions.services import api_key_create, region_create
from tests.processes import ROOT, free_port, start_celery_worker, start_redis, start_web, stop

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _wait_all_succeeded(count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if Mutation.objects.filter(status="succeeded").count() == count:
            return
        time.sleep(0.2)
    statuses = list(Mutation.objects.values_list("status", flat=True))
    raise AssertionError(f"not all succeeded: {statuses}")


def test_writes_survive_a_redis_outage(airtable):
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**airtable.subprocess_env(), "REDIS_URL": redis_url}
    region = region_create(code="noord", name="Noord")
    key = api_key_create(region=region, name="site").full_key
    url = f"http://127.0.0.1:{web_port}/api/v2/candidates"

    def post(n: int) -> requests.Response:
        body = {
            "candidates": [{"name": f"K {n}", "email": f"k{n}@example.nl", "privacyConsent": True}]
        }
        return requests.post(url, json=body, headers={"x-api-key": key}, timeout=10)

    redis = start_redis(redis_port)
    web = worker = None
    try:
        web = start_web(web_port, env)
        worker = start_celery_worker(env)
        assert [post(n).status_code for n in range(3)] == [202] * 3
        _wait_all_succeeded(3)  # enqueued on commit, drained by the Celery worker

        stop(redis)
        started = time.monotonic()
        assert [post(n).status_code for n in range(3, 6)] == [202] * 3
        assert time.monotonic() - started < 10  # no hanging on the dead broker
        time.sleep(1)
        assert Mutation.objects.filter(status="queued").count() == 3

        redis = start_redis(redis_port)
        sweep = subprocess.run(
            [sys.executable, "manage.py", "run_sweeper"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "production: 3 due, engine woken" in sweep.stdout, sweep.stderr
        _wait_all_succeeded(6)
    finally:
        stop(worker, web, redis)
    assert len(airtable.records("Kandidaten")) == 6
