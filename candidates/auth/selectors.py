"""Reads for candidate sessions. A person is an email address in one environment; every read
here is scoped by both, so a session can never reach another person's record. A record of
someone else looks exactly like a missing one (``None``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from regions.models import Region

from ..fields import normalize_email
from ..models import Candidate, CandidateSession, VerificationCode
from ..selectors import LISTING_ORDER, RECORD_ID_PATTERN, with_related
from . import tokens


def session_get_by_token(*, token: str, environment: str) -> CandidateSession | None:
    """The live session of ``token`` in ``environment``; ``None`` for anything else."""
    if not tokens.is_token(token):
        return None
    return CandidateSession.objects.filter(
        token_hash=tokens.hash_token(token), environment=environment, expires_at__gt=timezone.now()
    ).first()


def _region_ids(region: Region | None) -> list[object]:
    # Listing the regions lets the lookup use the (region, environment, email) index.
    if region is not None:
        return [region.pk]
    return list(Region.objects.values_list("pk", flat=True))


def candidate_list_for_person(
    *,
    email: str,
    environment: str,
    region: Region | None = None,
    include_attachments: bool = True,
    include_interactions: bool = False,
) -> QuerySet[Candidate]:
    """Every record with this email in the environment, in any region (or only ``region``),
    archived ones included: they are the person's data too."""
    queryset = Candidate.objects.filter(
        region_id__in=_region_ids(region), environment=environment, email=normalize_email(email)
    )
    return with_related(
        queryset.order_by(*LISTING_ORDER),
        include_attachments=include_attachments,
        include_interactions=include_interactions,
    )


def candidate_get_for_person(
    *,
    email: str,
    environment: str,
    record_id: str,
    include_attachments: bool = True,
    include_interactions: bool = False,
) -> Candidate | None:
    """One of the person's records; ``None`` when missing or someone else's."""
    if not RECORD_ID_PATTERN.match(record_id):
        return None
    queryset = Candidate.objects.filter(
        environment=environment, record_id=record_id, email=normalize_email(email)
    )
    return with_related(
        queryset,
        include_attachments=include_attachments,
        include_interactions=include_interactions,
    ).first()


def person_has_candidates(*, email: str, environment: str, region: Region | None = None) -> bool:
    return candidate_list_for_person(
        email=email, environment=environment, region=region, include_attachments=False
    ).exists()


def verification_code_count_since(*, email: str, environment: str, since: datetime) -> int:
    return VerificationCode.objects.filter(
        email=normalize_email(email), environment=environment, created_at__gte=since
    ).count()


def verification_code_current(*, email: str, environment: str) -> VerificationCode | None:
    """The newest code that may still be tried: issued, unused, not expired or invalidated.

    Chosen the same way for known and unknown emails (an unknown email's row has no hash), so
    trying a code costs the same whether or not the address belongs to a candidate.
    """
    return (
        VerificationCode.objects.filter(
            email=normalize_email(email),
            environment=environment,
            issued_at__isnull=False,
            used_at__isnull=True,
            invalidated_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-issued_at", "-pk")
        .first()
    )
