"""SPEC 8: the daily wipe empties the sandbox base and mirror; production is untouched."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from candidates.models import Attachment, Candidate, Interaction
from candidates.sync import SyncError
from mutations.models import Mutation
from tests.clock import next_whole_second
from tests.factories import create_body

pytestmark = pytest.mark.django_db


def _fill(staff, environment: str, count: int) -> list[str]:
    ids = staff.bulk_create(
        "Kandidaten",
        [{"Naam": f"{environment} {n}", "Regio": "utrecht"} for n in range(count)],
        environment=environment,
    )
    staff.bulk_create(
        "Interacties",
        [{"Type": "Telefonisch", "Kandidaat": [record_id]} for record_id in ids[:3]],
        environment=environment,
    )
    # The wipe spares records of its own first second (whole-second createdTime stamps).
    next_whole_second()
    return ids


def test_the_wipe_empties_the_sandbox_base_and_mirror_only(
    region, region_client, staff, sync, run_engine, airtable
):
    _fill(staff, "sandbox", 25)
    _fill(staff, "production", 4)
    sandbox_post = region_client.post(
        "/api/sandbox/candidates",
        create_body(),
        format="json",
    )
    assert sandbox_post.status_code == 202
    run_engine("sandbox")
    sync(environment="production")
    sync(environment="sandbox")
    assert Candidate.objects.filter(environment="sandbox").count() == 26
    next_whole_second()  # the wipe spares records of its own first second
    airtable.emulator.clear_log()

    result = sync("wipe")

    assert result.status == "succeeded", result.error
    assert airtable.records("Kandidaten", "sandbox") == []
    assert airtable.records("Interacties", "sandbox") == []
    assert len(airtable.records("Kandidaten", "production")) == 4
    assert len(airtable.records("Interacties", "production")) == 3
    assert not Candidate.objects.filter(environment="sandbox").exists()
    assert not Interaction.objects.filter(environment="sandbox").exists()
    assert Candidate.objects.filter(environment="production").count() == 4
    assert Interaction.objects.filter(environment="production").count() == 3
    assert not Attachment.objects.filter(candidate__environment="sandbox").exists()
    # The mutation log is the audit trail: kept.
    assert Mutation.objects.filter(environment="sandbox").count() == 1
    log = airtable.emulator.log_summary(airtable.base_ids["sandbox"])
    assert log["max_batch_size"] == 10  # deletes in batches of 10
    assert log["by_method"]["DELETE"] == 3 + 1  # 26 candidates, 3 interactions
    assert airtable.emulator.log_summary(airtable.base_id).get("total_requests", 0) == 0
    assert result.records_deleted == 29


def test_records_created_while_the_wipe_runs_survive(region, staff, sync, monkeypatch):
    from airtable.gateway import AirtableGateway

    _fill(staff, "sandbox", 3)
    real = AirtableGateway.list_records
    late = []

    def create_during_the_wipe(self, table, **kwargs):
        if not late:
            late.append(staff.create("Kandidaten", {"Naam": "Nieuw"}, environment="sandbox"))
        return real(self, table, **kwargs)

    monkeypatch.setattr(AirtableGateway, "list_records", create_during_the_wipe)
    sync("wipe")

    assert [r["id"] for r in staff.stack.records("Kandidaten", "sandbox")] == [late[0]["id"]]


def test_the_wipe_refuses_when_the_sandbox_base_is_production(airtable, settings, sync):
    settings.AIRTABLE_SANDBOX_BASE_ID = settings.AIRTABLE_BASE_ID

    with pytest.raises(SyncError, match="production base"):
        sync("wipe")


def test_the_command_asks_unless_told_yes(region, staff, airtable, capsys, monkeypatch):
    _fill(staff, "sandbox", 2)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--yes"):
        call_command("wipe_sandbox", "--no-progress")
    assert len(airtable.records("Kandidaten", "sandbox")) == 2

    call_command("wipe_sandbox", "--yes", "--no-progress")

    assert "wipe of sandbox" in capsys.readouterr().out
    assert airtable.records("Kandidaten", "sandbox") == []
