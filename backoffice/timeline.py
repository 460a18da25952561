"""One story per candidate (SPEC 10): interactions, mutations, webhook events and the staff
edits sync found in Airtable, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _

from candidates.models import Candidate
from config.admin_display import error_text
from mutations.admin import STATUS_TONES
from mutations.models import Mutation, MutationStatus
from mutations.registry import operation_label
from webhooks.models import Delivery, DeliveryKind

ENTRIES_SHOWN = 100


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str  # interaction | mutation | event | staff-edit
    kind_label: str
    title: str
    detail: str = ""
    url: str = ""
    status: str = ""
    tone: str = "muted"


def _interactions(candidate: Candidate) -> list[Entry]:
    return [
        Entry(
            when=i.performed_at or i.airtable_created_at,
            kind="interaction",
            kind_label=_("Interaction"),
            title=" · ".join(part for part in (i.type, i.subject) if part),
            detail=" · ".join(part for part in (i.performed_by, i.summary) if part),
        )
        for i in candidate.interactions.order_by("-airtable_created_at")[:ENTRIES_SHOWN]
    ]


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _mutations(candidate: Candidate) -> list[Entry]:
    # Finished mutations drop their ordering keys, so match the target ids as JSON text (one
    # query on Postgres and SQLite alike), plus the mutation that created the record.
    targeting = Mutation.objects.annotate(targets=Cast("target_ids", TextField())).filter(
        region_id=candidate.region_id,
        environment=candidate.environment,
        targets__contains=f'"{candidate.record_id}"',
    )
    creator = candidate.mutation_key.split(":", 1)[0]
    created = (
        Mutation.objects.filter(uuid=creator, region_id=candidate.region_id)
        if _is_uuid(creator)
        else Mutation.objects.none()
    )
    mutations = {m.pk: m for m in [*targeting.order_by("-created_at")[:ENTRIES_SHOWN], *created]}
    entries = []
    for m in mutations.values():
        fields = sorted((m.payload or {}).get("fields", {})) if isinstance(m.payload, dict) else []
        detail = ", ".join(fields) if fields else ""
        if m.status == MutationStatus.FAILED:
            detail = error_text(m.error)
        entries.append(
            Entry(
                when=m.created_at,
                kind="mutation",
                kind_label=_("Mutation"),
                title=operation_label(m.operation),
                detail=detail,
                url=reverse("admin:mutations_mutation_change", args=[m.pk]),
                status=m.get_status_display(),
                tone=STATUS_TONES.get(m.status, "muted"),
            )
        )
    return entries


def _events(candidate: Candidate) -> list[Entry]:
    """Events are stored as deliveries, one per subscription: show each event once."""
    deliveries = Delivery.objects.filter(
        region_id=candidate.region_id,
        environment=candidate.environment,
        kind=DeliveryKind.EVENT,
        payload__data__candidateId=candidate.record_id,
    ).order_by("-created_at")[: ENTRIES_SHOWN * 2]
    seen: set[Any] = set()
    entries = []
    for delivery in deliveries:
        payload: dict[str, Any] = delivery.payload or {}
        event_id = payload.get("id", delivery.pk)
        if event_id in seen:
            continue
        seen.add(event_id)
        data = payload.get("data") or {}
        changed = ", ".join(data.get("changedFields") or [])
        staff_edit = "mutationId" not in data  # only sync emits events without a mutation
        entries.append(
            Entry(
                when=delivery.created_at,
                kind="staff-edit" if staff_edit else "event",
                kind_label=_("Edited in Airtable") if staff_edit else _("Webhook event"),
                title=delivery.event,
                detail=_("changed: %(fields)s") % {"fields": changed} if changed else "",
                url=reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
            )
        )
    return entries


def candidate_timeline(candidate: Candidate) -> list[Entry]:
    entries = [*_interactions(candidate), *_mutations(candidate), *_events(candidate)]
    return sorted(entries, key=lambda e: e.when, reverse=True)[:ENTRIES_SHOWN]
