"""Tasks import services, never the reverse: a service wakes a worker by enqueueing the task's
registered name (``config.enqueue``), so no module hides an import of its app's ``tasks``
inside a function to dodge a cycle. The names it enqueues must be registered tasks, and the
Celery routes and beat schedule must name registered tasks too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from config.celery import app
from config.enqueue import enqueue_task

ROOT = Path(__file__).resolve().parents[1]
# Apps whose services enqueue their own tasks; their entry points (tasks, management
# commands) may import anything.
PACKAGES = ("mutations", "webhooks", "candidates")
ENTRY_POINTS = ("management", "migrations")
ENQUEUE_HELPERS = {"enqueue_task", "enqueue_on_commit"}


def _modules() -> Iterator[tuple[Path, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "tasks.py" or set(relative.parts) & set(ENTRY_POINTS):
                continue
            module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            yield path, module


def _imported_modules(path: Path, module: str) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (function-level imports included),
    relative imports resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            parent = ".".join([*base, *(node.module.split(".") if node.module else [])])
            yield parent
            yield from (f"{parent}.{alias.name}" for alias in node.names)


def test_no_service_imports_a_tasks_module():
    offenders = [
        (str(path.relative_to(ROOT)), name)
        for path, module in _modules()
        for name in _imported_modules(path, module)
        if name.split(".")[-1] == "tasks"
    ]
    assert offenders == []


def _enqueued_names() -> Iterator[tuple[str, str]]:
    """(module, task name) for every ``enqueue_task``/``enqueue_on_commit`` call whose name is
    a string literal or a module-level string constant."""
    for path, module in _modules():
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ENQUEUE_HELPERS
            ):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield module, first.value
            elif isinstance(first, ast.Name) and first.id in constants:
                yield module, constants[first.id]
            else:  # pragma: no cover - a failure message, not a branch the suite takes
                raise AssertionError(f"{module}: enqueue a literal task name or a constant")


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()  # autodiscovered tasks.py and CELERY_IMPORTS
    return set(app.tasks)


def test_every_name_enqueued_is_a_registered_task(registered):
    enqueued = set(_enqueued_names())
    assert {module for module, _ in enqueued} >= {
        "mutations.services",
        "webhooks.delivery",
        "candidates.auth.services",
    }
    assert {name for _, name in enqueued} - registered == set()


def test_routes_and_schedule_name_registered_tasks(registered):
    named = set(settings.CELERY_TASK_ROUTES) | {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert named - registered == set()


def test_enqueue_by_name_keeps_the_route():
    """``send_task`` applies ``CELERY_TASK_ROUTES`` by name: a drain lands on the engine queue."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = client.llen("engine")
    assert enqueue_task(
        "mutations.tasks.drain_mutations", "sandbox", failure_event="test.enqueue_failed"
    )
    assert client.llen("engine") > before


def test_enqueue_by_name_runs_in_process_when_eager():
    """``send_task`` ignores ``task_always_eager``; the helper runs the registered task."""
    ran: list[int] = []

    @app.task(name="tests.import_cycles.record", shared=False)
    def record(value: int) -> None:
        ran.append(value)

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        assert enqueue_task(record.name, 7, failure_event="test.enqueue_failed")
    finally:
        app.conf.task_always_eager = eager
    assert ran == [7]
