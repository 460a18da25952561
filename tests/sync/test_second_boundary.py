"""Airtable's version stamps are whole seconds (the emulator's too): an edit made later within
the very second the watermark points at carries a stamp equal to the watermark. The overlap
must still list it (issue 18)."""

from __future__ import annotations

import pytest

from airtable.emulator.ids import format_timestamp
from airtable.models import SyncState
from candidates.models import Candidate
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


def test_an_edit_stamped_in_the_watermarks_second_is_not_missed(airtable, staff, sync):
    RegionFactory(code="utrecht")
    first = staff.create("Kandidaten", {"Naam": "Anna", "Regio": "utrecht"})
    second = staff.create("Kandidaten", {"Naam": "Bram", "Regio": "utrecht"})
    sync()
    watermark = SyncState.objects.get(table="Kandidaten").watermark
    staff.update("Kandidaten", second["id"], {"Fase": "matchen"})
    # Pin the edit's stamp to the watermark's own second, as a fast staff edit gets.
    store = airtable.emulator.store
    with store.lock:
        table = store._resolve_table(store._require_base(airtable.base_id), "Kandidaten")
        record = table["records"][second["id"]]
        record["modified"] = dict.fromkeys(record["modified"], format_timestamp(watermark))

    result = sync()

    assert result.status == "succeeded" and result.records_changed == 1
    assert Candidate.objects.get(record_id=second["id"]).phase == "matchen"
    assert Candidate.objects.get(record_id=first["id"]).phase == ""
