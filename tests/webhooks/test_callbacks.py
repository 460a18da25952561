"""SPEC 6.1/6.2 end to end: the engine ends a mutation, the outbox sends one signed callback
to a real receiver, and the receiver can verify it without our code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from mutations.models import Mutation
from tests.factories import numbered_candidate_body as _person
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.services import delivery_send_due

pytestmark = pytest.mark.django_db


def _post(client, candidates, **reserved) -> Mutation:
    response = client.post(
        "/api/v2/candidates", {"candidates": candidates, **reserved}, format="json"
    )
    assert response.status_code == 202, response.content
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _v2(secret: str, headers: dict, path: str, body: bytes) -> str:
    signed = (
        f"{headers['x-mutationengine-timestamp']}.{headers['x-mutationengine-nonce']}.{path}."
    ).encode() + body
    return (
        "v2="
        + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    )


def _iso(value) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_succeeded_and_failed_mutations_each_get_exactly_one_verified_callback(
    region_client, region, airtable, run_engine, receiver
):
    airtable.remove_select_option("Kandidaten", "Fase", "uitgestroomd")
    good = _post(
        region_client,
        [_person(1)],
        callbackUrl=receiver.url("/hooks/ok?tenant=u"),
        idempotencyKey="import-1",
    )
    bad = _post(
        region_client, [_person(2, phase="uitgestroomd")], callbackUrl=receiver.url("/hooks/bad")
    )
    run_engine()
    assert delivery_send_due() == 2
    assert delivery_send_due() == 0
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == ("succeeded", "failed")

    requests = {r.path: r for r in receiver.requests}
    assert sorted(requests) == ["/hooks/bad", "/hooks/ok?tenant=u"]
    ok = requests["/hooks/ok?tenant=u"]
    assert json.loads(ok.body) == {
        "mutationId": str(good.uuid),
        "operation": "candidate.create",
        "status": "succeeded",
        "sandbox": False,
        "region": "utrecht",
        "idempotencyKey": "import-1",
        "result": {"recordIds": good.result["recordIds"], "interactionIds": []},
        "error": None,
        # Sent twice: in a request shared with the bad one, then alone (culprit isolation).
        "attempts": 2,
        "createdAt": _iso(good.created_at),
        "finishedAt": _iso(good.finished_at),
    }
    failed = json.loads(requests["/hooks/bad"].body)
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"] == bad.error
    assert failed["error"]["airtableErrorType"] == "INVALID_MULTIPLE_CHOICE_OPTIONS"

    secret = region.signing_secret
    for path, received in requests.items():
        headers = received.headers
        assert headers["content-type"] == "application/json"
        assert headers["host"] == f"127.0.0.1:{receiver.port}"
        assert headers["x-mutationengine-signature"] == _v2(secret, headers, path, received.body)
        assert Webhook(secret.encode()).verify(received.body, headers) == json.loads(received.body)
        delivery = Delivery.objects.get(pk=headers["webhook-id"])
        assert (delivery.kind, delivery.status, delivery.attempts) == ("callback", "delivered", 1)
    assert [(a.number, a.status_code, a.response_body) for a in DeliveryAttempt.objects.all()] == [
        (1, 200, '{"ok": true}')
    ] * 2


def test_mutation_shows_its_callback_delivery(region_client, airtable, run_engine, receiver):
    with_callback = _post(region_client, [_person(1)], callbackUrl=receiver.url())
    without = _post(region_client, [_person(2)])
    run_engine()
    url = f"/api/v2/mutations/{with_callback.uuid}"
    queued = Delivery.objects.get()
    assert region_client.get(url).json()["data"]["callback"] == {
        "status": "pending",
        "attempts": 0,
        "lastStatusCode": None,
        "nextAttemptAt": _iso(queued.next_attempt_at),
        "deliveredAt": None,
    }
    delivery_send_due()
    callback = region_client.get(url).json()["data"]["callback"]
    delivered_at = Delivery.objects.get().delivered_at
    assert callback == {
        "status": "delivered",
        "attempts": 1,
        "lastStatusCode": 200,
        "nextAttemptAt": None,
        "deliveredAt": _iso(delivered_at),
    }
    data = region_client.get(f"/api/v2/mutations/{without.uuid}").json()["data"]
    assert data["callback"] is None


def test_rotation_signs_with_both_secrets_for_24_hours_then_only_the_new_one(
    region_client, region, airtable, run_engine, receiver, monkeypatch
):
    old_secret = region.signing_secret
    rotated = region_client.post("/api/v2/webhooks/signing-secret/rotate")
    new_secret = rotated.json()["data"]["secret"]
    assert new_secret != old_secret and rotated.json()["data"]["previousSecret"] == old_secret

    _post(region_client, [_person(1)], callbackUrl=receiver.url("/during"))
    run_engine()
    delivery_send_due()
    during = receiver.requests[-1]
    new_value, old_value = during.headers["x-mutationengine-signature"].split(" ")
    assert new_value == _v2(new_secret, during.headers, "/during", during.body)
    assert old_value == _v2(old_secret, during.headers, "/during", during.body)
    for secret in (new_secret, old_secret):
        Webhook(secret.encode()).verify(during.body, during.headers)

    _post(region_client, [_person(2)], callbackUrl=receiver.url("/after"))
    run_engine()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=24, seconds=1))
    delivery_send_due()
    after = receiver.requests[-1]
    assert after.path == "/after"
    assert after.headers["x-mutationengine-signature"] == _v2(
        new_secret, after.headers, "/after", after.body
    )
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret.encode()).verify(after.body, after.headers)


def test_sandbox_callbacks_say_so(region_client, airtable, run_engine, receiver):
    response = region_client.post(
        "/api/sandbox/candidates",
        {"candidates": [_person(1)], "callbackUrl": receiver.url()},
        format="json",
    )
    assert response.status_code == 202
    run_engine("sandbox")
    delivery_send_due()
    body = json.loads(receiver.requests[0].body)
    assert body["sandbox"] is True and body["status"] == "succeeded"
