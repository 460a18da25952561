"""The Mutation Engine is domain-agnostic (docs/architecture.md): a toy operation handler for a
made-up ``Toys`` table goes the whole way (claim, one request through the real gateway over
HTTP to the emulator, outcome recorded, completion, mutation succeeded) while not one line of
``candidates`` runs on the engine's side of the wire."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airtable.emulator import EmulatorServer
from config.api.environment import PRODUCTION
from mutations import registry
from mutations.models import Mutation, MutationAttempt, MutationStatus
from mutations.services import mutation_accept
from mutations.steps import Step, StepOutcome, WriteItem
from mutations.tasks import engine_drain
from tests.airtable_stack import TOKEN, random_base_id

pytestmark = pytest.mark.django_db

TOYS = "Toys"
OPERATION = "toy.create"
TOY_FIELDS = [
    {"name": "Naam", "type": "singleLineText"},
    {"name": "Kleur", "type": "singleLineText"},
    {"name": "Sleutel", "type": "singleLineText"},
]


class ToyCreate:
    """Creates one ``Toys`` record per toy in the payload: an upsert on ``Sleutel`` (so a retried
    request cannot duplicate), the records kept in ``state``, their ids as the result."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def next_step(self, mutation: Mutation) -> Step | None:
        self.calls.append("next_step")
        done = mutation.state.get("records", {})
        items = tuple(
            WriteItem(key=str(i), fields={**toy, "Sleutel": f"{mutation.uuid}:{i}"})
            for i, toy in enumerate(mutation.payload["toys"])
            if str(i) not in done
        )
        if not items:
            return None
        return Step(action="upsert", table=TOYS, items=items, merge_on=("Sleutel",))

    def record_outcome(self, mutation: Mutation, step: Step, outcome: StepOutcome) -> None:
        self.calls.append("record_outcome")
        mutation.state.setdefault("records", {}).update(outcome.records)

    def complete(self, mutation: Mutation) -> dict[str, Any]:
        self.calls.append("complete")
        records = mutation.state["records"]
        return {"toyIds": [records[str(i)]["id"] for i in range(len(records))]}

    def events(self, mutation: Mutation) -> list[Any]:
        return []  # a toy tells no webhook subscriber anything


@pytest.fixture
def toy_handler() -> Iterator[ToyCreate]:
    handler = ToyCreate()
    registry.register_operation(OPERATION, handler, label="Toy created")
    yield handler
    registry.unregister_operation(OPERATION)


@pytest.fixture
def toy_base(emulator_process_wide: EmulatorServer, settings) -> str:
    """A base holding only ``Toys`` (none of the candidate tables); the gateway points at it."""
    emulator = emulator_process_wide
    emulator.reset()
    base = emulator.create_base("Speelgoed", [{"name": TOYS, "fields": TOY_FIELDS}])
    settings.AIRTABLE_API_URL = emulator.url
    settings.AIRTABLE_CONTENT_URL = emulator.url
    settings.AIRTABLE_TOKEN = TOKEN
    settings.AIRTABLE_BASE_ID = base["id"]
    settings.AIRTABLE_SANDBOX_BASE_ID = random_base_id()
    settings.AIRTABLE_REQUESTS_PER_S = 200
    settings.AIRTABLE_READ_TIMEOUT_S = 5
    return str(base["id"])


def _logged_requests(emulator: EmulatorServer, base_id: str) -> list[dict[str, Any]]:
    """The emulator logs just after answering: give its log a moment to catch up."""
    deadline = time.monotonic() + 2
    while not emulator.log_entries(base_id) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # so a surplus request would show too
    return emulator.log_entries(base_id)


def _modules_run_by(call: Any) -> tuple[Any, set[str]]:
    """``call()``'s result and every module whose Python code ran in this thread meanwhile (the
    emulator answers on threads of its own, so it does not count)."""
    seen: set[str] = set()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            seen.add(frame.f_globals.get("__name__", ""))

    sys.setprofile(profile)
    try:
        result = call()
    finally:
        sys.setprofile(None)
    return result, seen


def test_a_toy_handler_goes_through_claim_send_record_complete(
    region, toy_handler, toy_base, emulator_process_wide, django_capture_on_commit_callbacks
):
    toys = [{"Naam": "Knikker", "Kleur": "blauw"}, {"Naam": "Tol", "Kleur": "rood"}]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = mutation_accept(
            region=region,
            environment=PRODUCTION,
            operation=OPERATION,
            payload={"toys": toys},
            ordering_keys=["toys"],
        )
    emulator_process_wide.clear_log()

    with django_capture_on_commit_callbacks(execute=True):
        processed, modules = _modules_run_by(lambda: engine_drain(PRODUCTION, budget_s=30))

    mutation = Mutation.objects.get(pk=accepted.mutation.pk)
    assert processed >= 1
    assert mutation.status == MutationStatus.SUCCEEDED, (mutation.error, mutation.state)
    stored = emulator_process_wide.records(toy_base, TOYS)
    assert sorted((r["fields"]["Naam"], r["fields"]["Kleur"]) for r in stored) == [
        ("Knikker", "blauw"),
        ("Tol", "rood"),
    ]
    by_name = {r["fields"]["Naam"]: r["id"] for r in stored}
    assert mutation.result == {"toyIds": [by_name["Knikker"], by_name["Tol"]]}
    # Claimed once, sent in one request over HTTP, the answer folded in, then completed.
    assert toy_handler.calls == ["next_step", "record_outcome", "next_step", "complete"]
    [request] = _logged_requests(emulator_process_wide, toy_base)
    assert (request["method"], request["path"]) == ("PATCH", f"/v0/{toy_base}/{TOYS}")
    [attempt] = MutationAttempt.objects.filter(mutation=mutation)
    assert (attempt.action, attempt.table, attempt.record_count) == ("upsert", TOYS, 2)
    assert attempt.status_code == 200
    # The engine's side ran no candidates code at all.
    assert not {m for m in modules if m == "candidates" or m.startswith("candidates.")}
    assert "airtable.gateway" in modules and "mutations.engine" in modules


def test_unregistering_forgets_the_handler_and_its_label():
    registry.register_operation("toy.other", ToyCreate(), label="Toy")
    registry.unregister_operation("toy.other")

    assert "toy.other" not in registry.registered_operations()
    assert registry.operation_label("toy.other") == "toy.other"
    with pytest.raises(LookupError):
        registry.handler_for("toy.other")
