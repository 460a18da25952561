"""SPEC 10: the pipeline board. Moving a card queues a candidate.update through the engine; the
card is pending until Airtable (the local emulator, over HTTP) confirms, and goes back with a
message when the mutation fails."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from candidates.models import Candidate
from mutations.models import Mutation
from mutations.tasks import engine_drain
from tests.admin.support import COORDINATOR, staff_user

from .screens import DESKTOP, PHONE, log_in, open_page, screenshot
from .test_back_office import _create_through_the_engine

pytestmark = pytest.mark.django_db(transaction=True)


def _card(page, candidate: Candidate):
    return page.locator(f"#card-{candidate.pk}")


def _column(page, phase: str):
    return page.locator(f".bo-column[data-phase='{phase}']")


def test_dragging_a_card_queues_the_move_and_shows_it_once_airtable_confirms(
    browser, live_server, airtable, region
):
    lotte = _create_through_the_engine(region)
    staff_user("coordinator", group=COORDINATOR, regions=[region])
    context, page, watcher = open_page(browser, live_server, DESKTOP)
    log_in(page, "coordinator")
    page.goto("/admin/board/")
    card = _card(page, lotte)
    expect(_column(page, "nieuw").locator(card)).to_have_count(1)
    expect(card.locator("select[name=phase]")).to_have_value("nieuw")

    card.drag_to(_column(page, "matchen"))

    # Queued through the engine, not written: the card waits in its new column.
    expect(card).to_contain_text("wacht op Airtable")
    expect(_column(page, "matchen").locator(f"#card-{lotte.pk}")).to_have_count(1)
    mutation = Mutation.objects.get(status="queued")
    assert (mutation.operation, mutation.payload, mutation.target_ids) == (
        "candidate.update",
        {"fields": {"phase": "matchen"}},
        [lotte.record_id],
    )
    lotte.refresh_from_db()
    assert lotte.phase == "nieuw"
    screenshot(page, "board-pending", DESKTOP)

    engine_drain("production", budget_s=30)
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", mutation.error

    # The card polls its own state and settles in the new column.
    expect(card).not_to_contain_text("wacht op Airtable", timeout=10_000)
    expect(_column(page, "matchen").locator(f"#card-{lotte.pk}")).to_have_count(1)
    expect(card.locator("select[name=phase]")).to_have_value("matchen")
    (record,) = airtable.records("Kandidaten")
    assert record["id"] == lotte.record_id and record["fields"]["Fase"] == "matchen"
    page.reload()
    expect(_column(page, "matchen").locator(f"#card-{lotte.pk}")).to_have_count(1)
    watcher.assert_clean()
    context.close()


def test_on_a_phone_the_phase_menu_moves_a_card_and_a_failure_sends_it_back(
    browser, live_server, airtable, region
):
    lotte = _create_through_the_engine(region)
    staff_user("coordinator", group=COORDINATOR, regions=[region])
    context, page, watcher = open_page(browser, live_server, PHONE)
    log_in(page, "coordinator")
    page.goto("/admin/board/")
    card = _card(page, lotte)

    # Keyboard only: focus the phase menu, choose, press the Move button.
    card.locator("select[name=phase]").focus()
    card.locator("select[name=phase]").select_option("oriënteren")
    page.keyboard.press("Tab")
    expect(card.locator("button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(card).to_contain_text("wacht op Airtable")
    expect(_column(page, "oriënteren").locator(f"#card-{lotte.pk}")).to_have_count(1)
    screenshot(page, "board-phone-pending", PHONE)

    # Airtable refuses it: the card returns to the phase Airtable holds, saying why.
    mutation = Mutation.objects.get(status="queued")
    Mutation.objects.filter(pk=mutation.pk).update(
        status="failed",
        error={"code": "INVALID_MULTIPLE_CHOICE_OPTIONS", "message": "Unknown option"},
    )
    Mutation.objects.filter(pk=mutation.pk).update(finished_at=mutation.created_at)
    expect(card).to_contain_text("mislukt", timeout=10_000)
    expect(card).to_contain_text("Unknown option")
    expect(_column(page, "nieuw").locator(f"#card-{lotte.pk}")).to_have_count(1)
    expect(card.locator("select[name=phase]")).to_have_value("nieuw")
    screenshot(page, "board-phone-failed", PHONE)
    watcher.assert_clean()
    context.close()
