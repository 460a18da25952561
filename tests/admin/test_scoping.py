"""SPEC 10: staff see only their regions' data — in lists, search, filters, autocomplete,
exports, actions and detail pages, URL manipulation included. Superusers see everything.

A foreign object is answered exactly like a missing one: a 404 that names nothing.
"""

from __future__ import annotations

import csv
import io

import pytest

from candidates.models import Interaction
from mutations.models import Mutation
from regions.models import ApiKey, Region, StaffMembership
from regions.selectors import api_key_authenticate
from regions.services import api_key_create
from tests.factories import RegionFactory
from webhooks.models import Delivery, Subscription

from .support import COORDINATOR, PLATFORM_STAFF, client_for, messages_of, staff_user

pytestmark = pytest.mark.django_db

CANDIDATES = "/admin/candidates/candidate/"
MUTATIONS = "/admin/mutations/mutation/"
KEYS = "/admin/regions/apikey/"
REGIONS = "/admin/regions/region/"
AUTOCOMPLETE = "/admin/autocomplete/"


def _rows(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _assert_not_found(response, *secrets: str) -> None:
    assert response.status_code == 404
    assert b"doesn\xe2\x80\x99t exist" in response.content
    for secret in secrets:
        assert secret.encode() not in response.content


# --- candidates ----------------------------------------------------------------------------------


def test_coordinator_lists_and_searches_only_their_candidates(
    coordinator_client, own_candidate, foreign_candidate
):
    assert _rows(coordinator_client.get(CANDIDATES)) == [own_candidate]
    assert _rows(coordinator_client.get(CANDIDATES, {"q": "06-12345678"})) == [own_candidate]
    for term in ("bram@example.org", "06-87654321", foreign_candidate.record_id, "Bram"):
        assert _rows(coordinator_client.get(CANDIDATES, {"q": term})) == []
    # A filter value typed into the URL cannot widen the scope.
    widened = coordinator_client.get(
        CANDIDATES, {"region__id__exact": str(foreign_candidate.region_id)}
    )
    assert foreign_candidate not in _rows(widened)


def test_region_filter_offers_only_the_users_regions(
    coordinator, coordinator_client, region, other_region, own_candidate, foreign_candidate
):
    third = RegionFactory(code="zeeland", name="Onderwijsregio Zeeland")
    StaffMembership.objects.create(user=coordinator, region=third)
    page = coordinator_client.get(CANDIDATES)
    (region_filter,) = [f for f in page.context["cl"].filter_specs if f.title == "region"]
    offered = {str(pk) for pk, _name in region_filter.lookup_choices}
    assert offered == {str(region.pk), str(third.pk)}
    assert other_region.name.encode() not in page.content


def test_foreign_candidate_pages_are_404_like_missing_ones(
    coordinator_client, platform_client, own_candidate, foreign_candidate
):
    base = f"{CANDIDATES}{foreign_candidate.pk}"
    secrets = ("Bram", "bram@example.org", "Geheim gesprek")
    _assert_not_found(coordinator_client.get(f"{base}/change/"), *secrets)
    _assert_not_found(coordinator_client.get(f"{base}/history/"), *secrets)
    _assert_not_found(coordinator_client.get(f"{CANDIDATES}999999999/change/"))
    _assert_not_found(coordinator_client.post(f"{base}/change/", {"phase": "werkzaam"}))
    _assert_not_found(coordinator_client.post(f"{base}/archive/"))
    _assert_not_found(platform_client.get(f"{base}/delete/"), *secrets)
    _assert_not_found(platform_client.post(f"{base}/delete/", {"post": "yes"}))
    # Coordinators may not delete at all.
    assert coordinator_client.get(f"{CANDIDATES}{own_candidate.pk}/delete/").status_code == 403
    assert Mutation.objects.count() == 0
    assert coordinator_client.get(f"{CANDIDATES}{own_candidate.pk}/change/").status_code == 200


@pytest.mark.parametrize("action", ["archive", "unarchive", "export_csv"])
def test_actions_on_foreign_candidates_are_refused(
    coordinator_client, own_candidate, foreign_candidate, action
):
    for selected in ([foreign_candidate.pk], [own_candidate.pk, foreign_candidate.pk]):
        response = coordinator_client.post(
            CANDIDATES, {"action": action, "_selected_action": selected}
        )
        assert response.status_code == 403
    assert Mutation.objects.count() == 0


def test_export_holds_only_the_selected_own_candidates(
    coordinator_client, region, own_candidate, foreign_candidate
):
    response = coordinator_client.post(
        CANDIDATES, {"action": "export_csv", "_selected_action": [own_candidate.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["id", "name", "email", "phone"]
    assert [r[:6] for r in rows[1:]] == [
        [
            own_candidate.record_id,
            "Lotte Visser",
            "lotte@example.com",
            "+31612345678",
            "nieuw",
            region.code,
        ]
    ]
    # "Select all" exports what the user can see, nothing more.
    everything = coordinator_client.post(
        CANDIDATES,
        {"action": "export_csv", "_selected_action": [own_candidate.pk], "select_across": "1"},
    )
    assert b"bram@example.org" not in everything.content


def test_autocomplete_offers_only_the_users_rows(
    coordinator_client, region, own_candidate, foreign_candidate, own_mutation, foreign_mutation
):
    def texts(app_label: str, model_name: str, field_name: str, term: str = "") -> list[str]:
        response = coordinator_client.get(
            AUTOCOMPLETE,
            {
                "app_label": app_label,
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
            },
        )
        assert response.status_code == 200
        return [r["text"] for r in response.json()["results"]]

    assert texts("candidates", "interaction", "candidate") == [str(own_candidate)]
    assert texts("candidates", "interaction", "candidate", "Bram") == []
    assert texts("regions", "apikey", "region") == [str(region)]
    assert texts("webhooks", "delivery", "mutation") == [str(own_mutation)]
    assert texts("webhooks", "delivery", "mutation", str(foreign_mutation.uuid)) == []


def test_interactions_and_attachments_are_scoped(
    coordinator_client, own_candidate, foreign_candidate
):
    interactions = _rows(coordinator_client.get("/admin/candidates/interaction/"))
    assert [i.candidate_id for i in interactions] == [own_candidate.pk]
    attachments = _rows(coordinator_client.get("/admin/candidates/attachment/"))
    assert [a.filename for a in attachments] == ["cv-lotte.pdf"]
    foreign = Interaction.objects.get(candidate=foreign_candidate)
    _assert_not_found(
        coordinator_client.get(f"/admin/candidates/interaction/{foreign.pk}/change/"), "Geheim"
    )
    foreign_file = foreign_candidate.attachments.get()
    _assert_not_found(
        coordinator_client.get(f"/admin/candidates/attachment/{foreign_file.pk}/change/")
    )


# --- mutations -----------------------------------------------------------------------------------


def test_coordinator_sees_own_mutations_read_only(
    coordinator_client, own_mutation, foreign_mutation
):
    assert _rows(coordinator_client.get(MUTATIONS)) == [own_mutation]
    assert _rows(coordinator_client.get(MUTATIONS, {"q": str(foreign_mutation.uuid)})) == []
    assert coordinator_client.get(f"{MUTATIONS}{own_mutation.pk}/change/").status_code == 200
    _assert_not_found(
        coordinator_client.get(f"{MUTATIONS}{foreign_mutation.pk}/change/"), "recForeign"
    )
    # Retry and cancel need the change permission, which coordinators do not have.
    page = coordinator_client.get(MUTATIONS)
    assert b'value="cancel"' not in page.content and b'value="retry"' not in page.content
    coordinator_client.post(MUTATIONS, {"action": "cancel", "_selected_action": [own_mutation.pk]})
    own_mutation.refresh_from_db()
    assert own_mutation.status == "queued"


def test_platform_staff_act_only_on_their_regions_mutations(
    platform_client, own_mutation, foreign_mutation
):
    refused = platform_client.post(
        MUTATIONS, {"action": "cancel", "_selected_action": [foreign_mutation.pk]}
    )
    assert refused.status_code == 403
    foreign_mutation.refresh_from_db()
    assert foreign_mutation.status == "queued"
    done = platform_client.post(
        MUTATIONS, {"action": "cancel", "_selected_action": [own_mutation.pk]}
    )
    assert done.status_code == 302
    own_mutation.refresh_from_db()
    assert own_mutation.status == "cancelled"


# --- keys and regions ----------------------------------------------------------------------------


def test_coordinators_see_no_keys(coordinator_client, own_key, foreign_key):
    assert coordinator_client.get(KEYS).status_code == 403
    assert coordinator_client.get(f"{KEYS}{own_key.pk}/change/").status_code == 403
    assert coordinator_client.get(f"{KEYS}{foreign_key.pk}/change/").status_code == 403


def test_platform_staff_see_and_revoke_only_their_regions_keys(
    platform_client, region, own_key, foreign_key
):
    admin_key = api_key_create(region=None, name="ops master key", scope="admin").api_key
    assert _rows(platform_client.get(KEYS)) == [own_key]
    assert _rows(platform_client.get(KEYS, {"q": foreign_key.prefix})) == []
    _assert_not_found(platform_client.get(f"{KEYS}{foreign_key.pk}/change/"), "foreign website")
    _assert_not_found(platform_client.get(f"{KEYS}{admin_key.pk}/change/"), "ops master key")
    refused = platform_client.post(
        KEYS, {"action": "revoke", "_selected_action": [str(foreign_key.pk)]}
    )
    assert refused.status_code == 403
    foreign_key.refresh_from_db()
    assert foreign_key.revoked_at is None


def test_platform_staff_create_keys_only_for_their_regions(platform_client, region, other_region):
    form = platform_client.get(f"{KEYS}add/").context["adminform"].form
    assert list(form.fields["region"].queryset) == [region]
    assert [value for value, _label in form.fields["scope"].choices] == ["region"]
    for data in (
        {"region": str(other_region.pk), "name": "sneaky", "scope": "region"},
        {"region": str(region.pk), "name": "sneaky", "scope": "admin"},
        {"region": "", "name": "sneaky", "scope": "region"},
    ):
        response = platform_client.post(f"{KEYS}add/", data)
        assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not ApiKey.objects.filter(name="sneaky").exists()
    created = platform_client.post(
        f"{KEYS}add/", {"region": str(region.pk), "name": "intake", "scope": "region"}, follow=True
    )
    (shown,) = [m for m in messages_of(created) if "shown only this once" in m]
    assert api_key_authenticate(shown.rsplit(" ", 1)[-1]).name == "intake"


def test_coordinator_sees_only_their_region(coordinator_client, region, other_region):
    assert _rows(coordinator_client.get(REGIONS)) == [region]
    _assert_not_found(coordinator_client.get(f"{REGIONS}{other_region.pk}/change/"), "Amsterdam")
    assert coordinator_client.get(f"{REGIONS}{region.pk}/change/").status_code == 200
    # View only: no edits, no secret rotation.
    assert coordinator_client.post(f"{REGIONS}{region.pk}/change/", {}).status_code == 403
    secret = region.signing_secret
    coordinator_client.post(
        REGIONS, {"action": "rotate_signing_secret", "_selected_action": [str(region.pk)]}
    )
    region.refresh_from_db()
    assert region.signing_secret == secret


def test_a_region_created_by_platform_staff_stays_visible_to_them(platform_client, platform_staff):
    response = platform_client.post(
        f"{REGIONS}add/",
        {
            "code": "drenthe",
            "name": "Onderwijsregio Drenthe",
            "contact_email": "",
            "active": "on",
            "retention_months": "24",
            "custom_fields-TOTAL_FORMS": "0",
            "custom_fields-INITIAL_FORMS": "0",
            "coverage-TOTAL_FORMS": "0",
            "coverage-INITIAL_FORMS": "0",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    drenthe = Region.objects.get(code="drenthe")
    assert StaffMembership.objects.filter(user=platform_staff, region=drenthe).exists()
    assert drenthe in _rows(platform_client.get(REGIONS))


# --- deliveries, subscriptions, sync, memberships ------------------------------------------------


def test_deliveries_and_subscriptions_are_scoped(
    coordinator_client, region, other_region, own_mutation, foreign_mutation
):
    subscriptions = {
        r.code: Subscription.objects.create(
            region=r,
            environment="production",
            url=f"https://{r.code}.example.com/hook",
            events=["candidate.updated"],
        )
        for r in (region, other_region)
    }
    deliveries = {
        m.region.code: Delivery.objects.create(
            kind="callback",
            region=m.region,
            environment="production",
            mutation=m,
            url=f"https://{m.region.code}.example.com/cb",
            payload={"mutationId": str(m.uuid)},
        )
        for m in (own_mutation, foreign_mutation)
    }
    assert _rows(coordinator_client.get("/admin/webhooks/delivery/")) == [deliveries["utrecht"]]
    assert _rows(coordinator_client.get("/admin/webhooks/subscription/")) == [
        subscriptions["utrecht"]
    ]
    _assert_not_found(
        coordinator_client.get(f"/admin/webhooks/delivery/{deliveries['amsterdam'].pk}/change/"),
        "amsterdam.example.com",
    )
    _assert_not_found(
        coordinator_client.get(
            f"/admin/webhooks/subscription/{subscriptions['amsterdam'].pk}/change/"
        ),
        "amsterdam.example.com",
    )
    # Coordinators view deliveries; resending is for platform staff.
    resend = coordinator_client.post(
        "/admin/webhooks/delivery/",
        {"action": "resend", "_selected_action": [str(deliveries["utrecht"].pk)]},
    )
    assert resend.status_code == 200  # "No action selected": not offered to them
    assert not Delivery.objects.filter(resend_of__isnull=False).exists()


def test_sync_state_and_memberships_are_not_for_coordinators(
    coordinator_client, platform_client, superuser_client
):
    assert coordinator_client.get("/admin/airtable/syncstate/").status_code == 403
    assert platform_client.get("/admin/airtable/syncstate/").status_code == 200
    for client in (coordinator_client, platform_client):
        assert client.get("/admin/regions/staffmembership/").status_code == 403
        assert client.get("/admin/auth/user/").status_code == 403
    assert superuser_client.get("/admin/regions/staffmembership/").status_code == 200


def test_superuser_sees_every_region(
    superuser_client,
    own_candidate,
    foreign_candidate,
    own_mutation,
    foreign_mutation,
    own_key,
    foreign_key,
):
    assert set(_rows(superuser_client.get(CANDIDATES))) == {own_candidate, foreign_candidate}
    assert set(_rows(superuser_client.get(MUTATIONS))) == {own_mutation, foreign_mutation}
    assert set(_rows(superuser_client.get(KEYS))) == {own_key, foreign_key}
    page = superuser_client.get(f"{CANDIDATES}{foreign_candidate.pk}/change/")
    assert page.status_code == 200 and b"Geheim gesprek" in page.content


def test_staff_without_a_region_see_nothing(region, own_candidate, own_mutation):
    loner = client_for(staff_user("loner", group=COORDINATOR))
    assert _rows(loner.get(CANDIDATES)) == []
    assert _rows(loner.get(MUTATIONS)) == []
    _assert_not_found(loner.get(f"{CANDIDATES}{own_candidate.pk}/change/"), "Lotte")
    assert loner.get("/admin/").status_code == 200


def test_memberships_are_listed_on_the_user_page(superuser_client, coordinator, region):
    page = superuser_client.get("/admin/auth/user/")
    assert region.code.encode() in page.content
    detail = superuser_client.get(f"/admin/auth/user/{coordinator.pk}/change/")
    assert detail.status_code == 200 and b"region_memberships" in detail.content


def test_platform_staff_membership_spans_only_their_regions(region, other_region):
    both = staff_user("both", group=PLATFORM_STAFF, regions=[region, other_region])
    client = client_for(both)
    assert set(_rows(client.get(REGIONS))) == {region, other_region}
