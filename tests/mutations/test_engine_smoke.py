from __future__ import annotations

import pytest

from candidates.models import Candidate
from mutations.models import Mutation

pytestmark = pytest.mark.django_db

ANNA = {
    "name": "Anna de Vries",
    "email": "Anna@Example.nl",
    "privacyConsent": True,
    "phone": "06 12345678",
    "phase": "nieuw",
    "sectors": ["Primair onderwijs"],
}


def test_create_reaches_airtable_and_mirror(region_client, airtable, run_engine):
    response = region_client.post("/api/v2/candidates", {"candidates": [ANNA]}, format="json")
    assert response.status_code == 202, response.content
    run_engine()
    mutation = Mutation.objects.get()
    assert mutation.status == "succeeded", (mutation.error, mutation.state)
    records = airtable.records("Kandidaten")
    assert len(records) == 1
    candidate = Candidate.objects.get()
    assert candidate.email == "anna@example.nl"
    assert mutation.result["recordIds"] == [candidate.record_id]
