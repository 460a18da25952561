"""SPEC 10: staff edits, archiving and deletion go through the Mutation Engine.

The admin validates like PATCH /candidates/{id}, queues a mutation, says so with a link, and
never writes the mirror; the mirror changes once the engine has Airtable's answer.
"""

from __future__ import annotations

import re

import pytest

from candidates.models import Candidate
from mutations.models import Mutation
from regions.models import CustomField
from tests.factories import create_body
from webhooks.models import Delivery

from .support import change_form_data, messages_of

pytestmark = pytest.mark.django_db

CANDIDATES = "/admin/candidates/candidate/"


def _change_url(candidate: Candidate) -> str:
    return f"{CANDIDATES}{candidate.pk}/change/"


def _post_change(client, candidate: Candidate, **changes):
    page = client.get(_change_url(candidate))
    assert page.status_code == 200
    return client.post(_change_url(candidate), change_form_data(page, **changes), follow=True)


def test_changing_the_phase_queues_an_update_and_links_it(coordinator_client, own_candidate):
    response = _post_change(coordinator_client, own_candidate, phase="matchen")

    mutation = Mutation.objects.get()
    assert (mutation.operation, mutation.status, mutation.target_ids, mutation.payload) == (
        "candidate.update",
        "queued",
        [own_candidate.record_id],
        {"fields": {"phase": "matchen"}},
    )
    assert mutation.region_id == own_candidate.region_id and mutation.api_key is None
    assert response.redirect_chain == [(_change_url(own_candidate), 302)]
    (message,) = messages_of(response)
    assert f'href="/admin/mutations/mutation/{mutation.pk}/change/"' in message
    assert "Queued for Airtable" in message
    # The page still shows Airtable's value, and names the change that is waiting for it.
    own_candidate.refresh_from_db()
    assert own_candidate.phase == "nieuw"
    assert b"Update candidate" in response.content and str(mutation.uuid).encode() in (
        response.content
    )


def test_only_changed_fields_are_sent_normalised(coordinator_client, own_candidate):
    _post_change(
        coordinator_client,
        own_candidate,
        phone="06 11 22 33 44",
        postal_code="1234ab",
        sectors=["Primair onderwijs", "Hoger onderwijs"],
        notes="",
        city="",
    )
    (mutation,) = Mutation.objects.all()
    fields = mutation.payload["fields"]
    assert fields["phone"] == "+31611223344"
    assert fields["postalCode"] == "1234 AB"
    assert fields["sectors"] == ["Primair onderwijs", "Hoger onderwijs"]
    assert fields["city"] is None  # cleared
    assert "notes" not in fields  # unchanged (it was empty)
    assert "name" not in fields and "email" not in fields
    # Ordering keys cover the record and both the old and the new phone number.
    assert set(mutation.ordering_keys) >= {
        f"candidate:production:{own_candidate.record_id}",
        f"phone:{own_candidate.region_id}:production:31612345678",
        f"phone:{own_candidate.region_id}:production:31611223344",
    }


def test_invalid_values_are_form_errors_and_nothing_is_queued(coordinator_client, own_candidate):
    response = _post_change(
        coordinator_client,
        own_candidate,
        email="not-an-email",
        postal_code="12",
        name="",
        date_of_birth="2999-01-01",
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"email", "postal_code", "name", "date_of_birth"}
    assert errors["date_of_birth"] == ["Must not be in the future."]
    assert Mutation.objects.count() == 0


def test_saving_without_changes_queues_nothing(coordinator_client, own_candidate):
    response = _post_change(coordinator_client, own_candidate)
    assert Mutation.objects.count() == 0
    assert messages_of(response) == ["Nothing changed, so nothing was queued."]


def test_values_outside_the_catalogue_survive_an_unrelated_edit(coordinator_client, region):
    from candidates.factories import CandidateFactory

    odd = CandidateFactory(region=region, sectors=["Kinderopvang"], phase="nieuw")
    _post_change(coordinator_client, odd, phase="matchen")
    assert Mutation.objects.get().payload == {"fields": {"phase": "matchen"}}


