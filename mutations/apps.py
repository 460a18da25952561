from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Pools whose workers are separate processes (or the one process itself). Thread and green
# thread pools would run several engine loops under one worker identity and share the
# gateway's per-request deadline, so they are refused.
PROCESS_POOLS = frozenset({"prefork", "processes", "solo"})


class MutationsConfig(AppConfig):
    verbose_name = _("Mutation Engine")
    name = "mutations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_init

        from config.api.health import register_database_check

        from . import registry, selectors, waiting

        registry.register_finish_listener(waiting.mutation_signal_finished)
        register_database_check("queue", selectors.mutation_queue_health)
        worker_init.connect(refuse_unsafe_worker, weak=False, dispatch_uid="mutations.pool")


def refuse_unsafe_worker(sender: Any = None, **kwargs: Any) -> None:
    """A Celery worker that runs the engine must fence its requests (SPEC 5.4): refuse to
    start with a lease its requests can outlive, or with a thread/green-thread pool.

    Celery logs and swallows exceptions from signal handlers, so this exits instead."""
    problem = worker_problem(getattr(sender, "pool_cls", None))
    if problem:
        raise SystemExit(f"refusing to start: {problem}")


def worker_problem(pool: Any) -> str | None:
    from .engine import lease_timing_problem

    problem = lease_timing_problem()
    if problem:
        return problem
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    name = str(name).rsplit(".", 1)[-1].split(":")[0]
    if pool is not None and name not in PROCESS_POOLS:
        return (
            f"Celery pool {pool!r} is not supported: the Mutation Engine needs one process per "
            "worker slot (--pool prefork or solo)."
        )
    return None
