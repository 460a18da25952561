"""Celery entry points for candidate sessions (registered through ``CELERY_IMPORTS``)."""

from __future__ import annotations

import structlog
from celery import shared_task

from . import services

logger = structlog.get_logger(__name__)


@shared_task(name=services.DELIVER_CODE_TASK, ignore_result=True, acks_late=True)
def deliver_verification_code(code_id: int) -> None:
    services.verification_code_deliver(code_id=code_id)


@shared_task(name="candidates.auth.tasks.clean_up_sessions", ignore_result=True)
def clean_up_sessions() -> None:
    """Hourly: delete expired sessions and codes past their quota hour."""
    result = services.sessions_cleanup()
    logger.info("sessions.cleaned_up", codes=result.codes, sessions=result.sessions)
