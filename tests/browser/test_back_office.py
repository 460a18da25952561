"""SPEC 10 in a real browser: a coordinator logs in, reads the dashboard, finds a candidate by
phone, changes the phase, sees the queued mutation, and — once the engine has talked to
Airtable (the local emulator, over HTTP) — sees the change applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from candidates.factories import CandidateFactory
from candidates.models import Candidate
from mutations.models import Mutation
from mutations.tasks import engine_drain
from regions.services import api_key_create
from tests.admin.support import COORDINATOR, PASSWORD, accept_update, staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#nav-sidebar, nav").first).to_contain_text(username)


def _create_through_the_engine(region) -> Candidate:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_create(region=region, name="website").full_key)
    lotte = {
        "name": "Lotte Visser",
        "email": "lotte@example.com",
        "phone": "+31 6 12345678",
        "privacyConsent": True,
    }
    response = client.post("/api/v2/candidates", {"candidates": [lotte]}, format="json")
    assert response.status_code == 202, response.content
    engine_drain("production", budget_s=30)
    return Candidate.objects.get(email="lotte@example.com")


def _history(region) -> None:
    """Twelve weeks of intake and a day of engine work, so the dashboard has something to draw."""
    now = timezone.now()
    for weeks_ago in range(12):
        CandidateFactory.create_batch(
            weeks_ago % 4 + 1, region=region, airtable_created_at=now - timedelta(weeks=weeks_ago)
        )
    for hours_ago in range(0, 24, 2):
        for failed in (False,) * (hours_ago % 5 + 1) + (True,) * (hours_ago % 3 == 0):
            mutation = accept_update(region, f"recHistory{hours_ago:02d}{failed:d}xxxxx"[:17])
            Mutation.objects.filter(pk=mutation.pk).update(
                status="failed" if failed else "succeeded",
                finished_at=now - timedelta(hours=hours_ago, minutes=5),
                error={"code": "INVALID_VALUE", "message": "Unknown option"} if failed else None,
            )


def test_coordinator_changes_a_phase_through_the_engine(
    new_page, airtable, artifacts, region, other_region
):
    candidate = _create_through_the_engine(region)
    _history(region)
    CandidateFactory(region=other_region, name="Bram de Groot", phone="+31612345670")
    phases = set(Candidate.objects.filter(region=region).values_list("phase", flat=True))
    staff_user("coordinator", group=COORDINATOR, regions=[region])
    page = new_page("nl-NL")
    _log_in(page, "coordinator")

    # The dashboard: Dutch, with its charts drawn (inline SVG, nothing from the network).
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("svg.bo-chart")).to_have_count(3)
    expect(page.locator("#dash-phases")).to_contain_text("Kandidaten per fase en regio")
    expect(page.locator("#dash-phases")).to_contain_text(region.name)
    expect(page.locator("#dash-phases")).not_to_contain_text(other_region.name)
    expect(page.locator("#dash-phases svg rect")).to_have_count(len(phases))
    expect(page.locator("#dash-weekly svg rect")).not_to_have_count(0)
    expect(page.locator("#dash-throughput svg rect")).not_to_have_count(0)
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # Find her by phone in national notation; the other region's candidate never shows.
    candidates = page.locator("a[href='/admin/candidates/candidate/']").first
    expect(candidates).to_contain_text("Kandidaten")
    candidates.click()
    page.fill("#searchbar", "06-12345678")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Lotte Visser")
    rows.locator("a").first.click()

    # Change the phase: the page says the change is queued and links the mutation.
    expect(page.locator("#id_phase")).to_have_value("nieuw")
    page.select_option("#id_phase", "matchen")
    page.click("[name=_save]")
    message = page.locator("#main li", has_text="In de wachtrij voor Airtable")
    expect(message).to_contain_text("In de wachtrij voor Airtable als mutatie")
    mutation = Mutation.objects.get(status="queued")
    assert mutation.payload == {"fields": {"phase": "matchen"}}
    link = message.locator("a")
    expect(link).to_have_attribute("href", f"/admin/mutations/mutation/{mutation.pk}/change/")
    expect(page.locator("#id_phase")).to_have_value("nieuw")  # Airtable has not confirmed yet
    page.screenshot(path=str(artifacts / "candidate-queued.png"), full_page=True)

    link.click()
    expect(page.locator("#content")).to_contain_text(str(mutation.uuid))
    expect(page.locator("#content")).to_contain_text("matchen")
    page.go_back()

    # The engine runs (here, in the test process) and Airtable answers; reload shows it.
    engine_drain("production", budget_s=30)
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", mutation.error
    page.reload()
    expect(page.locator("#id_phase")).to_have_value("matchen")
    expect(page.locator("#content")).to_contain_text("Niets: de pagina toont")
    (record,) = airtable.records("Kandidaten")
    assert record["id"] == candidate.record_id and record["fields"]["Fase"] == "matchen"


def test_a_foreign_candidate_url_shows_not_found(new_page, region, other_region):
    foreign = CandidateFactory(region=other_region, name="Bram de Groot")
    staff_user("coordinator", group=COORDINATOR, regions=[region])
    page = new_page("en-GB")
    _log_in(page, "coordinator")
    response = page.goto(f"/admin/candidates/candidate/{foreign.pk}/change/")
    assert response.status == 404
    expect(page.locator(".errornote")).to_contain_text("doesn’t exist")
    expect(page.locator("body")).not_to_contain_text("Bram")
