"""SPEC 10 acceptance in a real browser, at 1440×900 and 390×844: the dashboard, the candidate
list and page, the pipeline board, the mutation list and page, and the delivery list fit the
screen, log no console errors, fetch nothing from another host and show their key columns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from candidates.factories import CandidateFactory, InteractionFactory
from candidates.fields import PHASES
from mutations.models import Mutation
from tests.admin.support import COORDINATOR, accept_update, staff_user
from webhooks.models import Delivery, DeliveryStatus, Subscription

from .screens import (
    VIEWPORTS,
    assert_fits,
    assert_on_screen,
    key_column,
    log_in,
    open_page,
    screenshot,
)

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = [
    "Lotte Visser",
    "Bram de Groot",
    "Fatima el Amrani",
    "Sanne Bakker",
    "Daan Jansen",
    "Noah Vermeulen",
    "Eva Smit",
    "Mila de Vries",
    "Julia van den Berg-Hoogeveen",
    "Sem Mulder",
    "Lucas Peeters",
    "Anouk Dekker",
]


def _office(region) -> dict:
    now = timezone.now()
    candidates = [
        CandidateFactory(
            region=region,
            name=name,
            email=f"{name.split()[0].lower()}@example.com",
            phone=f"+3161234{index:04d}",
            phase=PHASES[index % len(PHASES)],
            source=("website", "open dag", "LinkedIn-campagne voorjaar")[index % 3],
            archived=index == 11,
            airtable_created_at=now - timedelta(days=index * 6),
        )
        for index, name in enumerate(NAMES)
    ]
    lotte = candidates[0]
    InteractionFactory(candidate=lotte, type="Telefonisch", subject="Kennismaking")
    for hours_ago in range(0, 24, 3):
        mutation = accept_update(region, candidates[hours_ago % 5].record_id)
        failed = hours_ago % 9 == 0
        Mutation.objects.filter(pk=mutation.pk).update(
            status="failed" if failed else "succeeded",
            finished_at=now - timedelta(hours=hours_ago),
            attempts=3 if failed else 1,
            error={"code": "INVALID_VALUE_FOR_COLUMN", "message": "Unknown option 'x' for Fase"}
            if failed
            else None,
        )
    queued = accept_update(region, lotte.record_id)
    subscription = Subscription.objects.create(
        region=region,
        environment="production",
        url="https://crm.onderwijsregio-utrecht.example.nl/hooks/airtable-ats/candidates",
        events=["candidate.updated"],
        failing_since=now - timedelta(hours=5),
    )
    for index, (status, error) in enumerate(
        [
            (DeliveryStatus.PENDING, "Connection failed: [Errno 111] Connection refused"),
            (DeliveryStatus.DELIVERED, ""),
            (DeliveryStatus.FAILED, "Timed out: ReadTimeout"),
        ]
    ):
        Delivery.objects.create(
            kind="event",
            region=region,
            environment="production",
            subscription=subscription,
            event="candidate.updated",
            url=subscription.url,
            payload={
                "id": f"evt{index}",
                "type": "candidate.updated",
                "data": {"candidateId": lotte.record_id, "changedFields": ["phase"]},
            },
            status=status,
            attempts=index + 1,
            last_error=error,
            next_attempt_at=now + timedelta(minutes=5),
        )
    return {"lotte": lotte, "queued": queued}


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_every_screen_fits_and_shows_its_key_columns(browser, live_server, region, viewport_name):
    viewport = VIEWPORTS[viewport_name]
    data = _office(region)
    staff_user("coordinator", group=COORDINATOR, regions=[region])
    context, page, watcher = open_page(browser, live_server, viewport)
    log_in(page, "coordinator")

    screens = [
        ("dashboard", "/admin/", []),
        (
            "candidates",
            "/admin/candidates/candidate/",
            ["name_and_state", "email", "phone_display", "phase_badge", "updated"],
        ),
        ("candidate", f"/admin/candidates/candidate/{data['lotte'].pk}/change/", []),
        ("board", "/admin/board/", []),
        (
            "mutations",
            "/admin/mutations/mutation/",
            ["short_id", "operation_name", "candidate_link", "status_badge", "age"],
        ),
        ("mutation", f"/admin/mutations/mutation/{data['queued'].pk}/change/", []),
        (
            "deliveries",
            "/admin/webhooks/delivery/",
            ["url_short", "event_name", "status_badge", "attempts", "next_try", "error_text"],
        ),
    ]
    for name, url, columns in screens:
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        page.wait_for_load_state("networkidle")
        assert_fits(page)
        for field in columns:
            assert_on_screen(page, key_column(field, viewport))
        screenshot(page, name, viewport)

    # What each screen must say, in Dutch.
    page.goto("/admin/")
    expect(page.locator("#dash-webhooks")).to_contain_text(region.name)
    page.goto("/admin/candidates/candidate/")
    expect(page.locator("#result_list")).to_contain_text("Gearchiveerd")
    expect(page.locator("#result_list")).not_to_contain_text("Sandbox")
    page.goto(f"/admin/candidates/candidate/{data['lotte'].pk}/change/")
    expect(page.locator("#timeline")).to_contain_text("Kennismaking")
    expect(page.locator("#timeline")).to_contain_text("Kandidaat bijwerken")
    page.goto(f"/admin/mutations/mutation/{data['queued'].pk}/change/")
    assert "mutatie weergeven" in page.title() and "wijzigen" not in page.title()
    expect(page.locator("[name=_save]")).to_have_count(0)
    page.goto("/admin/webhooks/delivery/")
    expect(page.locator("#result_list")).to_contain_text("weigerde de verbinding")
    expect(page.locator("#result_list")).not_to_contain_text("Errno")
    watcher.assert_clean()
    context.close()
