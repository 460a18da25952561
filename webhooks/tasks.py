"""Celery entry points for callback and event delivery. The Delivery table is the queue of
record; a task is only a wake-up, so a lost one costs at most one sweep interval."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="webhooks.tasks.deliver", ignore_result=True, acks_late=True)
def deliver(delivery_id: str) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> None:
    """Every 30 s: enqueue due deliveries (lost wake-ups, lapsed claims, long retry waits)."""
    services.delivery_sweep()
