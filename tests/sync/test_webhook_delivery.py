"""End to end: a staff edit found by the sync reaches the region's webhook receiver, signed,
with ids and field names only (SPEC 6.3)."""

from __future__ import annotations

import json

import pytest

from webhooks.services import delivery_send_due, subscription_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enqueued")]


def test_a_staff_edit_is_delivered_to_the_subscriber(region, staff, sync, receiver):
    subscription_create(
        region=region,
        environment="production",
        url=receiver.url("/events"),
        events=["candidate.created", "candidate.updated"],
    )
    record = staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    sync()  # the initial load: no events
    staff.update("Kandidaten", record["id"], {"Fase": "werkzaam", "E-mail": "bram@x.nl"})

    sync()
    delivery_send_due()

    [request] = receiver.requests
    event = json.loads(request.body)
    assert (event["type"], event["region"], event["sandbox"]) == (
        "candidate.updated",
        "utrecht",
        False,
    )
    assert event["data"] == {
        "candidateId": record["id"],
        "changedFields": ["email", "phase"],
        "source": "airtable",
    }
    assert "bram@x.nl" not in request.body.decode()
