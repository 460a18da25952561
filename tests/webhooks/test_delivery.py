"""SPEC 6.3 delivery against a real receiver: retries on the documented schedule, every attempt
stored, 2xx delivers, 410 disables, timeouts retry, redirects are not followed, claims are
exclusive, and a broker outage never reaches the caller."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from config.celery import app as celery_app
from config.enqueue import enqueue_task
from tests.fixtures.webhooks import DELIVER_TASK
from webhooks import http, services, tasks
from webhooks.delivery import _claim
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS_S,
    RETRY_JITTER,
    delivery_attempt,
    delivery_send_due,
    event_emit,
    subscription_create,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_hosts")]

DATA = {"candidateId": "recAAAAAAAAAAAAAA", "changedFields": ["phase"], "source": "airtable"}


def _subscribe(region, receiver, path="/events", **kwargs) -> Subscription:
    return subscription_create(
        region=region,
        environment="production",
        url=receiver.url(path),
        events=["candidate.updated"],
        **kwargs,
    )


def _emit(region) -> Delivery:
    (delivery,) = event_emit(
        region=region, environment="production", event="candidate.updated", data=DATA
    )
    return delivery


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def _attempts(delivery: Delivery) -> list[tuple]:
    return list(
        DeliveryAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("number", "status_code", "error")
    )


def test_500_then_200_is_delivered_on_the_second_attempt(
    region, receiver, enqueued, django_capture_on_commit_callbacks
):
    subscription = _subscribe(region, receiver)
    receiver.answer(("status", 500, b"database on fire"))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _emit(region)
    assert enqueued == [(str(delivery.pk), None)]

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert RETRY_DELAYS_S[0] <= wait <= RETRY_DELAYS_S[0] * (1 + RETRY_JITTER) + 1
    assert enqueued[-1][0] == str(delivery.pk)
    assert RETRY_DELAYS_S[0] <= enqueued[-1][1] <= RETRY_DELAYS_S[0] * (1 + RETRY_JITTER)
    assert subscription.failing_since is not None
    assert delivery_send_due() == 0  # not due yet

    _make_due(delivery)
    assert delivery_send_due() == 1
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None
    assert subscription.failing_since is None
    assert _attempts(delivery) == [(1, 500, ""), (2, 200, "")]
    assert [a.response_body for a in delivery.attempt_log.order_by("number")] == [
        "database on fire",
        '{"ok": true}',
    ]
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(delivery.pk)] * 2
    nonces = {r.headers["x-mutationengine-nonce"] for r in receiver.requests}
    assert len(nonces) == 2  # a fresh nonce (and signature) per attempt


def test_the_retry_schedule_has_eight_attempts_then_fails(
    region, receiver, enqueued, django_capture_on_commit_callbacks
):
    _subscribe(region, receiver)
    receiver.answer(*[503] * MAX_ATTEMPTS)
    delivery = _emit(region)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        _make_due(delivery)
        before = timezone.now()
        enqueued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery_attempt(delivery_id=delivery.pk) is not None
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(((delivery.next_attempt_at - before).total_seconds(), bool(enqueued)))
    assert MAX_ATTEMPTS == 8 and len(receiver.requests) == 8
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert len(waits) == len(RETRY_DELAYS_S) == 7
    for (wait, countdown), base in zip(waits, RETRY_DELAYS_S, strict=True):
        assert base <= wait <= base * (1 + RETRY_JITTER) + 1
        # Short waits are countdowns; long ones are left to the beat sweep.
        assert countdown == (base <= services.SHORT_WAIT_MAX_S)
    assert [n for n, *_ in _attempts(delivery)] == list(range(1, 9))
    _make_due(delivery)
    assert delivery_attempt(delivery_id=delivery.pk) is None


def test_410_disables_the_subscription_and_emails_the_region(region, receiver):
    subscription = _subscribe(region, receiver, description="CRM-koppeling")
    receiver.answer(410)
    first = _emit(region)
    second = _emit(region)
    delivery_attempt(delivery_id=first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    subscription.refresh_from_db()
    assert (first.status, first.last_status_code, first.next_attempt_at) == ("failed", 410, None)
    assert (second.status, second.last_error) == ("cancelled", "The subscription was disabled.")
    assert (subscription.active, subscription.disabled_reason) == (False, "gone")
    assert delivery_send_due() == 0 and len(receiver.requests) == 1
    assert (
        event_emit(region=region, environment="production", event="candidate.updated", data=DATA)
        == []
    )
    (email,) = mail.outbox
    assert email.to == [region.contact_email]
    assert email.subject == f"Webhook uitgeschakeld: {subscription.url}"
    assert "410 Gone" in email.body and subscription.url in email.body
    assert "CRM-koppeling" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and f"<code>{subscription.url}</code>" in html


def test_410_on_a_callback_stops_retrying(region, receiver):
    from mutations.models import Mutation

    mutation = Mutation.objects.create(
        region=region,
        environment="production",
        operation="candidate.archive",
        payload={},
        payload_hash="x",
        status="succeeded",
        callback_url=receiver.url(),
        result={"recordIds": ["recAAAAAAAAAAAAAA"]},
        finished_at=timezone.now(),
    )
    delivery = services.callback_delivery_create(mutation=mutation)
    receiver.answer(410)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)


def test_three_days_of_failures_disable_the_subscription(region, receiver):
    subscription = _subscribe(region, receiver)
    receiver.answer(500, 500)
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    subscription.refresh_from_db()
    assert subscription.active and subscription.failing_since is not None
    assert mail.outbox == []
    Subscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - timedelta(days=3, seconds=1)
    )
    _make_due(delivery)
    delivery_attempt(delivery_id=delivery.pk)
    subscription.refresh_from_db()
    delivery.refresh_from_db()
    assert (subscription.active, subscription.disabled_reason) == (False, "failing")
    assert delivery.status == "cancelled"
    assert "drie dagen" in mail.outbox[0].body


def test_timeout_is_retried(region, receiver, monkeypatch):
    monkeypatch.setattr(http, "TOTAL_TIMEOUT_S", 0.5)
    _subscribe(region, receiver)
    receiver.answer(("sleep", 1.5, 200))
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    (attempt,) = delivery.attempt_log.all()
    assert (delivery.status, attempt.status_code) == ("pending", None)
    assert attempt.error.startswith("Timed out") and attempt.duration_ms < 1400
    _make_due(delivery)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_redirects_are_not_followed_and_count_as_failures(region, receiver):
    _subscribe(region, receiver, path="/old")
    receiver.answer(("redirect", receiver.url("/new")))
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert [r.path for r in receiver.requests] == ["/old"]
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert _attempts(delivery) == [(1, 302, f"Redirect to {receiver.url('/new')} not followed.")]


def test_connection_refused_is_retried(region, receiver):
    subscription = _subscribe(region, receiver)
    Subscription.objects.filter(pk=subscription.pk).update(url="http://127.0.0.1:9/closed")
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("Connection failed")


def test_stored_responses_are_truncated(region, receiver):
    _subscribe(region, receiver)
    receiver.answer(("status", 500, b"x" * 100_000))
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    assert len(delivery.attempt_log.get().response_body) == http.RESPONSE_MAX_BYTES


def test_a_claimed_attempt_is_not_claimed_again_until_its_lease_lapses(region, receiver):
    _subscribe(region, receiver)
    delivery = _emit(region)
    assert _claim(delivery.pk) is not None
    assert _claim(delivery.pk) is None
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.requests == []
    _make_due(delivery)  # the lease lapsed (worker killed): the next attempt may go
    assert delivery_attempt(delivery_id=delivery.pk).number == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_one_attempt_once(region, receiver):
    _subscribe(region, receiver)
    receiver.answer(("sleep", 0.3, 200))
    delivery = _emit(region)
    results = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            results.append(delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receiver.requests) == 1
    assert sum(r is not None for r in results) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_sweep_enqueues_only_due_deliveries(region, receiver, enqueued):
    _subscribe(region, receiver)
    due, later = _emit(region), _emit(region)
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=2))
    enqueued.clear()
    tasks.sweep_deliveries()
    assert enqueued == [(str(due.pk), None)]


def test_broker_outage_never_raises_into_the_caller(
    region, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(celery_app, "send_task", broker_down)
    _subscribe(region, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _emit(region)
    enqueued = enqueue_task(DELIVER_TASK, str(delivery.pk), failure_event="test.enqueue_failed")
    assert enqueued is False
    # The row is the record: the sweep (or this) sends it once the broker is back.
    assert delivery_send_due() == 1


def test_deleted_or_paused_subscriptions_get_nothing(region, receiver):
    subscription = _subscribe(region, receiver)
    delivery = _emit(region)
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("cancelled", 0)
    assert receiver.requests == []


def test_resend_queues_a_fresh_copy(region, receiver, enqueued, django_capture_on_commit_callbacks):
    _subscribe(region, receiver)
    receiver.answer(*[500] * MAX_ATTEMPTS)
    delivery = _emit(region)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8)
    delivery.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        copy = services.delivery_resend(delivery=delivery)
    assert enqueued[-1] == (str(copy.pk), None)
    assert (copy.status, copy.attempts, copy.resend_of, copy.payload) == (
        "pending",
        0,
        delivery,
        delivery.payload,
    )


def test_a_dns_failure_at_delivery_is_retried_not_final(region, receiver, monkeypatch):
    _subscribe(region, receiver)

    def no_answer(host: str, port: int) -> list[str]:
        raise http.UnresolvableHost(f"The host {host!r} does not resolve.")

    monkeypatch.setattr(http, "resolve", no_answer)
    delivery = _emit(region)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        "pending",
        "The host '127.0.0.1' does not resolve.",
    )


def test_the_task_and_the_command_send_due_deliveries(region, receiver):
    from django.core.management import call_command

    _subscribe(region, receiver)
    first, second = _emit(region), _emit(region)
    tasks.deliver(str(first.pk))
    call_command("send_webhooks", "--until-idle", stdout=io.StringIO())
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(first.pk), str(second.pk)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
