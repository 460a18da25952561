"""Mutation callbacks (SPEC 6.1): the body the caller's ``callbackUrl`` receives, queued in the
transaction that ends the mutation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from config.api.environment import SANDBOX

from .delivery import _enqueue_on_commit
from .models import Delivery, DeliveryKind


def isoformat(value: datetime | None) -> str | None:
    """The API's datetime format: UTC with a ``Z`` (as DRF renders under ApiView)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
