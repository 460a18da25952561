"""SPEC 10: the pipeline board's endpoints — scoped like every admin page, moves queued through
the candidate write plan, bad input answered on the card or with a message, never a 500.
The drag, the phase menu and the engine round trip run in a browser in tests/browser/."""

from __future__ import annotations

import pytest

from candidates.factories import CandidateFactory
from mutations.models import Mutation

from .support import messages_of

pytestmark = pytest.mark.django_db

BOARD = "/admin/board/"


def _move(candidate) -> str:
    return f"{BOARD}{candidate.pk}/move/"


def test_the_board_shows_a_column_per_phase_and_only_the_users_region(
    coordinator_client, own_candidate, foreign_candidate, region
):
    CandidateFactory(region=region, name="Archived Anna", archived=True)
    CandidateFactory(region=region, name="Sandbox Sam", environment="sandbox")
    page = coordinator_client.get(BOARD)
    assert page.status_code == 200
    assert [c["phase"] for c in page.context["columns"]][:7] == [
        "nieuw",
        "matchen",
        "oriënteren",
        "voorbereiden",
        "in opleiding",
        "werkzaam",
        "uitgestroomd",
    ]
    html = page.content.decode()
    assert "Lotte Visser" in html
    for hidden in ("Bram de Groot", "Archived Anna", "Sandbox Sam"):
        assert hidden not in html
    assert (
        "Sandbox Sam" in coordinator_client.get(BOARD, {"environment": "sandbox"}).content.decode()
    )
    # Another region's id in the URL falls back to the user's own region.
    other = coordinator_client.get(BOARD, {"region": str(foreign_candidate.region_id)})
    assert other.context["region"] == region


def test_a_move_queues_a_candidate_update_through_the_write_plan(coordinator_client, own_candidate):
    response = coordinator_client.post(
        _move(own_candidate), {"phase": "matchen"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    mutation = Mutation.objects.get()
    assert (mutation.operation, mutation.payload, mutation.target_ids, mutation.status) == (
        "candidate.update",
        {"fields": {"phase": "matchen"}},
        [own_candidate.record_id],
        "queued",
    )
    assert f"candidate:production:{own_candidate.record_id}" in mutation.ordering_keys
    html = response.content.decode()
    assert 'data-column="matchen"' in html and "waiting for Airtable" in html
    own_candidate.refresh_from_db()
    assert own_candidate.phase == "nieuw"  # the mirror changes once Airtable confirms
    card = coordinator_client.get(f"{BOARD}{own_candidate.pk}/card/")
    assert 'data-column="matchen"' in card.content.decode()


def test_a_failed_move_sends_the_card_back_with_the_reason(coordinator_client, own_candidate):
    coordinator_client.post(_move(own_candidate), {"phase": "matchen"}, headers={"HX-Request": "1"})
    mutation = Mutation.objects.get()
    Mutation.objects.filter(pk=mutation.pk).update(
        status="failed",
        finished_at=mutation.created_at,
        error={"code": "INVALID_MULTIPLE_CHOICE_OPTIONS", "message": "Unknown option"},
    )
    html = coordinator_client.get(f"{BOARD}{own_candidate.pk}/card/").content.decode()
    assert 'data-column="nieuw"' in html
    assert "Moving to “matchen” failed: Unknown option (INVALID_MULTIPLE_CHOICE_OPTIONS)" in html


def test_an_unknown_phase_is_refused_on_the_card_and_nothing_is_queued(
    coordinator_client, own_candidate
):
    response = coordinator_client.post(
        _move(own_candidate), {"phase": "klaar"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Not moved: Must be one of:" in response.content.decode()
    assert not Mutation.objects.exists()


def test_without_javascript_a_move_redirects_back_with_a_message(coordinator_client, own_candidate):
    response = coordinator_client.post(_move(own_candidate), {"phase": "matchen"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(BOARD)
    assert "Lotte Visser is being moved to “matchen”" in messages_of(response)[0]
    same = coordinator_client.post(_move(own_candidate), {"phase": "nieuw"}, follow=True)
    assert messages_of(same) == ["Nothing changed, so nothing was queued."]
    assert Mutation.objects.count() == 1


def test_foreign_or_missing_candidates_are_404_and_get_is_405(
    coordinator_client, own_candidate, foreign_candidate
):
    assert (
        coordinator_client.post(_move(foreign_candidate), {"phase": "matchen"}).status_code == 404
    )
    assert coordinator_client.get(f"{BOARD}{foreign_candidate.pk}/card/").status_code == 404
    assert coordinator_client.post(f"{BOARD}999999/move/", {"phase": "matchen"}).status_code == 404
    assert coordinator_client.get(_move(own_candidate)).status_code == 405
    assert not Mutation.objects.exists()


def test_staff_without_candidate_permissions_cannot_use_the_board(client, own_candidate):
    from .support import client_for, staff_user

    nobody = client_for(staff_user("nobody", group=None, regions=[own_candidate.region]))
    assert nobody.get(BOARD).status_code == 403
    assert nobody.post(_move(own_candidate), {"phase": "matchen"}).status_code == 403
    assert not Mutation.objects.exists()
