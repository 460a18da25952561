"""The sync stops with a clear message when a table is gone, instead of reading an empty or
missing table as "every record was deleted" (issue 18)."""

from __future__ import annotations

import pytest

from candidates.models import Candidate
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [403, 404])
def test_a_renamed_table_fails_the_full_sync_and_keeps_the_mirror(airtable, staff, sync, status):
    RegionFactory(code="noord")
    staff.create("Kandidaten", {"Naam": "Ada", "E-mail": "ada@example.nl", "Regio": "noord"})
    assert sync("full").status == "succeeded"
    store = airtable.emulator.store
    with store.lock:
        store._resolve_table(store._require_base(airtable.base_id), "Kandidaten")["name"] = "X"
    airtable.emulator.set_config(unknown_table_status=status)

    result = sync("full")

    assert result.status == "failed"
    assert f'table "Kandidaten" in base {airtable.base_id}' in result.error
    assert Candidate.objects.count() == 1
