"""Callbacks and webhook events (SPEC 6): the outbox, the retry schedule, subscriptions."""

from __future__ import annotations

import json
import random
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from config.api.environment import SANDBOX
from config.api.errors import Conflict, ErrorDetail, ValidationFailed
from config.enqueue import enqueue_on_commit, enqueue_task
from regions.models import Region
from regions.services import region_rotate_signing_secret

from . import feed, http, selectors, signing
from .models import (
    EVENT_TYPES,
    PING_EVENT,
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    DisabledReason,
    EventSource,
    Subscription,
)

logger = structlog.get_logger(__name__)

# Retry schedule (SPEC 6.3): the wait *after* attempt n is RETRY_DELAYS_S[n - 1], so a delivery
# gets 8 attempts over about 21 hours: now, +10 s, +1 min, +5 min, +30 min, +2 h, +6 h, +12 h.
# Each wait is stretched by up to RETRY_JITTER so a receiver coming back is not hit by every
# queued delivery in the same second. Waits up to SHORT_WAIT_MAX_S are Celery countdowns;
# longer ones exist only as ``next_attempt_at`` and are picked up by the beat sweep (every
# 30 s), so no countdown outlives the broker's visibility timeout.
RETRY_DELAYS_S = (10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1
RETRY_JITTER = 0.1
SHORT_WAIT_MAX_S = 5 * 60
# A claimed attempt belongs to its worker this long: well over the 10 s HTTP budget plus
# bookkeeping. A worker killed mid-send lets it lapse and the sweep sends the next attempt.
CLAIM_LEASE_S = 60
# A countdown may fire a moment before ``next_attempt_at`` (clock skew between hosts).
CLAIM_EARLY_TOLERANCE_S = 1.0
SUBSCRIPTION_DISABLE_AFTER = timedelta(days=3)
# Every event fans out to every matching subscription; the cap keeps one region from
# multiplying outbound traffic (and our delivery log) without bound.
MAX_SUBSCRIPTIONS_PER_ENVIRONMENT = 20
SWEEP_BATCH_SIZE = 500

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
# Members of a candidate payload that are not candidate fields of their own event.
_NOT_CANDIDATE_FIELDS = frozenset({"interactions"})
ATTACHMENT_MEMBERS = ("curriculumVitae", "otherAttachments")


def isoformat(value: datetime | None) -> str | None:
    """The API's datetime format: UTC with a ``Z`` (as DRF renders under ApiView)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def retry_delay_s(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    base = RETRY_DELAYS_S[attempt - 1] * settings.WEBHOOK_RETRY_TIME_SCALE
    return base * (1 + random.uniform(0, RETRY_JITTER))


def _enqueue(delivery_id: UUID, *, countdown: float = 0) -> None:
    # By name (``webhooks.tasks.deliver``): the tasks import this module, never the reverse.
    enqueue_task(
        "webhooks.tasks.deliver",
        str(delivery_id),
        countdown=countdown,
        failure_event="webhooks.enqueue_failed",
        delivery_id=str(delivery_id),
    )


def _enqueue_on_commit(delivery_id: UUID, *, countdown: float = 0) -> None:
    enqueue_on_commit(
        "webhooks.tasks.deliver",
        str(delivery_id),
        countdown=countdown,
        failure_event="webhooks.enqueue_failed",
        delivery_id=str(delivery_id),
    )


# --- creating deliveries -------------------------------------------------------------------------


def callback_payload(mutation: Any) -> dict[str, Any]:
    """The SPEC 6.1 body of a mutation callback."""
    return {
        "mutationId": str(mutation.uuid),
        "operation": mutation.operation,
        "status": mutation.status,
        "sandbox": mutation.environment == SANDBOX,
        "region": mutation.region.code,
        "idempotencyKey": mutation.idempotency_key,
        "result": mutation.result,
        "error": mutation.error,
        "attempts": mutation.attempts,
        "createdAt": isoformat(mutation.created_at),
        "finishedAt": isoformat(mutation.finished_at),
    }


def callback_delivery_create(*, mutation: Any) -> Delivery:
    delivery = Delivery.objects.create(
        kind=DeliveryKind.CALLBACK,
        region=mutation.region,
        environment=mutation.environment,
        mutation=mutation,
        url=mutation.callback_url,
        payload=callback_payload(mutation),
    )
    _enqueue_on_commit(delivery.pk)
    return delivery


def _event_payload(
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
            payload = payload or _event_payload(
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


def _candidate_field_names(candidate: dict[str, Any]) -> list[str]:
    return sorted(k for k in candidate if k not in _NOT_CANDIDATE_FIELDS)


def _inline_interaction_events(
    candidates: list[dict[str, Any]], result: dict[str, Any], base: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    # ``result`` lists ids in request order (SPEC 5.1): candidate by candidate, each one's
    # interactions in the order given.
    record_ids = result.get("recordIds") or []
    interaction_ids = list(result.get("interactionIds") or [])
    events: list[tuple[str, dict[str, Any]]] = []
    for candidate, record_id in zip(candidates, record_ids, strict=False):
        for _ in candidate.get("interactions") or []:
            if not interaction_ids:
                return events
            interaction_id = interaction_ids.pop(0)
            events.append(
                (
                    "interaction.created",
                    {"interactionId": interaction_id, "candidateId": record_id, **base},
                )
            )
    return events


def mutation_events(mutation: Any) -> list[tuple[str, dict[str, Any]]]:
    """The webhook events an ended mutation stands for: (event name, data)."""
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
    payload: dict[str, Any] = mutation.payload or {}
    result: dict[str, Any] = mutation.result or {}
    targets = list(mutation.target_ids or [])
    target = targets[0] if targets else None
    operation = mutation.operation
    if operation in ("candidate.create", "candidate.upsert"):
        if operation == "candidate.create":
            candidates = payload.get("candidates") or []
            event = "candidate.created"
        else:
            candidates = [payload.get("candidate") or {}]
            event = "candidate.created" if result.get("created", True) else "candidate.updated"
        events = [
            (event, {"candidateId": rid, "changedFields": _candidate_field_names(c), **base})
            for c, rid in zip(candidates, result.get("recordIds") or [], strict=False)
        ]
        return events + _inline_interaction_events(candidates, result, base)
    if operation == "candidate.update":
        fields = sorted(payload.get("fields") or {})
        return [("candidate.updated", {"candidateId": target, "changedFields": fields, **base})]
    if operation == "candidate.archive":
        return [
            ("candidate.archived", {"candidateId": target, "changedFields": ["archived"], **base})
        ]
    if operation == "candidate.unarchive":
        return [
            (
                "candidate.unarchived",
                {"candidateId": target, "changedFields": ["archived"], **base},
            )
        ]
    if operation == "candidate.delete":
        return [("candidate.deleted", {"candidateId": target, **base})]
    if operation == "interaction.create":
        return [
            (
                "interaction.created",
                {"interactionId": rid, "candidateId": payload.get("candidateId"), **base},
            )
            for rid in result.get("recordIds") or []
        ]
    if operation == "attachment.add":
        fields = [m for m in ATTACHMENT_MEMBERS if payload.get(m)]
        return [("attachment.added", {"candidateId": target, "changedFields": fields, **base})]
    if operation == "attachment.remove" and result.get("removed"):
        data = {
            "candidateId": target,
            "changedFields": [],
            "attachmentIds": [payload.get("attachmentId")],
            **base,
        }
        return [("attachment.removed", data)]
    if operation == "interaction.update":
        fields = sorted(payload.get("fields") or {})
        return [("interaction.updated", {"interactionId": target, "changedFields": fields, **base})]
    if operation == "interaction.delete":
        return [("interaction.deleted", {"interactionId": target, **base})]
    return []


def mutation_finished(mutation: Any) -> None:
    """Finish listener (mutations.registry): runs inside the transaction that ends the
    mutation, so the callback and events exist exactly when the outcome does."""
    if mutation.callback_url:
        callback_delivery_create(mutation=mutation)
    events = mutation_events(mutation)
    if events:
        _emit(region=mutation.region, environment=mutation.environment, events=events)


# --- sending -------------------------------------------------------------------------------------


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def region_signing_secrets(*, region: Region) -> list[str]:
    if not region.signing_secret:
        # Regions created before secrets existed get one on first use.
        region = region_rotate_signing_secret(region=region)
    return selectors.region_signing_secrets(region=region)


def _claim(delivery_id: UUID | str) -> Delivery | None:
    """Own the next attempt of a due delivery, or ``None`` if another worker does.

    One conditional UPDATE bumps ``attempts`` and pushes ``next_attempt_at`` a lease into the
    future; only the worker whose UPDATE changed the row sends that attempt.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now + timedelta(seconds=CLAIM_EARLY_TOLERANCE_S),
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=CLAIM_LEASE_S),
        updated_at=now,
    )
    if claimed != 1:
        return None
    return Delivery.objects.select_related("region", "subscription").get(pk=delivery_id)


