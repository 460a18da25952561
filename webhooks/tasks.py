"""Celery entry points for callback and event delivery. The Delivery table is the queue of
record; a task is only a wake-up, so a lost one costs at most one sweep interval."""

from __future__ import annotations

from uuid import UUID

from celery import shared_task

from config.enqueue import enqueue

from . import services


@shared_task(ignore_result=True, acks_late=True)
def deliver(delivery_id: str) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_deliveries() -> None:
    """Every 30 s: enqueue due deliveries (lost wake-ups, lapsed claims, long retry waits)."""
    services.delivery_sweep()


def delivery_enqueue(delivery_id: UUID | str, *, countdown: float = 0) -> bool:
    """Enqueue one attempt. Never raises: with the broker down the sweep catches up later."""
    return enqueue(
        deliver,
        str(delivery_id),
        countdown=countdown,
        failure_event="webhooks.enqueue_failed",
        delivery_id=str(delivery_id),
    )
