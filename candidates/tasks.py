"""Celery entry points for the scheduled sync jobs (SPEC 9). Each is also a management command
(``sync_airtable``, ``wipe_sandbox``); the services do the work and hold the base lock."""

from __future__ import annotations

from celery import shared_task

from config.api.environment import ENVIRONMENTS

from .sync import sandbox_wipe, sync_full, sync_incremental


@shared_task(ignore_result=True)
def sync_airtable_incremental() -> None:
    """Every minute. A base whose previous sync still runs is skipped until the next tick."""
    for environment in ENVIRONMENTS:
        sync_incremental(environment=environment)


@shared_task(ignore_result=True)
def sync_airtable_full() -> None:
    """Nightly. An interrupted reconcile of a base resumes here."""
    for environment in ENVIRONMENTS:
        sync_full(environment=environment)


@shared_task(ignore_result=True)
def wipe_sandbox() -> None:
    """Daily: empty the sandbox base and mirror."""
    sandbox_wipe()
