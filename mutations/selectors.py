from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Min, QuerySet
from django.utils import timezone

from regions.models import Region

from .models import ACTIVE_STATUSES, Mutation, MutationStatus


def mutation_get(*, region: Region, environment: str, mutation_id: str) -> Mutation | None:
    try:
        key = uuid.UUID(str(mutation_id))
    except ValueError:
        return None
    return Mutation.objects.filter(region=region, environment=environment, uuid=key).first()


def mutation_get_for_requester(
    *, requested_by: str, environment: str, mutation_id: str
) -> Mutation | None:
    """A mutation that ``requested_by`` (e.g. a candidate session) itself caused, in any region."""
    try:
        key = uuid.UUID(str(mutation_id))
    except ValueError:
        return None
    if not requested_by:
        return None
    return Mutation.objects.filter(
        requested_by=requested_by, environment=environment, uuid=key
    ).first()


def mutation_list(
    *, region: Region, environment: str, status: str | None = None
) -> QuerySet[Mutation]:
    qs = Mutation.objects.filter(region=region, environment=environment)
    return qs.filter(status=status) if status else qs


def mutation_queue_stats() -> dict[str, Any]:
    queued = Mutation.objects.filter(status__in=ACTIVE_STATUSES)
    oldest = queued.filter(status=MutationStatus.QUEUED).aggregate(m=Min("created_at"))["m"]
    return {
        "depth": queued.count(),
        "oldestQueuedAgeS": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None,
    }


def mutation_queue_health() -> dict[str, Any]:
    """The "queue" entry of GET /api/health: depth and the age of the oldest queued mutation."""
    return {"status": "ok", **mutation_queue_stats()}
