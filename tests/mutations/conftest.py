from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from airtable.emulator import EmulatorServer
from config.api.environment import PRODUCTION, SANDBOX
from mutations.tasks import engine_drain

from ..airtable_stack import TOKEN, AirtableStack, random_base_id


@pytest.fixture(scope="session")
def emulator_process_wide() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, token=TOKEN, rate_limit_per_s=0).start()
    yield server
    server.stop()


@pytest.fixture
def airtable(emulator_process_wide, settings) -> AirtableStack:
    """Fresh production and sandbox bases on the emulator; the gateway points at them."""
    emulator = emulator_process_wide
    emulator.reset()
    settings.AIRTABLE_API_URL = emulator.url
    settings.AIRTABLE_CONTENT_URL = emulator.url
    settings.AIRTABLE_TOKEN = TOKEN
    settings.AIRTABLE_BASE_ID = random_base_id()
    settings.AIRTABLE_SANDBOX_BASE_ID = random_base_id()
    settings.AIRTABLE_REQUESTS_PER_S = 200  # engine tests that measure the limit lower it
    settings.AIRTABLE_READ_TIMEOUT_S = 5
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = True
    stack = AirtableStack(
        emulator=emulator,
        base_ids={
            PRODUCTION: settings.AIRTABLE_BASE_ID,
            SANDBOX: settings.AIRTABLE_SANDBOX_BASE_ID,
        },
    )
    stack.bootstrap()
    emulator.clear_log()
    return stack


@pytest.fixture
def run_engine(airtable, django_capture_on_commit_callbacks) -> Callable[..., int]:
    """Drain the engine in this process until nothing is due, running what it schedules for
    after commit (staged file clean-up, callback and event deliveries)."""

    def run(environment: str = PRODUCTION, budget_s: float = 60) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return engine_drain(environment, budget_s=budget_s)

    return run
