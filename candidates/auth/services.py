"""Writes for candidate sessions: verification codes, sessions, consent, clean-up (SPEC 7).

Nothing here logs an email address, a code or a token: log lines carry row ids only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from config.enqueue import enqueue_task
from mutations.models import Mutation
from mutations.services import mutation_accept
from regions.models import Region

from ..fields import normalize_email
from ..models import Candidate, CandidateSession, VerificationCode
from . import selectors, tokens

logger = structlog.get_logger(__name__)

CODE_VALIDITY = timedelta(minutes=15)
CODE_MAX_FAILED_ATTEMPTS = 5
CODES_PER_EMAIL_PER_WINDOW = 3
CODE_QUOTA_WINDOW = timedelta(hours=1)
SESSION_VALIDITY = timedelta(hours=24)
EMAIL_SUBJECT = "Je inlogcode voor Onderwijsregio"
EMAIL_TEMPLATE = "candidates/email/verification_code"
# Enqueued by name so this module never imports the tasks (which import it).
DELIVER_CODE_TASK = "candidates.auth.tasks.deliver_verification_code"


# --- verification codes --------------------------------------------------------------------------


def verification_request(
    *, email: str, environment: str, region: Region | None = None
) -> VerificationCode | None:
    """Accept a request for a code. Does the same work whether or not a candidate has the
    email: insert a row and hand it to a worker after commit (the worker decides). Returns
    ``None`` when the email already had its quota of codes this hour (nothing is sent then).
    """
    email = normalize_email(email)
    now = timezone.now()
    recent = selectors.verification_code_count_since(
        email=email, environment=environment, since=now - CODE_QUOTA_WINDOW
    )
    if recent >= CODES_PER_EMAIL_PER_WINDOW:
        logger.info("verification.quota_reached", environment=environment)
        return None
    code = VerificationCode.objects.create(
        email=email,
        environment=environment,
        region=region,
        created_at=now,
        expires_at=now + CODE_VALIDITY,
    )
    transaction.on_commit(lambda: _enqueue_delivery(code.pk))
    return code


def _enqueue_delivery(code_id: int) -> None:
    queued = enqueue_task(
        DELIVER_CODE_TASK, code_id, failure_event="verification.enqueue_failed", code_id=code_id
    )
    if not queued:
        # Without a broker the email would never leave: send from this process instead.
        verification_code_deliver(code_id=code_id)


def verification_code_deliver(*, code_id: int) -> bool:
    """Worker side of a request: claim the row, and if a candidate has the email, issue a code
    (stored as its HMAC only), supersede older codes of the email and send the email.
    Safe to run twice: only the run that claims the row does anything. Returns whether an
    email was sent."""
    now = timezone.now()
    with transaction.atomic():
        claimed = VerificationCode.objects.filter(
            pk=code_id, issued_at__isnull=True, invalidated_at__isnull=True, expires_at__gt=now
        ).update(issued_at=now)
        if not claimed:
            return False
        row = VerificationCode.objects.select_related("region").get(pk=code_id)
        # Only the newest code of an address may be tried.
        VerificationCode.objects.filter(
            email=row.email,
            environment=row.environment,
            issued_at__isnull=False,
            used_at__isnull=True,
            invalidated_at__isnull=True,
        ).exclude(pk=row.pk).update(invalidated_at=now)
        known = selectors.person_has_candidates(
            email=row.email, environment=row.environment, region=row.region
        )
        if not known:
            logger.info("verification.no_candidate", code_id=row.pk)
            return False
        plain = tokens.generate_code()
        row.code_hash = tokens.hash_code(email=row.email, code=plain)
        row.save(update_fields=["code_hash"])
    try:
        _send_code_email(email=row.email, code=plain, expires_at=row.expires_at)
    except Exception as exc:
        # The code cannot be mailed again (only its hash is kept): retire it; the person asks
        # for a new one.
        VerificationCode.objects.filter(pk=row.pk).update(invalidated_at=timezone.now())
        logger.error("verification.email_failed", code_id=row.pk, error=type(exc).__name__)
        return False
    logger.info("verification.code_sent", code_id=row.pk)
    return True


def _send_code_email(*, email: str, code: str, expires_at: datetime) -> None:
    context = {
        "code": code,
        "minutes": int(CODE_VALIDITY.total_seconds() // 60),
        "expires_at": timezone.localtime(expires_at),
    }
    message = EmailMultiAlternatives(
        subject=EMAIL_SUBJECT,
        body=render_to_string(f"{EMAIL_TEMPLATE}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
    )
    message.attach_alternative(render_to_string(f"{EMAIL_TEMPLATE}.html", context), "text/html")
    message.send()


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedSession:
    session: CandidateSession
    token: str  # shown once; only its hash is stored


def session_create(*, email: str, code: str, environment: str) -> CreatedSession | None:
    """Exchange a code for a session; ``None`` when the code is wrong, expired, used or
    invalidated. Every try costs one comparison and one write, known email or not; the fifth
    wrong try invalidates the code."""
    email = normalize_email(email)
    now = timezone.now()
    with transaction.atomic():
        current = selectors.verification_code_current(email=email, environment=environment)
        if current is None:
            tokens.code_matches(email=email, code=code, hashed=tokens.NO_CODE_HASH)
            return None
        row = VerificationCode.objects.select_for_update().get(pk=current.pk)
        usable = row.used_at is None and row.invalidated_at is None and row.expires_at > now
        if not (tokens.code_matches(email=email, code=code, hashed=row.code_hash) and usable):
            row.failed_attempts += 1
            if row.failed_attempts >= CODE_MAX_FAILED_ATTEMPTS:
                row.invalidated_at = now
            row.save(update_fields=["failed_attempts", "invalidated_at"])
            logger.info(
                "session.code_rejected", code_id=row.pk, failed_attempts=row.failed_attempts
            )
            return None
        row.used_at = now
        row.save(update_fields=["used_at"])
        token = tokens.generate_token()
        session = CandidateSession.objects.create(
            token_hash=tokens.hash_token(token),
            email=email,
            environment=environment,
            created_at=now,
            expires_at=now + SESSION_VALIDITY,
        )
    logger.info("session.created", session_id=str(session.pk), environment=environment)
    return CreatedSession(session=session, token=token)


def session_end(*, session: CandidateSession) -> None:
    """Log out: the row goes, so the token is refused at once by every process."""
    CandidateSession.objects.filter(pk=session.pk).delete()
    logger.info("session.ended", session_id=str(session.pk))


@dataclass(frozen=True)
class CleanupResult:
    codes: int
    sessions: int


def sessions_cleanup(*, now: datetime | None = None) -> CleanupResult:
    """Delete expired sessions, and codes once they no longer count towards the hourly quota
    (a code expires after 15 minutes, but is kept for the hour it counts)."""
    now = now or timezone.now()
    codes, _ = VerificationCode.objects.filter(
        created_at__lt=now - max(CODE_QUOTA_WINDOW, CODE_VALIDITY)
    ).delete()
    sessions, _ = CandidateSession.objects.filter(expires_at__lte=now).delete()
    return CleanupResult(codes=codes, sessions=sessions)


# --- consent -------------------------------------------------------------------------------------


@transaction.atomic
def candidate_consent_set(
    *, candidate: Candidate, consent: bool, ordering_keys: Sequence[str], requested_by: str = ""
) -> list[Mutation]:
    """Record a person's consent choice through the Mutation Engine, never in the mirror.

    Withdrawing (``False``) queues a ``candidate.update`` of ``privacyConsent`` and then a
    ``candidate.archive`` on the same ordering keys, so the archive runs after the update; the
    archive's success emits ``candidate.archived`` to the region's webhooks. Both mutations
    are accepted in one transaction: both or neither. Returns them in acceptance order.
    """
    common: dict[str, Any] = {
        "region": candidate.region,
        "environment": candidate.environment,
        "target_ids": [candidate.record_id],
        "ordering_keys": list(ordering_keys),
        "requested_by": requested_by,  # the session, so it can follow the 202's link
        "origin": "candidate",
    }
    accepted = [
        mutation_accept(
            operation="candidate.update", payload={"fields": {"privacyConsent": consent}}, **common
        ).mutation
    ]
    if not consent:
        accepted.append(
            mutation_accept(operation="candidate.archive", payload={}, **common).mutation
        )
    logger.info(
        "candidate.consent_set",
        consent=consent,
        mutation_ids=[str(m.uuid) for m in accepted],
        region=candidate.region.code,
    )
    return accepted
