"""Celery entry points. Tasks take ids only; the database is the queue of record."""

from __future__ import annotations

import time

from celery import shared_task

from config.api.environment import ENVIRONMENTS

from .engine import eligible_mutations, engine_tick, worker_id
from .services import DRAIN_TASK, engine_wakeup, mutation_keys_release_expired

DRAIN_BUDGET_S = 25.0  # then yield the worker slot; the sweeper or a wake-up resumes


def engine_drain(environment: str, *, budget_s: float = DRAIN_BUDGET_S) -> int:
    """Loop engine ticks until nothing is due or the time budget is spent. Returns records."""
    owner = worker_id()
    deadline = time.monotonic() + budget_s
    records = 0
    while time.monotonic() < deadline:
        result = engine_tick(environment=environment, owner=owner)
        records += result.records
        if result.idle:
            break
        if result.wait_s:
            remaining = deadline - time.monotonic()
            if result.wait_s > remaining:
                break
            time.sleep(result.wait_s)
    return records


@shared_task(name=DRAIN_TASK, ignore_result=True, acks_late=True)
def drain_mutations(environment: str) -> None:
    engine_drain(environment)


@shared_task(name="mutations.tasks.sweep_mutations", ignore_result=True)
def sweep_mutations() -> None:
    """Every 10 s: wake the engine for due work nobody is on (Redis was down, a worker died,
    a long backoff ended), and drop ordering keys whose quarantine is over."""
    mutation_keys_release_expired()
    for environment in ENVIRONMENTS:
        if eligible_mutations(environment).exists():
            engine_wakeup(environment)