def test_archive_and_unarchive_are_queued(coordinator_client, own_candidate):
    page = coordinator_client.get(_change_url(own_candidate))
    assert b"/archive/" in page.content
    response = coordinator_client.post(f"{CANDIDATES}{own_candidate.pk}/archive/", follow=True)
    assert response.redirect_chain == [(_change_url(own_candidate), 302)]
    assert Mutation.objects.get().operation == "candidate.archive"
    assert coordinator_client.get(f"{CANDIDATES}{own_candidate.pk}/archive/").status_code == 405

    Candidate.objects.filter(pk=own_candidate.pk).update(archived=True)
    coordinator_client.post(
        CANDIDATES, {"action": "unarchive", "_selected_action": [own_candidate.pk]}
    )
    assert list(Mutation.objects.order_by("sequence").values_list("operation", flat=True)) == [
        "candidate.archive",
        "candidate.unarchive",
    ]
    own_candidate.refresh_from_db()
    assert own_candidate.archived is True  # until the engine has Airtable's answer


def test_delete_is_queued_with_the_interactions(platform_client, own_candidate):
    confirm = platform_client.get(f"{CANDIDATES}{own_candidate.pk}/delete/")
    assert confirm.status_code == 200
    interaction = own_candidate.interactions.get()
    assert interaction.record_id.encode() in confirm.content and b"cv-lotte.pdf" in confirm.content
    response = platform_client.post(
        f"{CANDIDATES}{own_candidate.pk}/delete/", {"post": "yes"}, follow=True
    )
    mutation = Mutation.objects.get()
    interaction_ids = list(own_candidate.interactions.values_list("record_id", flat=True))
    assert (mutation.operation, mutation.payload) == (
        "candidate.delete",
        {"interactionIds": interaction_ids},
    )
    assert Candidate.objects.filter(pk=own_candidate.pk).exists()
    assert any(
        f"/admin/mutations/mutation/{mutation.pk}/change/" in m for m in messages_of(response)
    )
    # Bulk deletion is not offered: a deletion is confirmed candidate by candidate.
    assert b'value="delete_selected"' not in platform_client.get(CANDIDATES).content


def test_mutation_and_delivery_pages_link_each_other(superuser_client, region, own_mutation):
    delivery = Delivery.objects.create(
        kind="callback",
        region=region,
        environment="production",
        mutation=own_mutation,
        url="https://hooks.example.com/cb",
        payload={"mutationId": str(own_mutation.uuid)},
    )
    mutation_page = superuser_client.get(f"/admin/mutations/mutation/{own_mutation.pk}/change/")
    assert f'href="/admin/webhooks/delivery/{delivery.pk}/change/"'.encode() in (
        mutation_page.content
    )
    delivery_page = superuser_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert f'href="/admin/mutations/mutation/{own_mutation.pk}/change/"'.encode() in (
        delivery_page.content
    )


def test_region_page_previews_both_json_schemas(superuser_client, region, other_region):
    CustomField.objects.create(
        region=region,
        key="shoeSize",
        label="Schoenmaat",
        type="number",
        airtable_column="Utrecht: Schoenmaat",
    )
    CustomField.objects.create(
        region=other_region,
        key="secretCode",
        label="Code",
        type="string",
        airtable_column="Amsterdam: code",
    )
    page = superuser_client.get(f"/admin/regions/region/{region.pk}/change/")
    html = page.content.decode()
    previews = re.findall(r"<pre class='json-schema'[^>]*>(.*?)</pre>", html, re.S)
    assert len(previews) == 2
    create, update = previews
    assert "Candidate create payload — region utrecht" in create
    assert "Candidate update payload — region utrecht" in update
    assert all("shoeSize" in p and "secretCode" not in p for p in previews)
    assert superuser_client.get("/admin/regions/region/add/").status_code == 200


def test_an_admin_edit_reaches_airtable_and_then_the_mirror(
    region_client, airtable, run_engine, coordinator_client
):
    created = region_client.post(
        "/api/v2/candidates",
        create_body(),
        format="json",
    )
    assert created.status_code == 202, created.content
    run_engine()
    candidate = Candidate.objects.get()

    _post_change(coordinator_client, candidate, phase="voorbereiden", city="Utrecht")
    candidate.refresh_from_db()
    assert (candidate.phase, candidate.city) == ("nieuw", "")
    run_engine()

    update = Mutation.objects.get(operation="candidate.update")
    assert update.status == "succeeded", update.error
    candidate.refresh_from_db()
    assert (candidate.phase, candidate.city) == ("voorbereiden", "Utrecht")
    (record,) = airtable.records("Kandidaten")
    assert (record["fields"]["Fase"], record["fields"]["Plaats"]) == ("voorbereiden", "Utrecht")
    page = coordinator_client.get(_change_url(candidate))
    assert b"the page shows what Airtable holds" in page.content
