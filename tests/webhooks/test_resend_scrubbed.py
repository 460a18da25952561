from __future__ import annotations

import pytest

from webhooks.models import Delivery
from webhooks.services import delivery_resend

from .test_admin import _delivered

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_hosts")]


def test_a_scrubbed_delivery_is_not_resent(region, receiver):
    delivery = _delivered(region, receiver)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="failed", payload={"scrubbed": True, "event": "x"}
    )
    delivery.refresh_from_db()
    assert delivery_resend(delivery=delivery) == delivery
    assert not Delivery.objects.filter(resend_of=delivery).exists()
