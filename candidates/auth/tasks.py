"""Celery entry points for candidate sessions (registered through ``CELERY_IMPORTS``)."""

from __future__ import annotations

import structlog
from celery import shared_task

from config.enqueue import enqueue

from . import services

logger = structlog.get_logger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def deliver_verification_code(code_id: int) -> None:
    services.verification_code_deliver(code_id=code_id)


@shared_task(ignore_result=True)
def clean_up_sessions() -> None:
    """Hourly: delete expired sessions and codes past their quota hour."""
    result = services.sessions_cleanup()
    logger.info("sessions.cleaned_up", codes=result.codes, sessions=result.sessions)


def verification_code_enqueue(code_id: int) -> bool:
    """Enqueue the delivery of one code. Never raises; ``False`` when the broker is down."""
    return enqueue(
        deliver_verification_code,
        code_id,
        failure_event="verification.enqueue_failed",
        code_id=code_id,
    )