def _subscription_gone(delivery: Delivery) -> bool:
    if delivery.kind != DeliveryKind.EVENT:
        return False
    subscription = delivery.subscription
    if subscription is None:
        return True
    # A test ping may probe a disabled subscription before it is switched back on.
    return not subscription.active and delivery.event != PING_EVENT


def delivery_attempt(*, delivery_id: UUID | str) -> DeliveryAttempt | None:
    """Claim, sign and POST one attempt of a delivery, then record it and what follows.

    Returns the stored attempt, or ``None`` when there was nothing to do (not due, already
    claimed, finished, or its subscription is gone). Safe to call twice for the same id.
    The POST happens outside any transaction; nothing is locked while waiting on a receiver.
    """
    pending = (
        Delivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if pending is None:
        return None
    if _subscription_gone(pending):
        Delivery.objects.filter(pk=pending.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED,
            next_attempt_at=None,
            last_error="The subscription was disabled or deleted.",
            updated_at=timezone.now(),
        )
        return None
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    number = delivery.attempts
    body = _body(delivery.payload)
    headers = signing.sign(
        secrets=region_signing_secrets(region=delivery.region),
        path_and_query=http.request_target(delivery.url),
        body=body,
        message_id=str(delivery.pk),
    )
    started_at = timezone.now()
    result = http.post(delivery.url, body=body, headers=headers)
    attempt, disabled = _record_attempt(
        delivery_id=delivery.pk, number=number, result=result, started_at=started_at
    )
    logger.info(
        "webhooks.attempt",
        delivery_id=str(delivery.pk),
        kind=delivery.kind,
        event_type=delivery.event or None,
        attempt=number,
        status_code=result.status_code,
        error_kind=result.error_kind or None,
        duration_ms=result.duration_ms,
    )
    if disabled is not None:
        _notify_subscription_disabled(disabled)
    return attempt


@dataclass(frozen=True)
class _Verdict:
    delivered: bool
    final: bool
    gone: bool


def _classify(result: http.PostResult, number: int) -> _Verdict:
    """Any 2xx delivers. 410 means "stop" and a refused URL will not become safe by waiting;
    every other failure (timeouts, 3xx, 4xx, 5xx) is retried, since a receiver's error is
    usually a deploy or configuration slip its owner fixes within the schedule."""
    if result.ok:
        return _Verdict(delivered=True, final=True, gone=False)
    gone = result.status_code == 410
    final = gone or result.error_kind == "unsafe_url" or number >= MAX_ATTEMPTS
    return _Verdict(delivered=False, final=final, gone=gone)


@transaction.atomic
def _record_attempt(
    *, delivery_id: UUID, number: int, result: http.PostResult, started_at: datetime
) -> tuple[DeliveryAttempt, Subscription | None]:
    attempt = DeliveryAttempt.objects.create(
        delivery_id=delivery_id,
        number=number,
        started_at=started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        address=result.address,
        response_body=result.response_body,
        error=result.error[:500],
    )
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status != DeliveryStatus.PENDING or delivery.attempts != number:
        # Our lease lapsed and another worker moved on; the attempt is logged, nothing else.
        return attempt, None
    now = timezone.now()
    verdict = _classify(result, number)
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500] if not verdict.delivered else ""
    if verdict.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif verdict.final:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delay = retry_delay_s(number)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        if RETRY_DELAYS_S[number - 1] <= SHORT_WAIT_MAX_S:
            _enqueue_on_commit(delivery.pk, countdown=delay)
    delivery.save()
    disabled = None
    if delivery.subscription is not None:
        disabled = _track_subscription_health(delivery.subscription, verdict, now)
    return attempt, disabled


