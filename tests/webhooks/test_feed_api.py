"""GET /events (SPEC 6.4): cursor rules, filters, scoping, the retention 410, and positions
handed out in commit order so a reader never skips an event that commits late."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from candidates.retention import retention_run
from webhooks.feed import NewEvent, feed_append, feed_read
from webhooks.models import Event, EventSequence
from webhooks.services import event_emit

pytestmark = pytest.mark.django_db
URL = "/api/v2/events"


def _emit(region, n: int = 1, event: str = "candidate.updated", environment: str = "production"):
    for index in range(n):
        event_emit(
            region=region,
            environment=environment,
            event=event,
            data={"candidateId": f"rec{index:014d}", "changedFields": ["phase"], "source": "api"},
        )


def test_reads_in_order_with_cursor_and_an_empty_page_keeps_it(region, region_client):
    _emit(region, 3)
    first = region_client.get(URL, {"pageSize": 2}).json()
    assert [e["position"] for e in first["data"]] == [1, 2]
    assert first["meta"]["cursor"] == "2"
    assert first["meta"]["hasMore"] is True
    event = Event.objects.get(position=1)
    assert first["data"][0] == {
        "position": 1,
        "id": str(event.uuid),
        "type": "candidate.updated",
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "source": "api",
        "data": {"candidateId": "rec00000000000000", "changedFields": ["phase"], "source": "api"},
    }
    rest = region_client.get(URL, {"after": "2", "pageSize": 2}).json()
    assert ([e["position"] for e in rest["data"]], rest["meta"]["cursor"]) == ([3], "3")
    assert rest["meta"]["hasMore"] is False
    empty = region_client.get(URL, {"after": "3"}).json()
    assert (empty["data"], empty["meta"]["cursor"]) == ([], "3")


def test_feeds_are_per_region_and_environment(
    region, other_region, region_client, other_region_client
):
    _emit(region, 2)
    _emit(other_region, 1)
    _emit(region, 1, environment="sandbox")
    assert [e["position"] for e in region_client.get(URL).json()["data"]] == [1, 2]
    assert [e["position"] for e in other_region_client.get(URL).json()["data"]] == [1]
    sandbox = region_client.get("/api/sandbox/events").json()
    assert (len(sandbox["data"]), sandbox["meta"]["sandbox"]) == (1, True)


def test_types_filter_moves_the_cursor_past_other_types(region, region_client):
    _emit(region, 2)
    _emit(region, 1, event="candidate.deleted")
    _emit(region, 2)
    response = region_client.get(URL, {"types": "candidate.deleted"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(e["position"], e["type"]) for e in body["data"]] == [(3, "candidate.deleted")]
    assert body["meta"]["cursor"] == "5"
    both = region_client.get(URL, {"types": ["candidate.deleted", "candidate.updated"]})
    assert both.status_code == 200, both.content
    assert len(both.json()["data"]) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "abc"}, "after"),
        ({"after": "-1"}, "after"),
        ({"pageSize": "0"}, "pageSize"),
        ({"types": "candidate.renamed"}, "types"),
        ({"types": " "}, "types"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(region_client, params, field):
    response = region_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "BAD_REQUEST"
    assert body["error"]["details"][0]["field"] == field


def test_needs_a_key(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_retention_prunes_old_events_and_an_older_cursor_is_410(region, region_client):
    _emit(region, 3)
    Event.objects.filter(position__lte=2).update(occurred_at=timezone.now() - timedelta(days=31))
    retention_run()
    assert list(Event.objects.values_list("position", flat=True)) == [3]
    assert EventSequence.objects.get(region=region).pruned_through == 2

    response = region_client.get(URL, {"after": "1"})
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "CURSOR_EXPIRED"
    assert "updatedSince" in error["message"] and "after=2" in error["message"]
    assert [e["position"] for e in region_client.get(URL, {"after": "2"}).json()["data"]] == [3]
    assert region_client.get(URL, {"after": "0"}).status_code == 410


def test_webhook_delivery_points_at_its_feed_row(region, receiver, private_hosts):
    from webhooks.services import subscription_create

    subscription_create(
        region=region,
        environment="production",
        url=receiver.url(),
        events=["candidate.updated"],
    )
    (delivery,) = event_emit(
        region=region,
        environment="production",
        event="candidate.updated",
        data={"candidateId": "rec00000000000001", "changedFields": [], "source": "airtable"},
    )
    row = Event.objects.get()
    assert delivery.feed_event == row
    assert (delivery.payload["id"], delivery.payload["position"]) == (str(row.uuid), 1)
    assert row.source == "airtable"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_positions_follow_commit_order_so_a_reader_never_skips(region):
    """Writer A takes position 1 and stays open; writer B must wait for A's commit, so no
    reader can ever see B's event while A's lower position is still to come."""
    a_appended, a_release = threading.Event(), threading.Event()
    positions: dict[str, int] = {}

    def writer_a() -> None:
        try:
            with transaction.atomic():
                (row,) = feed_append(
                    region=region,
                    environment="production",
                    events=[NewEvent(type="candidate.updated", source="api", data={})],
                )
                positions["a"] = row.position
                a_appended.set()
                a_release.wait(30)
        finally:
            connections.close_all()

    def writer_b() -> None:
        try:
            (row,) = feed_append(
                region=region,
                environment="production",
                events=[NewEvent(type="candidate.deleted", source="api", data={})],
            )
            positions["b"] = row.position
        finally:
            connections.close_all()

    thread_a = threading.Thread(target=writer_a)
    thread_a.start()
    assert a_appended.wait(30)
    thread_b = threading.Thread(target=writer_b)
    thread_b.start()
    _wait_until_a_backend_waits_on_a_lock()

    # A reader now sees neither event: B is queued behind A's counter lock.
    page = feed_read(region=region, environment="production", after=0, page_size=100)
    assert (page.events, page.cursor) == ([], 0)

    a_release.set()
    thread_a.join(30)
    thread_b.join(30)
    assert positions == {"a": 1, "b": 2}
    page = feed_read(region=region, environment="production", after=0, page_size=100)
    assert [(e.position, e.type) for e in page.events] == [
        (1, "candidate.updated"),
        (2, "candidate.deleted"),
    ]


def _wait_until_a_backend_waits_on_a_lock(attempts: int = 300) -> None:
    for _ in range(attempts):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        threading.Event().wait(0.05)
    raise AssertionError("writer B never waited for writer A's lock")
