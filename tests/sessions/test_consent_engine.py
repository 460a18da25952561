"""Withdrawing consent end to end: the session's PATCH runs through the Mutation Engine against
the Airtable emulator, the mirror follows, and the region hears about it through webhooks."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from candidates.models import Candidate
from mutations.models import Mutation
from tests.factories import candidate_body
from webhooks.models import Delivery
from webhooks.services import subscription_create

from .conftest import code_from

pytestmark = pytest.mark.django_db

ANNA = candidate_body(email="Anna@Example.nl")


def test_withdrawing_consent_archives_through_the_engine_and_tells_the_region(
    region,
    region_client,
    anon_client,
    request_code,
    airtable,
    run_engine,
):
    subscription = subscription_create(
        region=region,
        environment="production",
        url="http://127.0.0.1:9/events",
        events=["candidate.updated", "candidate.archived"],
    )
    response = region_client.post("/api/v2/candidates", {"candidates": [ANNA]}, format="json")
    assert response.status_code == 202
    run_engine()
    record_id = Candidate.objects.get().record_id

    request_code("anna@example.nl")
    token = anon_client.post(
        "/api/v2/auth/session",
        {"email": "anna@example.nl", "code": code_from(mail.outbox[-1])},
        format="json",
    ).json()["data"]["token"]
    session = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = session.patch(
        f"/api/v2/candidates/{record_id}", {"privacyConsent": False}, format="json"
    )
    assert response.status_code == 202
    run_engine()

    assert [(m.operation, m.status) for m in Mutation.objects.order_by("sequence")] == [
        ("candidate.create", "succeeded"),
        ("candidate.update", "succeeded"),
        ("candidate.archive", "succeeded"),
    ]
    candidate = Candidate.objects.get()
    assert (candidate.privacy_consent, candidate.archived) == (False, True)
    [record] = airtable.records("Kandidaten")
    assert record["fields"].get("Privacy consent") in (None, False)
    assert record["fields"]["Gearchiveerd"] is True
    events = [
        (d.event, d.payload["data"]["candidateId"], d.payload["data"].get("changedFields"))
        for d in Delivery.objects.filter(subscription=subscription).order_by("created_at")
    ]
    assert ("candidate.updated", record_id, ["privacyConsent"]) in events
    assert ("candidate.archived", record_id, ["archived"]) in events