def _track_subscription_health(
    subscription: Subscription, verdict: _Verdict, now: datetime
) -> Subscription | None:
    """Returns the subscription when this attempt disabled it."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if verdict.delivered:
        if subscription.failing_since is not None:
            subscription.failing_since = None
            subscription.save(update_fields=["failing_since", "updated_at"])
        return None
    if not subscription.active:
        return None
    if verdict.gone:
        _disable(subscription, reason=DisabledReason.GONE, now=now)
        return subscription
    if subscription.failing_since is None:
        subscription.failing_since = now
        subscription.save(update_fields=["failing_since", "updated_at"])
        return None
    if now - subscription.failing_since >= SUBSCRIPTION_DISABLE_AFTER:
        _disable(subscription, reason=DisabledReason.FAILING, now=now)
        return subscription
    return None


def _disable(subscription: Subscription, *, reason: str, now: datetime) -> None:
    subscription.active = False
    subscription.disabled_reason = reason
    subscription.disabled_at = now
    subscription.save(update_fields=["active", "disabled_reason", "disabled_at", "updated_at"])
    _cancel_pending(subscription, message="The subscription was disabled.")
    logger.warning(
        "webhooks.subscription_disabled", subscription_id=str(subscription.pk), reason=reason
    )


def _cancel_pending(subscription: Subscription, *, message: str) -> None:
    Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED,
        next_attempt_at=None,
        last_error=message,
        updated_at=timezone.now(),
    )


DISABLED_EMAIL_SUBJECT = "Webhook uitgeschakeld: {url}"
DISABLED_REASON_TEXT: dict[str, str] = {
    DisabledReason.GONE: "uw server antwoordde met 410 Gone",
    DisabledReason.FAILING: "de bezorging mislukt al drie dagen achter elkaar",
}


def _notify_subscription_disabled(subscription: Subscription) -> None:
    region = subscription.region
    if not region.contact_email:
        return
    context = {
        "region": region,
        "subscription": subscription,
        "reason": DISABLED_REASON_TEXT.get(subscription.disabled_reason, ""),
        "sandbox": subscription.environment == SANDBOX,
    }
    try:
        send_mail(
            subject=DISABLED_EMAIL_SUBJECT.format(url=subscription.url[:120]),
            message=render_to_string("webhooks/subscription_disabled.txt", context),
            html_message=render_to_string("webhooks/subscription_disabled.html", context),
            from_email=None,
            recipient_list=[region.contact_email],
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "webhooks.disabled_email_failed",
            subscription_id=str(subscription.pk),
            error=type(exc).__name__,
        )


def delivery_sweep(*, limit: int = SWEEP_BATCH_SIZE) -> int:
    """Enqueue every due delivery: lost wake-ups, lapsed claims and the long retry waits."""
    due = selectors.deliveries_due(limit=limit)
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)


def delivery_send_due(*, limit: int = SWEEP_BATCH_SIZE) -> int:
    """Send due deliveries in this process (operators, tests); returns attempts made."""
    return sum(
        delivery_attempt(delivery_id=delivery_id) is not None
        for delivery_id in selectors.deliveries_due(limit=limit)
    )


@transaction.atomic
def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Staff action: send the same message again as a new delivery with a fresh schedule.
    A payload scrubbed by retention is not resent (it no longer is the message)."""
    if isinstance(delivery.payload, dict) and delivery.payload.get("scrubbed"):
        return delivery
    copy = Delivery.objects.create(
        kind=delivery.kind,
        region_id=delivery.region_id,
        environment=delivery.environment,
        mutation_id=delivery.mutation_id,
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        url=delivery.url,
        payload=delivery.payload,
        resend_of=delivery,
    )
    _enqueue_on_commit(copy.pk)
    return copy


# --- subscriptions -------------------------------------------------------------------------------


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
            _cancel_pending(subscription, message="The subscription was switched off.")
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    _cancel_pending(subscription, message="The subscription was deleted.")
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
        payload=_event_payload(
            event_id=str(uuid4()),
            event=PING_EVENT,
            region=subscription.region,
            environment=subscription.environment,
            data={"subscriptionId": str(subscription.pk)},
        ),
    )
    _enqueue_on_commit(delivery.pk)
    return delivery
