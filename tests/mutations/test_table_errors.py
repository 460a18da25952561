"""A misnamed table is configuration, never a missing record (issue 18): a delete must not be
counted as done and the mirror must keep the candidate."""

from __future__ import annotations

import pytest

from candidates.models import Candidate
from mutations.models import Mutation, MutationAttempt, MutationStatus
from tests.factories import create_body

pytestmark = pytest.mark.django_db


def _rename_table(airtable, old: str, new: str) -> None:
    """What a staff member does in Airtable's UI."""
    store = airtable.emulator.store
    with store.lock:
        store._resolve_table(store._require_base(airtable.base_id), old)["name"] = new


def _create(region_client, run_engine) -> Candidate:
    body = create_body()
    assert region_client.post("/api/v2/candidates", body, format="json").status_code == 202
    run_engine()
    return Candidate.objects.get()


@pytest.mark.parametrize("status", [403, 404])
def test_a_delete_in_a_renamed_table_is_held_not_counted_as_done(
    region_client, airtable, run_engine, status
):
    candidate = _create(region_client, run_engine)
    _rename_table(airtable, "Kandidaten", "Aanmeldingen")
    airtable.emulator.set_config(unknown_table_status=status)

    response = region_client.delete(f"/api/v2/candidates/{candidate.record_id}")
    assert response.status_code == 202
    run_engine()

    mutation = Mutation.objects.get(operation="candidate.delete")
    assert mutation.status == MutationStatus.QUEUED  # waiting for an operator, with backoff
    assert mutation.attempts == 1
    assert "candidate" not in mutation.state.get("deleted", {})
    assert Candidate.objects.filter(record_id=candidate.record_id).exists()
    attempt = MutationAttempt.objects.get(mutation=mutation)
    assert attempt.error_type == (
        "TABLE_NOT_FOUND" if status == 404 else "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    )
    assert 'table "Kandidaten"' in attempt.error_message


def test_after_the_last_attempt_it_fails_with_a_layout_error(
    region_client, airtable, run_engine, settings
):
    candidate = _create(region_client, run_engine)
    _rename_table(airtable, "Kandidaten", "Aanmeldingen")
    airtable.emulator.set_config(unknown_table_status=404)
    settings.MUTATION_MAX_ATTEMPTS = 1

    region_client.patch(
        f"/api/v2/candidates/{candidate.record_id}", {"phase": "matchen"}, format="json"
    )
    run_engine()

    mutation = Mutation.objects.get(operation="candidate.update")
    assert mutation.status == MutationStatus.FAILED
    assert mutation.error["code"] == "AIRTABLE_LAYOUT"
    assert mutation.error["airtableErrorType"] == "TABLE_NOT_FOUND"
    assert "check AIRTABLE_BASE_ID" in mutation.error["message"]
