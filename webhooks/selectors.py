from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from regions.models import Region

from .models import Delivery, DeliveryStatus, Subscription


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def subscription_list(*, region: Region, environment: str) -> QuerySet[Subscription]:
    return Subscription.objects.filter(region=region, environment=environment)


def subscription_get(
    *, region: Region, environment: str, subscription_id: str
) -> Subscription | None:
    key = _uuid(subscription_id)
    if key is None:
        return None
    return subscription_list(region=region, environment=environment).filter(pk=key).first()


def subscriptions_for_events(*, region: Region, environment: str) -> list[Subscription]:
    """Active subscriptions; callers match event names in Python (SQLite has no JSON
    containment lookup, and a region has a handful of subscriptions)."""
    return list(subscription_list(region=region, environment=environment).filter(active=True))


def delivery_list(*, subscription: Subscription) -> QuerySet[Delivery]:
    return Delivery.objects.filter(subscription=subscription).prefetch_related("attempt_log")


def deliveries_due(*, now: datetime | None = None, limit: int) -> list[uuid.UUID]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def region_signing_secrets(*, region: Region, now: datetime | None = None) -> list[str]:
    """The secrets that sign right now, newest first (two during a rotation overlap)."""
    now = now or timezone.now()
    secrets = [region.signing_secret]
    expires = region.previous_signing_secret_expires_at
    if region.previous_signing_secret and expires is not None and expires > now:
        secrets.append(region.previous_signing_secret)
    return secrets
