"""Finding 10: the 202 a candidate session gets for its PATCH links to a mutation the session
can read; it cannot read any other mutation, and keys see theirs as before."""

from __future__ import annotations

import pytest

from mutations.models import Mutation

from .conftest import ADA, BOB

pytestmark = pytest.mark.django_db


def _withdraw(client, record_id: str):
    response = client.patch(
        f"/api/v2/candidates/{record_id}", {"privacyConsent": False}, format="json"
    )
    assert response.status_code == 202, response.content
    return response


def test_a_session_follows_the_link_of_its_own_patch(people, log_in):
    client, _token = log_in(ADA)
    accepted = _withdraw(client, people.ada_amsterdam.record_id)
    link = accepted.json()["data"]["links"]["self"]
    assert accepted["Location"] == link
    response = client.get(link)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["mutationId"] == accepted.json()["data"]["mutationId"]
    assert data["operation"] == "candidate.archive"
    assert data["status"] == "queued"
    assert data["targetIds"] == [people.ada_amsterdam.record_id]
    # Both mutations of the withdrawal (update, then archive) are the session's.
    for mutation in Mutation.objects.all():
        assert client.get(f"/api/v2/mutations/{mutation.uuid}").status_code == 200


def test_a_session_cannot_read_other_mutations(people, log_in, region_client, region):
    ada, _ = log_in(ADA)
    bob, _ = log_in(BOB)
    ada_mutation = _withdraw(ada, people.ada_utrecht.record_id).json()["data"]["mutationId"]
    assert bob.get(f"/api/v2/mutations/{ada_mutation}").status_code == 404
    by_key = region_client.patch(
        f"/api/v2/candidates/{people.ada_utrecht.record_id}", {"city": "Zeist"}, format="json"
    ).json()["data"]["mutationId"]
    missing = ada.get(f"/api/v2/mutations/{by_key}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    # The region key still reads every mutation of its region, the session's included.
    assert region_client.get(f"/api/v2/mutations/{ada_mutation}").status_code == 200
    assert ada.get("/api/v2/mutations").status_code == 401  # the list stays key-only
