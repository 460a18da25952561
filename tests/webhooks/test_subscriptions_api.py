"""SPEC 3/6.3: the /webhooks endpoints — region- and environment-scoped, validated, enveloped."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from openapi_spec_validator import validate

from webhooks import signing
from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send_due, event_emit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_hosts")]

DATA = {"candidateId": "recAAAAAAAAAAAAAA", "changedFields": ["phase"], "source": "airtable"}


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _body(subscription: Subscription) -> dict:
    return {
        "id": str(subscription.pk),
        "url": subscription.url,
        "events": subscription.events,
        "active": subscription.active,
        "description": subscription.description,
        "disabledReason": subscription.disabled_reason or None,
        "disabledAt": _iso(subscription.disabled_at),
        "failingSince": _iso(subscription.failing_since),
        "createdAt": _iso(subscription.created_at),
        "updatedAt": _iso(subscription.updated_at),
    }


def _create(client, receiver, prefix="/api/v2", **body) -> dict:
    body = {"url": receiver.url("/events"), "events": ["candidate.created"], **body}
    response = client.post(f"{prefix}/webhooks", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_get_list_update_delete(region_client, receiver):
    created = _create(
        region_client,
        receiver,
        description="CRM",
        events=["candidate.created", "mutation.failed", "candidate.created"],
    )
    subscription = Subscription.objects.get()
    assert created == {"data": _body(subscription), "meta": created["meta"]}
    assert created["meta"]["sandbox"] is False
    assert created["data"]["events"] == ["candidate.created", "mutation.failed"]
    assert created["data"]["active"] is True and created["data"]["description"] == "CRM"

    url = f"/api/v2/webhooks/{subscription.pk}"
    assert region_client.get(url).json()["data"] == _body(subscription)
    listed = region_client.get("/api/v2/webhooks").json()
    assert listed["data"] == [_body(subscription)] and listed["meta"]["cursor"] is None

    patched = region_client.patch(
        url, {"events": ["candidate.updated"], "active": False}, format="json"
    )
    assert patched.status_code == 200
    subscription.refresh_from_db()
    assert patched.json()["data"] == _body(subscription)
    assert (subscription.events, subscription.active) == (["candidate.updated"], False)

    assert region_client.delete(url).status_code == 204
    assert region_client.get(url).status_code == 404
    assert not Subscription.objects.exists()


def test_subscriptions_are_scoped_to_region_and_environment(
    region_client, other_region_client, receiver
):
    production = _create(region_client, receiver)["data"]["id"]
    sandbox = _create(region_client, receiver, prefix="/api/sandbox")["data"]["id"]
    for client, prefix, subscription_id in (
        (other_region_client, "/api/v2", production),
        (region_client, "/api/sandbox", production),
        (region_client, "/api/v2", sandbox),
        (region_client, "/api/v2", "not-a-uuid"),
    ):
        base = f"{prefix}/webhooks/{subscription_id}"
        assert client.get(base).status_code == 404
        assert client.patch(base, {"active": False}, format="json").status_code == 404
        assert client.delete(base).status_code == 404
        assert client.post(f"{base}/test").status_code == 404
        assert client.get(f"{base}/deliveries").status_code == 404
    assert other_region_client.get("/api/v2/webhooks").json()["data"] == []
    assert [s["id"] for s in region_client.get("/api/sandbox/webhooks").json()["data"]] == [sandbox]
    assert Subscription.objects.filter(active=True).count() == 2


def test_invalid_subscriptions_are_422_with_every_violation(region_client, receiver):
    response = region_client.post(
        "/api/v2/webhooks",
        {
            "url": "not a url",
            "events": ["candidate.created", "candidate.exploded"],
            "secret": "mine",
        },
        format="json",
    )
    assert response.status_code == 422
    details = {d["field"]: d["message"] for d in response.json()["error"]["details"]}
    assert set(details) == {"url", "events", "secret"}
    assert details["events"].startswith("Unknown event 'candidate.exploded'.")
    empty = region_client.post(
        "/api/v2/webhooks", {"url": receiver.url(), "events": []}, format="json"
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "events"
    ping = region_client.post(
        "/api/v2/webhooks", {"url": receiver.url(), "events": ["ping"]}, format="json"
    )
    assert ping.status_code == 422
    assert not Subscription.objects.exists()


def test_reenabling_clears_the_disabled_state(region_client, receiver):
    subscription_id = _create(region_client, receiver)["data"]["id"]
    Subscription.objects.filter(pk=subscription_id).update(
        active=False,
        disabled_reason="gone",
        disabled_at=timezone.now(),
        failing_since=timezone.now(),
    )
    data = region_client.patch(
        f"/api/v2/webhooks/{subscription_id}", {"active": True}, format="json"
    ).json()["data"]
    assert (data["active"], data["disabledReason"], data["disabledAt"], data["failingSince"]) == (
        True,
        None,
        None,
        None,
    )


def test_test_sends_a_signed_ping(region_client, region, receiver, enqueued):
    subscription_id = _create(region_client, receiver)["data"]["id"]
    response = region_client.post(f"/api/v2/webhooks/{subscription_id}/test")
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json()["data"] == {
        "id": str(delivery.pk),
        "kind": "event",
        "event": "ping",
        "url": receiver.url("/events"),
        "status": "pending",
        "attempts": 0,
        "nextAttemptAt": _iso(delivery.next_attempt_at),
        "lastStatusCode": None,
        "lastError": "",
        "deliveredAt": None,
        "createdAt": _iso(delivery.created_at),
        "payload": delivery.payload,
        "attemptLog": [],
    }
    assert delivery.payload == {
        "id": delivery.payload["id"],
        "type": "ping",
        "timestamp": delivery.payload["timestamp"],
        "sandbox": False,
        "region": "utrecht",
        "data": {"subscriptionId": subscription_id},
    }
    assert delivery_send_due() == 1
    (received,) = receiver.requests
    signing.verify(
        secret=region.signing_secret,
        headers=received.headers,
        path_and_query=received.path,
        body=received.body,
    )
    assert json.loads(received.body) == delivery.payload


def test_deliveries_are_listed_with_attempts_and_cursor(region_client, region, receiver):
    subscription_id = _create(region_client, receiver, events=["candidate.updated"])["data"]["id"]
    for _ in range(3):
        event_emit(region=region, environment="production", event="candidate.updated", data=DATA)
    receiver.answer(500)
    delivery_send_due()
    url = f"/api/v2/webhooks/{subscription_id}/deliveries"
    first = region_client.get(url, {"pageSize": 2}).json()
    second = region_client.get(url, {"pageSize": 2, "cursor": first["meta"]["cursor"]}).json()
    assert second["meta"]["cursor"] is None
    items = first["data"] + second["data"]
    assert len(items) == 3 and len({i["id"] for i in items}) == 3
    ordered = list(Delivery.objects.order_by("created_at", "id"))
    assert [i["id"] for i in items] == [str(d.pk) for d in ordered]
    statuses = sorted((i["status"], [a["statusCode"] for a in i["attemptLog"]]) for i in items)
    assert statuses == [("delivered", [200]), ("delivered", [200]), ("pending", [500])]
    attempt = next(i for i in items if i["status"] == "pending")["attemptLog"][0]
    assert set(attempt) == {"number", "startedAt", "durationMs", "statusCode", "error", "response"}
    assert (attempt["number"], attempt["response"]) == (1, '{"ok": true}')


def test_signing_secret_and_rotation(region_client, region, monkeypatch):
    response = region_client.get("/api/v2/webhooks/signing-secret")
    assert response.json()["data"] == {
        "secret": region.signing_secret,
        "standardWebhooksSecret": signing.standard_webhooks_secret(region.signing_secret),
    }
    rotated = region_client.post("/api/v2/webhooks/signing-secret/rotate").json()["data"]
    region.refresh_from_db()
    assert rotated == {
        "secret": region.signing_secret,
        "standardWebhooksSecret": signing.standard_webhooks_secret(region.signing_secret),
        "previousSecret": region.previous_signing_secret,
        "previousSecretExpiresAt": _iso(region.previous_signing_secret_expires_at),
    }
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != rotated["previousSecret"]
    expires = region.previous_signing_secret_expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < expires <= timedelta(hours=24)
    assert region_client.get("/api/v2/webhooks/signing-secret").json()["data"] == rotated
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=24, seconds=1))
    assert set(region_client.get("/api/v2/webhooks/signing-secret").json()["data"]) == {
        "secret",
        "standardWebhooksSecret",
    }


def test_webhook_operations_are_documented_with_envelopes(anon_client):
    document = json.loads(anon_client.get("/api/v2/openapi.json").content)
    validate(document)
    expected = {
        ("get", "/api/v2/webhooks"): "200",
        ("post", "/api/v2/webhooks"): "201",
        ("get", "/api/v2/webhooks/{subscription_id}"): "200",
        ("patch", "/api/v2/webhooks/{subscription_id}"): "200",
        ("delete", "/api/v2/webhooks/{subscription_id}"): "204",
        ("post", "/api/v2/webhooks/{subscription_id}/test"): "202",
        ("get", "/api/v2/webhooks/{subscription_id}/deliveries"): "200",
        ("get", "/api/v2/webhooks/signing-secret"): "200",
        ("post", "/api/v2/webhooks/signing-secret/rotate"): "200",
    }
    for (method, path), status in expected.items():
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Webhooks"], path
        assert operation["security"] == [{"apiKey": []}]
        assert {status, "401", "404"} <= set(operation["responses"]), path
        if status != "204":
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("Envelope"), path
    mutation = document["components"]["schemas"]["Mutation"]["properties"]["callback"]
    assert "CallbackStatus" in json.dumps(mutation)


def test_a_region_without_a_secret_gets_one_on_first_use(region_client, region):
    type(region).objects.filter(pk=region.pk).update(signing_secret="")
    secret = region_client.get("/api/v2/webhooks/signing-secret").json()["data"]["secret"]
    region.refresh_from_db()
    assert secret == region.signing_secret and secret.startswith("whsec_")
