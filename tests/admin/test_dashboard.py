"""SPEC 10: the dashboard (admin index) — charts and small tables, scoped like every page,
in Dutch or English as the browser asks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from airtable.models import SyncState
from backoffice.charts import Series, column_chart, nice_ceiling, stacked_rows
from candidates.factories import CandidateFactory
from mutations.models import Mutation
from webhooks.models import Subscription

from .support import accept_update, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(region, other_region):
    now = timezone.now()
    for phase, count in (("nieuw", 3), ("matchen", 2), ("werkzaam", 1)):
        CandidateFactory.create_batch(
            count, region=region, phase=phase, airtable_created_at=now - timedelta(days=1)
        )
    CandidateFactory(region=region, phase="nieuw", archived=True)
    CandidateFactory.create_batch(4, region=other_region, phase="uitgestroomd")
    CandidateFactory(region=region, environment="sandbox", phase="nieuw")
    for region_, status in ((region, "succeeded"), (region, "failed"), (other_region, "failed")):
        mutation = accept_update(region_)
        Mutation.objects.filter(pk=mutation.pk).update(
            status=status,
            finished_at=now - timedelta(hours=2),
            error={"code": "INVALID_VALUE", "message": "Kapot"} if status == "failed" else None,
        )
    accept_update(region)  # still queued
    accept_update(other_region)
    Subscription.objects.create(
        region=region,
        environment="production",
        url="https://utrecht.example.com/hook",
        events=["candidate.updated"],
        failing_since=now - timedelta(hours=5),
    )
    Subscription.objects.create(
        region=other_region,
        environment="production",
        url="https://amsterdam.example.com/hook",
        events=["candidate.updated"],
        active=False,
        disabled_reason="gone",
    )
    SyncState.objects.create(
        base_id="appProduction0001",
        table="Kandidaten",
        environment="production",
        last_finished_at=now - timedelta(minutes=3),
        last_duration_s=1.5,
        last_records_changed=7,
    )


def _svgs(response) -> list[str]:
    return re.findall(r'<svg class="bo-chart".*?</svg>', response.content.decode(), re.S)


def _tiles(response) -> dict[str, str]:
    return {tile.label: tile.value for tile in response.context["tiles"]}


def test_superuser_dashboard_shows_every_region(superuser_client, region, other_region, activity):
    page = superuser_client.get("/admin/")
    assert page.status_code == 200
    assert len(_svgs(page)) == 3  # phases per region, new per week, throughput
    assert _tiles(page) == {
        "Candidates": "11",
        "New this week": _tiles(page)["New this week"],
        "Queue depth": "2",
        "Succeeded (24 h)": "1",
        "Failed (24 h)": "2",
        "Failing webhooks": "2",
    }
    table = {row["region"].code: row for row in page.context["candidates"]["phase_table"]}
    assert table["utrecht"]["counts"][:3] == [3, 2, 0] and table["utrecht"]["archived"] == 1
    assert table["amsterdam"]["total"] == 4
    assert b"appProduction0001" in page.content  # last sync per base
    assert b"amsterdam.example.com" in page.content and b"utrecht.example.com" in page.content


def test_coordinator_dashboard_counts_only_their_regions(
    coordinator_client, region, other_region, activity
):
    page = coordinator_client.get("/admin/")
    assert page.status_code == 200
    assert len(_svgs(page)) == 3
    tiles = _tiles(page)
    assert (tiles["Candidates"], tiles["Queue depth"], tiles["Failed (24 h)"]) == (
        "7",
        "1",
        "1",
    )
    assert tiles["Failing webhooks"] == "1"
    assert [row["region"] for row in page.context["candidates"]["phase_table"]] == [region]
    for secret in (other_region.name, "amsterdam.example.com", "appProduction0001"):
        assert secret.encode() not in page.content  # sync state is for platform staff
    assert "sync_states" not in page.context


def test_the_candidates_tile_agrees_with_the_list_it_links_to(coordinator_client, region, activity):
    """The dashboard counted active candidates while the list showed archived ones (and the
    sandbox) too: 26 against 27. The tile now counts what its link lists."""
    page = coordinator_client.get("/admin/")
    (tile,) = [t for t in page.context["tiles"] if t.label == "Candidates"]
    listing = coordinator_client.get(tile.url)
    assert listing.status_code == 200
    assert tile.value == str(listing.context["cl"].queryset.count()) == "7"
    assert tile.note == "1 archived"


def test_failing_webhooks_name_the_region(coordinator_client, region, activity):
    page = coordinator_client.get("/admin/")
    panel = page.content.decode().split('id="dash-webhooks"', 1)[1].split("</section>", 1)[0]
    assert f"<td>{region.name}</td>" in panel


def test_the_environment_switch(coordinator_client, region, activity):
    page = coordinator_client.get("/admin/", {"environment": "sandbox"})
    assert _tiles(page)["Candidates"] == "1"
    assert (
        coordinator_client.get("/admin/", {"environment": "nonsense"}).context["environment"]
        == "production"
    )


def test_dashboard_follows_the_browsers_language(coordinator, activity):
    dutch = client_for(coordinator, language="nl").get("/admin/")
    assert "Kandidaten per fase en regio" in dutch.content.decode()
    assert "Nieuwe kandidaten per week" in dutch.content.decode()
    english = client_for(coordinator, language="en").get("/admin/")
    assert "Candidates per phase and region" in english.content.decode()


def test_staff_without_permissions_or_regions_get_an_empty_dashboard(region):
    from .support import staff_user

    bare = client_for(staff_user("bare", group=None))
    page = bare.get("/admin/")
    assert page.status_code == 200
    assert page.context["tiles"] == [] and _svgs(page) == []
    assert b"not a member of any region" in page.content


def test_charts_draw_bars_and_say_when_empty():
    assert [nice_ceiling(v) for v in (0, 3, 4, 5, 9, 41, 99, 1234)] == [
        4,
        4,
        4,
        8,
        20,
        80,
        200,
        2000,
    ]
    chart = column_chart(
        title="t",
        labels=["a", "b"],
        series=[Series("ok", "#0f0", [3, 0]), Series("x", "#f00", [1, 2])],
    )
    assert chart.count("<rect") == 3 and "a · ok: 3" in chart
    assert "No data in this period" in column_chart(
        title="t", labels=["a"], series=[Series("ok", "#0f0", [0])]
    )
    rows = stacked_rows(
        title="t", rows=[("<Regio>", [1, 2])], segments=[("nieuw", "#111"), ("werkzaam", "#222")]
    )
    assert "&lt;Regio&gt;" in rows and "<Regio>" not in rows
