"""Webhook events (SPEC 6.3): check an event's data, append it to the change feed and queue one
delivery per matching subscription, in the caller's transaction; and the finish listener that
turns an ended mutation into its callback and events. What a succeeded mutation's events are
its operation handler says (``mutations.registry.operation_events``); webhooks only adds the
provenance and never learns a candidate payload's shape."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from config.api.environment import SANDBOX
from mutations.registry import operation_events
from regions.models import Region

from . import feed, selectors
from .callbacks import callback_delivery_create, isoformat
from .delivery import _enqueue_on_commit
from .models import EVENT_TYPES, Delivery, DeliveryKind, EventSource

# What an event's ``data`` may hold: ids, names of changed fields, provenance — never values,
# so a webhook receiver never becomes a second copy of personal data (SPEC 6.3).
EVENT_DATA_KEYS = frozenset(
    {
        "candidateId",
        "interactionId",
        "attachmentIds",
        "changedFields",
        "mutationId",
        "operation",
        "targetIds",
        "error",
        "source",
    }
)
EVENT_SOURCE_API = "api"


def event_payload(
    *,
    event_id: str,
    event: str,
    region: Region,
    environment: str,
    data: dict[str, Any],
    position: int | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": event_id,
        "type": event,
        "timestamp": isoformat(timestamp or timezone.now()),
        "sandbox": environment == SANDBOX,
        "region": region.code,
        "data": data,
    }
    if position is not None:
        # The event's place in GET /events: a receiver that was down reads on from here.
        payload["position"] = position
    return payload


def _check_event_data(event: str, data: dict[str, Any]) -> None:
    if event not in EVENT_TYPES:
        raise ValueError(f"unknown event {event!r}; one of {EVENT_TYPES}")
    unknown = set(data) - EVENT_DATA_KEYS
    if unknown:
        # A guard against personal data slipping into payloads: extend EVENT_DATA_KEYS
        # deliberately, with ids and names only.
        raise ValueError(f"event data may not carry {sorted(unknown)}")
    changed = data.get("changedFields", [])
    if not isinstance(changed, list) or not all(isinstance(n, str) for n in changed):
        raise ValueError("changedFields must be a list of field names")
    if data.get("source", EVENT_SOURCE_API) not in EventSource.values:
        raise ValueError(f"source must be one of {EventSource.values}")


def _emit(
    *,
    region: Region,
    environment: str,
    events: Iterable[tuple[str, dict[str, Any]]],
) -> list[Delivery]:
    """Append the events to the change feed and queue one delivery per matching subscription,
    each made from its feed row (same id, position and data), all in the caller's
    transaction."""
    events = list(events)
    for event, data in events:
        _check_event_data(event, data)
    if not events:
        return []
    rows = feed.feed_append(
        region=region,
        environment=environment,
        events=[
            feed.NewEvent(
                type=event,
                source=data.get("source", EVENT_SOURCE_API),
                data=data,
                mutation_id=str(data.get("mutationId") or ""),
            )
            for event, data in events
        ],
    )
    subscriptions = selectors.subscriptions_for_events(region=region, environment=environment)
    deliveries = []
    for row in rows:
        payload = None
        for subscription in subscriptions:
            if row.type not in subscription.events:
                continue
            payload = payload or event_payload(
                event_id=str(row.uuid),
                event=row.type,
                region=region,
                environment=environment,
                data=feed.event_payload_data(row),
                position=row.position,
                timestamp=row.occurred_at,
            )
            deliveries.append(
                Delivery(
                    kind=DeliveryKind.EVENT,
                    region=region,
                    environment=environment,
                    subscription=subscription,
                    event=row.type,
                    feed_event=row,
                    url=subscription.url,
                    payload=payload,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        _enqueue_on_commit(delivery.pk)
    return deliveries


@transaction.atomic
def event_emit(
    *, region: Region, environment: str, event: str, data: dict[str, Any]
) -> list[Delivery]:
    """Queue ``event`` for every active subscription of the region and environment that asked
    for it; sent after the caller's transaction commits.

    ``data`` holds ids and changed field *names* only (see EVENT_DATA_KEYS), e.g. from the sync
    jobs: ``{"candidateId": "rec…", "changedFields": ["phase"], "source": "airtable"}``.
    Raises ``ValueError`` for an unknown event or a key outside EVENT_DATA_KEYS.
    """
    return _emit(region=region, environment=environment, events=[(event, data)])


def mutation_events(mutation: Any) -> list[tuple[str, dict[str, Any]]]:
    """The webhook events an ended mutation stands for: (event name, data). A failure is
    ``mutation.failed``; a success is what its operation handler says (``operation_events``),
    each with the mutation's provenance added."""
    base = {"mutationId": str(mutation.uuid), "source": mutation.origin or EVENT_SOURCE_API}
    if mutation.status == "failed":
        error = mutation.error or {}
        return [
            (
                "mutation.failed",
                {
                    **base,
                    "operation": mutation.operation,
                    "targetIds": list(mutation.target_ids or []),
                    # Code and type only: Airtable's message may quote the rejected value.
                    "error": {
                        "code": error.get("code"),
                        "retryable": error.get("retryable"),
                        "airtableErrorType": error.get("airtableErrorType"),
                    },
                },
            )
        ]
    if mutation.status != "succeeded":
        return []
    return [(event, {**data, **base}) for event, data in operation_events(mutation)]


def mutation_finished(mutation: Any) -> None:
    """Finish listener (mutations.registry): runs inside the transaction that ends the
    mutation, so the callback and events exist exactly when the outcome does."""
    if mutation.callback_url:
        callback_delivery_create(mutation=mutation)
    events = mutation_events(mutation)
    if events:
        _emit(region=mutation.region, environment=mutation.environment, events=events)
