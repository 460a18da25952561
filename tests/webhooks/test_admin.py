"""SPEC 10: deliveries with their attempts and a resend action; subscriptions edited through
the same services (and SSRF guard) as the API."""

from __future__ import annotations

import pytest

from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send_due, event_emit, subscription_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_hosts")]

DATA = {"candidateId": "recAAAAAAAAAAAAAA", "changedFields": ["phase"], "source": "airtable"}


def _delivered(region, receiver) -> Delivery:
    subscription_create(
        region=region, environment="production", url=receiver.url(), events=["candidate.updated"]
    )
    (delivery,) = event_emit(
        region=region, environment="production", event="candidate.updated", data=DATA
    )
    receiver.answer(("status", 500, b"kapot"))
    delivery_send_due()
    return delivery


def test_delivery_changelist_filters_and_detail_with_attempts(admin_client, region, receiver):
    delivery = _delivered(region, receiver)
    for query in ("status__exact=pending", "kind__exact=event", f"region__id__exact={region.pk}"):
        assert admin_client.get(f"/admin/webhooks/delivery/?{query}").status_code == 200
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert b"kapot" in page.content and b"recAAAAAAAAAAAAAA" in page.content


def test_resend_action_queues_a_copy(admin_client, region, receiver):
    delivery = _delivered(region, receiver)
    response = admin_client.post(
        "/admin/webhooks/delivery/", {"action": "resend", "_selected_action": [delivery.pk]}
    )
    assert response.status_code == 302
    copy = Delivery.objects.get(resend_of=delivery)
    assert (copy.status, copy.attempts, copy.url) == ("pending", 0, delivery.url)
    assert delivery_send_due() == 1
    copy.refresh_from_db()
    assert copy.status == "delivered"


def test_subscription_admin_uses_the_services(admin_client, region, receiver, settings):
    add = "/admin/webhooks/subscription/add/"
    form = {
        "region": region.pk,
        "environment": "production",
        "url": receiver.url("/a"),
        "events": ["candidate.created", "mutation.failed"],
        "description": "",
        "active": "on",
    }
    assert admin_client.post(add, form).status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.events == ["candidate.created", "mutation.failed"]
    change = f"/admin/webhooks/subscription/{subscription.pk}/change/"
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(change, {**form, "events": ["candidate.deleted"]})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.events == ["candidate.deleted"]

    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = False
    refused = admin_client.post(add, {**form, "url": "http://10.0.0.1/hook"})
    assert refused.status_code == 200
    assert b"private or reserved" in refused.content
    assert Subscription.objects.count() == 1


def test_delivery_search_accepts_any_text(admin_client, region, receiver):
    delivery = _delivered(region, receiver)
    for term in ("not-a-uuid", str(delivery.pk), "127.0.0.1"):
        assert admin_client.get("/admin/webhooks/delivery/", {"q": term}).status_code == 200
