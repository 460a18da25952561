"""Reads of the candidate mirror. Every one takes the region and the environment: there is no
unscoped path from an API view to candidate data, and a foreign id looks exactly like a missing
one."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection
from django.db.models import JSONField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from regions.models import Region

from .fields import normalize_email
from .mapping import phone_lookup_key
from .models import Attachment, Candidate, Interaction

FIND_LIMIT = 100
LISTING_ORDER = ("airtable_created_at", "record_id")
RECORD_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,17}$")


# On Postgres a candidate's attachments come with the candidate, as one JSON array per row
# (``[field, attachment id, filename, content type, size, url]`` in listing order) under this
# attribute: no second query, and no related manager per row. Elsewhere they are prefetched.
ATTACHMENT_ROWS = "attachment_rows"


# Raw SQL rather than an ORM Subquery: building and compiling the Subquery costs about as much
# CPU as the separate prefetch query it replaces. "candidates_candidate" is the outer row: the
# reads below never join the candidate table to itself.
_ATTACHMENT_ROWS_SQL = """(
    SELECT jsonb_agg(
        jsonb_build_array(a.field, a.attachment_id, a.filename, a.content_type, a.size, a.url)
        ORDER BY a.field, a.position
    )
    FROM candidates_attachment a
    WHERE a.candidate_id = candidates_candidate.id
)"""


def with_related(
    queryset: QuerySet[Candidate],
    *,
    include_attachments: bool,
    include_interactions: bool,
    region_known: bool = False,
) -> QuerySet[Candidate]:
    """The rows' related data for rendering. ``region_known``: the queryset comes from a
    region's related manager (``region.candidates``), which points every row at that region
    object already, so the region needs no join (and no Region object per row)."""
    if not region_known:
        queryset = queryset.select_related("region")
    if include_attachments:
        if connection.vendor == "postgresql":
            rows = RawSQL(_ATTACHMENT_ROWS_SQL, (), output_field=JSONField())  # noqa: S611 constant
            queryset = queryset.annotate(**{ATTACHMENT_ROWS: rows})
        else:
            queryset = queryset.prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.order_by("field", "position"))
            )
    if include_interactions:
        queryset = queryset.prefetch_related(
            Prefetch("interactions", queryset=Interaction.objects.order_by(*LISTING_ORDER))
        )
    return queryset


def candidate_list(
    *,
    region: Region,
    environment: str,
    phase: str | None = None,
    created_since: datetime | None = None,
    updated_since: datetime | None = None,
    include_archived: bool = False,
    include_attachments: bool = True,
    include_interactions: bool = False,
) -> QuerySet[Candidate]:
    """The region's candidates in listing order (``createdAt``, then ``id``)."""
    queryset = region.candidates.filter(environment=environment)
    if not include_archived:
        queryset = queryset.filter(archived=False)
    if phase is not None:
        queryset = queryset.filter(phase=phase)
    if created_since is not None:
        queryset = queryset.filter(airtable_created_at__gte=created_since)
    if updated_since is not None:
        queryset = queryset.filter(airtable_modified_at__gte=updated_since)
    return with_related(
        queryset.order_by(*LISTING_ORDER),
        include_attachments=include_attachments,
        include_interactions=include_interactions,
        region_known=True,
    )


def candidate_find(
    *,
    region: Region,
    environment: str,
    email: str | None = None,
    phone: str | None = None,
    include_archived: bool = False,
    include_attachments: bool = True,
    include_interactions: bool = False,
    limit: int = FIND_LIMIT,
) -> QuerySet[Candidate]:
    """Candidates by email (case-insensitive) or, without an email, by phone in any notation of
    the same number. The email wins when both are given. Backed by the email and phone indexes.
    """
    queryset = region.candidates.filter(environment=environment)
    if email:
        queryset = queryset.filter(email=normalize_email(email))
    elif phone:
        key = phone_lookup_key(phone)
        queryset = queryset.filter(phone_digits=key) if key else queryset.none()
    else:
        raise ValueError("candidate_find needs an email or a phone")
    if not include_archived:
        queryset = queryset.filter(archived=False)
    return with_related(
        queryset.order_by(*LISTING_ORDER),
        include_attachments=include_attachments,
        include_interactions=include_interactions,
        region_known=True,
    )[:limit]


def candidate_get(
    *,
    region: Region,
    environment: str,
    record_id: str,
    include_attachments: bool = True,
    include_interactions: bool = False,
) -> Candidate | None:
    """One candidate of the region, archived or not; ``None`` when missing or foreign."""
    if not RECORD_ID_PATTERN.match(record_id):
        return None
    queryset = region.candidates.filter(environment=environment, record_id=record_id)
    return with_related(
        queryset,
        include_attachments=include_attachments,
        include_interactions=include_interactions,
        region_known=True,
    ).first()


def interaction_list(
    *,
    candidate: Candidate,
    created_since: datetime | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Interaction]:
    """A candidate's interactions in listing order. ``candidate`` comes from a scoped read."""
    queryset = Interaction.objects.filter(
        candidate=candidate, region_id=candidate.region_id, environment=candidate.environment
    )
    if created_since is not None:
        queryset = queryset.filter(airtable_created_at__gte=created_since)
    if updated_since is not None:
        queryset = queryset.filter(airtable_modified_at__gte=updated_since)
    return queryset.order_by(*LISTING_ORDER)


def interaction_get(*, region: Region, environment: str, record_id: str) -> Interaction | None:
    if not RECORD_ID_PATTERN.match(record_id):
        return None
    return (
        Interaction.objects.filter(region=region, environment=environment, record_id=record_id)
        .select_related("candidate")
        .first()
    )
