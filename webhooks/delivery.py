"""Sending deliveries (SPEC 6.3): claim an attempt, sign and POST it, classify the answer,
record it and schedule the next; subscription health (switching off a failing receiver); the
beat sweep and staff resends."""

from __future__ import annotations

import json
import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from config.api.environment import SANDBOX
from config.enqueue import enqueue_on_commit, enqueue_task
from regions.models import Region
from regions.services import region_rotate_signing_secret

from . import http, selectors, signing
from .models import (
    PING_EVENT,
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    DisabledReason,
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
SWEEP_BATCH_SIZE = 500


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
    pending_deliveries_cancel(subscription, message="The subscription was disabled.")
    logger.warning(
        "webhooks.subscription_disabled", subscription_id=str(subscription.pk), reason=reason
    )


def pending_deliveries_cancel(subscription: Subscription, *, message: str) -> None:
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
