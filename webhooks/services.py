"""The webhooks app's public services (SPEC 6): subscriptions here; events, callbacks and
delivery in their own modules (``events``, ``callbacks``, ``delivery``), re-exported below so
other apps, staff admin and tasks call one surface."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from django.db import transaction
from django.utils import timezone

from config.api.errors import Conflict, ErrorDetail, ValidationFailed
from regions.models import Region

from . import http
from .callbacks import callback_delivery_create, callback_payload, isoformat
from .delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS_S,
    RETRY_JITTER,
    SHORT_WAIT_MAX_S,
    SWEEP_BATCH_SIZE,
    _enqueue_on_commit,
    delivery_attempt,
    delivery_resend,
    delivery_send_due,
    delivery_sweep,
    pending_deliveries_cancel,
    region_signing_secrets,
    retry_delay_s,
)
from .events import EVENT_DATA_KEYS, EVENT_SOURCE_API, event_emit, event_payload, mutation_events
from .models import EVENT_TYPES, PING_EVENT, Delivery, DeliveryKind, Subscription

__all__ = [
    "EVENT_DATA_KEYS",
    "EVENT_SOURCE_API",
    "MAX_ATTEMPTS",
    "MAX_SUBSCRIPTIONS_PER_ENVIRONMENT",
    "RETRY_DELAYS_S",
    "RETRY_JITTER",
    "SHORT_WAIT_MAX_S",
    "SWEEP_BATCH_SIZE",
    "callback_delivery_create",
    "callback_payload",
    "delivery_attempt",
    "delivery_resend",
    "delivery_send_due",
    "delivery_sweep",
    "event_emit",
    "isoformat",
    "mutation_events",
    "region_signing_secrets",
    "retry_delay_s",
    "subscription_create",
    "subscription_delete",
    "subscription_ping",
    "subscription_update",
]

# Every event fans out to every matching subscription; the cap keeps one region from
# multiplying outbound traffic (and our delivery log) without bound.
MAX_SUBSCRIPTIONS_PER_ENVIRONMENT = 20


def _checked_url(url: str) -> str:
    try:
        http.check_url(url)
    except http.UnsafeUrl as exc:
        raise ValidationFailed(details=[ErrorDetail("url", str(exc))]) from None
    return url


def _checked_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown or not events:
        message = f"Give one or more of {', '.join(EVENT_TYPES)}."
        if unknown:
            message = f"Unknown event {unknown[0]!r}. {message}"
        raise ValidationFailed(details=[ErrorDetail("events", message)])
    return events


@transaction.atomic
def subscription_create(
    *,
    region: Region,
    environment: str,
    url: str,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
) -> Subscription:
    Region.objects.select_for_update().filter(pk=region.pk).first()  # serialise the count
    count = Subscription.objects.filter(region=region, environment=environment).count()
    if count >= MAX_SUBSCRIPTIONS_PER_ENVIRONMENT:
        raise Conflict(
            f"A region may have at most {MAX_SUBSCRIPTIONS_PER_ENVIRONMENT} webhook "
            "subscriptions per environment."
        )
    return Subscription.objects.create(
        region=region,
        environment=environment,
        url=_checked_url(url),
        events=_checked_events(events),
        description=description,
        active=active,
    )


_SUBSCRIPTION_UPDATABLE = {"url", "events", "description", "active"}


@transaction.atomic
def subscription_update(*, subscription: Subscription, **changes: Any) -> Subscription:
    unknown = set(changes) - _SUBSCRIPTION_UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if "url" in changes:
        subscription.url = _checked_url(changes["url"])
    if "events" in changes:
        subscription.events = _checked_events(changes["events"])
    if "description" in changes:
        subscription.description = changes["description"]
    if "active" in changes and changes["active"] != subscription.active:
        subscription.active = changes["active"]
        # Switching back on starts with a clean record; switching off keeps no stale queue.
        subscription.disabled_reason = ""
        subscription.disabled_at = None if subscription.active else timezone.now()
        subscription.failing_since = None
        if not subscription.active:
            pending_deliveries_cancel(subscription, message="The subscription was switched off.")
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    pending_deliveries_cancel(subscription, message="The subscription was deleted.")
    subscription.delete()


@transaction.atomic
def subscription_ping(*, subscription: Subscription) -> Delivery:
    """A ``ping`` event to this subscription only, whatever its events (POST .../test)."""
    delivery = Delivery.objects.create(
        kind=DeliveryKind.EVENT,
        region=subscription.region,
        environment=subscription.environment,
        subscription=subscription,
        event=PING_EVENT,
        url=subscription.url,
        payload=event_payload(
            event_id=str(uuid4()),
            event=PING_EVENT,
            region=subscription.region,
            environment=subscription.environment,
            data={"subscriptionId": str(subscription.pk)},
        ),
    )
    _enqueue_on_commit(delivery.pk)
    return delivery
