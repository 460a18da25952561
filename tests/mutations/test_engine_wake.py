"""An accepted write wakes an idle ``run_engine`` through Redis instead of waiting out its idle
sleep (issue 21, time to done)."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from mutations import waiting
from mutations.services import mutation_accept
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _own_wake_lists(monkeypatch):
    # Other test processes share the Redis database: each test gets its own lists.
    monkeypatch.setattr(
        waiting, "ENGINE_WAKE_KEY", f"test-engine-wake-{uuid.uuid4().hex}:{{environment}}"
    )


def _accept(region, environment: str = "production") -> None:
    mutation_accept(
        region=region,
        environment=environment,
        operation="candidate.upsert",
        payload={"candidate": candidate_body()},
    )


def test_an_accepted_write_wakes_the_idle_engine_of_its_environment_only(region):
    assert waiting.engine_idle_wait(["production", "sandbox"], 0.1) is False

    _accept(region, "production")

    assert waiting.engine_idle_wait(["sandbox"], 0.1) is False
    assert waiting.engine_idle_wait(["production"], 5) is True
    assert waiting.engine_idle_wait(["production"], 0.1) is False


def test_nudges_nobody_takes_are_trimmed_and_expire(region):
    for _ in range(waiting.ENGINE_WAKE_MAX + 5):
        _accept(region)
    client = waiting._client()
    key = waiting.ENGINE_WAKE_KEY.format(environment="production")

    assert client.llen(key) == waiting.ENGINE_WAKE_MAX
    assert 0 < client.ttl(key) <= waiting.ENGINE_WAKE_TTL_S


def test_without_redis_the_idle_engine_sleeps_and_accepting_still_works(region, settings):
    settings.REDIS_URL = ""

    _accept(region)

    assert waiting.engine_idle_wait(["production"], 0.05) is False


def test_run_engine_takes_the_nudge_when_idle(region, settings):
    _accept(region)  # a nudge, with nothing the engine can do (no Airtable configured)
    key = waiting.ENGINE_WAKE_KEY.format(environment="production")
    assert waiting._client().llen(key) == 1

    call_command("run_engine", "--environment", "production", "--max-seconds", "0.3")

    assert waiting._client().llen(key) == 0
