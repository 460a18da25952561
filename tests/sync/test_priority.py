"""SPEC 5.3: sync reads share the engine's per-base budget at lower priority. The engine is
never starved: while it has work, a sync gets at most AIRTABLE_SYNC_SHARE_PER_S."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from config.redis import get_redis
from mutations import limiter
from mutations.limiter import PRIORITY_SYNC, AirtableBudget
from tests.airtable_stack import random_base_id

RATE_PER_S = 5.0
SHARE_PER_S = 0.5
SIMULATED_S = 120.0
REQUEST_S = 0.05  # a worker's own time per request (HTTP round trip, bookkeeping)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, settings) -> FakeClock:
    """The in-process limiter (no Redis) on a clock the test moves: the same code path as
    with Redis, minus the Lua script, and no sleeping."""
    settings.REDIS_URL = ""
    settings.AIRTABLE_REQUESTS_PER_S = RATE_PER_S
    settings.AIRTABLE_SYNC_SHARE_PER_S = SHARE_PER_S
    fake = FakeClock()
    fake_time = SimpleNamespace(monotonic=fake.monotonic)
    monkeypatch.setattr("config.ratelimit.time", fake_time)
    monkeypatch.setattr("mutations.limiter.time", fake_time)
    monkeypatch.setattr(limiter, "_buckets", {})
    monkeypatch.setattr(limiter, "_local_demand", {})
    monkeypatch.setattr(limiter, "_local_pauses", {})
    return fake


def _simulate(clock: FakeClock, *workers: str) -> dict[str, int]:
    """Each worker asks for a token, sleeps what the budget says or sends a request, and asks
    again: exactly the engine's and the sync's loops. Returns tokens granted per worker."""
    base_id = random_base_id()
    budgets = {
        name: AirtableBudget(base_id, priority=PRIORITY_SYNC if name == "sync" else "engine")
        for name in workers
    }
    # The sync goes first on ties: the engine must win on the budget's rules, not on luck.
    next_at = {name: clock.now for name in sorted(workers, key=lambda n: n != "sync")}
    granted = dict.fromkeys(workers, 0)
    end = clock.now + SIMULATED_S
    while True:
        name = min(next_at, key=next_at.__getitem__)
        if next_at[name] >= end:
            return granted
        clock.now = next_at[name]
        wait = budgets[name].try_acquire()
        if wait == 0:
            granted[name] += 1
            next_at[name] = clock.now + REQUEST_S
        else:
            next_at[name] = clock.now + wait


def test_the_engine_keeps_its_rate_while_a_sync_runs_on_the_same_base(clock):
    granted = _simulate(clock, "engine", "sync")

    engine_per_s = granted["engine"] / SIMULATED_S
    sync_per_s = granted["sync"] / SIMULATED_S
    assert engine_per_s >= 4.0
    assert 0 < sync_per_s <= SHARE_PER_S + 1 / SIMULATED_S
    # Together they never exceed the one shared budget (97 % of Airtable's 5/s).
    budget = RATE_PER_S * limiter.RATE_SAFETY_FACTOR * SIMULATED_S
    assert granted["engine"] + granted["sync"] <= budget + 1


def test_a_sync_alone_gets_the_whole_budget(clock):
    granted = _simulate(clock, "sync")

    assert granted["sync"] / SIMULATED_S >= 0.95 * RATE_PER_S * limiter.RATE_SAFETY_FACTOR


def test_the_engine_alone_is_unchanged(clock):
    granted = _simulate(clock, "engine")

    assert granted["engine"] / SIMULATED_S >= 0.95 * RATE_PER_S * limiter.RATE_SAFETY_FACTOR


def test_the_sync_gets_the_whole_budget_soon_after_the_engine_goes_idle(clock):
    base_id = random_base_id()
    engine, sync = AirtableBudget(base_id), AirtableBudget(base_id, priority=PRIORITY_SYNC)
    assert engine.try_acquire() == 0
    assert sync.engine_demand_for() == limiter.ENGINE_DEMAND_TTL_S

    clock.now += limiter.ENGINE_DEMAND_TTL_S + 0.01
    assert sync.engine_demand_for() == 0
    grants, end = 0, clock.now + 10
    while clock.now < end:
        wait = sync.try_acquire()
        grants += wait == 0
        clock.now += wait or REQUEST_S
    assert grants >= 0.95 * 10 * RATE_PER_S * limiter.RATE_SAFETY_FACTOR


def _granted(budget: AirtableBudget) -> bool:
    time.sleep(0.005)  # the shared bucket (capacity 1) refills in 1 ms at 1000/s
    return budget.try_acquire() == 0


@pytest.mark.skipif(get_redis() is None, reason="needs Redis")
def test_the_engine_demand_flag_and_share_are_shared_through_redis(settings):
    settings.AIRTABLE_REQUESTS_PER_S = 1000  # the shared bucket never runs dry here
    settings.AIRTABLE_SYNC_SHARE_PER_S = SHARE_PER_S
    base_id = random_base_id()
    sync = AirtableBudget(base_id, priority=PRIORITY_SYNC)
    assert _granted(sync) and _granted(sync)  # no engine demand: no share applies

    assert _granted(AirtableBudget(base_id))  # another process' engine has work
    assert 0 < sync.engine_demand_for() <= limiter.ENGINE_DEMAND_TTL_S
    other_sync = AirtableBudget(base_id, priority=PRIORITY_SYNC)
    assert _granted(other_sync)  # the one ticket of this share interval
    wait = sync.try_acquire()
    assert 1 < wait <= limiter.ENGINE_DEMAND_TTL_S  # shared with every sync of the base

    get_redis().delete(limiter._demand_key(base_id))  # the engine went idle
    assert _granted(sync)


def test_a_429_pause_stops_the_sync_too(settings):
    base_id = random_base_id()
    AirtableBudget(base_id).pause(3)

    assert AirtableBudget(base_id, priority=PRIORITY_SYNC).try_acquire() > 2


def test_unknown_priorities_are_refused():
    with pytest.raises(ValueError, match="priority"):
        AirtableBudget("appX", priority="urgent")
