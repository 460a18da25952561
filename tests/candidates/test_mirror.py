"""The mirror services: upsert from raw Airtable records, never older over newer, deletes."""

from __future__ import annotations

import pytest

from candidates.factories import airtable_record
from candidates.mirror import (
    candidate_mirror_apply,
    candidate_mirror_delete,
    interaction_mirror_apply,
    interaction_mirror_delete,
)
from candidates.models import Attachment, Candidate, Interaction
from config.api.environment import PRODUCTION, SANDBOX

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY = (
    "2025-01-06T09:00:00.000Z",
    "2025-01-07T09:00:00.000Z",
    "2025-01-08T09:00:00.000Z",
)


def _cv(attachment_id: str, filename: str) -> dict:
    return {
        "id": attachment_id,
        "url": f"https://dl.example.com/{filename}",
        "filename": filename,
        "size": 10,
        "type": "application/pdf",
    }


def _candidate(
    record_id: str = "recCand0000000001",
    *,
    modified: str = MONDAY,
    region_code: str = "utrecht",
    **columns,
) -> dict:
    return airtable_record(
        {"Naam": "Noor Bakker", "E-mail": "Noor@Example.com", **columns},
        record_id=record_id,
        created=MONDAY,
        modified=modified,
        region_code=region_code,
    )


def _interaction(record_id: str, candidate_id: str, *, modified: str = MONDAY, **columns) -> dict:
    return airtable_record(
        {"Type": "Telefonisch", "Datum": MONDAY, "Kandidaat": [candidate_id], **columns},
        record_id=record_id,
        modified=modified,
    )


def test_apply_creates_and_updates_rows_with_attachments(region, custom_fields):
    rows = candidate_mirror_apply(
        environment=PRODUCTION,
        records=[
            _candidate(
                CV=[_cv("attA0000000000001", "a.pdf"), _cv("attB0000000000001", "b.pdf")],
                **{"Utrecht: Schoenmaat": 40},
            ),
        ],
    )
    assert [r.record_id for r in rows] == ["recCand0000000001"]
    candidate = Candidate.objects.get()
    assert (candidate.region, candidate.environment, candidate.email) == (
        region,
        PRODUCTION,
        "noor@example.com",
    )
    assert candidate.custom_fields["shoeSize"] == 40
    assert list(candidate.attachments.values_list("attachment_id", "position")) == [
        ("attA0000000000001", 0),
        ("attB0000000000001", 1),
    ]

    candidate_mirror_apply(
        environment=PRODUCTION,
        records=[
            _candidate(
                modified=TUESDAY,
                Naam="Noor de Bakker",
                Gearchiveerd=True,
                CV=[_cv("attC0000000000001", "c.pdf")],
            ),
        ],
    )
    candidate.refresh_from_db()
    assert (candidate.name, candidate.archived) == ("Noor de Bakker", True)
    assert list(Attachment.objects.values_list("attachment_id", flat=True)) == ["attC0000000000001"]
    assert Candidate.objects.count() == 1


def test_an_older_version_never_overwrites_a_newer_one(region):
    candidate_mirror_apply(
        environment=PRODUCTION, records=[_candidate(modified=TUESDAY, Naam="Nieuw")]
    )
    rows = candidate_mirror_apply(
        environment=PRODUCTION, records=[_candidate(modified=MONDAY, Naam="Oud")]
    )
    assert [r.name for r in rows] == ["Nieuw"]
    assert Candidate.objects.get().name == "Nieuw"
    # The same version again applies (idempotent), a newer one wins.
    candidate_mirror_apply(
        environment=PRODUCTION, records=[_candidate(modified=TUESDAY, Naam="Nieuw!")]
    )
    assert Candidate.objects.get().name == "Nieuw!"
    # Within one batch the newest version of a record wins, whatever the order.
    candidate_mirror_apply(
        environment=PRODUCTION,
        records=[
            _candidate(modified=WEDNESDAY, Naam="Woensdag"),
            _candidate(modified=TUESDAY, Naam="Dinsdag"),
        ],
    )
    assert Candidate.objects.get().name == "Woensdag"


def test_unknown_regions_are_skipped(region):
    rows = candidate_mirror_apply(
        environment=PRODUCTION,
        records=[
            _candidate("recKnown000000001"),
            _candidate("recUnknown0000001", region_code="atlantis"),
            _candidate("recNoRegion000001", region_code=""),
        ],
    )
    assert [r.record_id for r in rows] == ["recKnown000000001"]
    assert list(Candidate.objects.values_list("record_id", flat=True)) == ["recKnown000000001"]


def test_environments_are_separate_mirrors(region):
    candidate_mirror_apply(environment=PRODUCTION, records=[_candidate(Naam="Productie")])
    candidate_mirror_apply(environment=SANDBOX, records=[_candidate(Naam="Zandbak")])
    assert dict(Candidate.objects.values_list("environment", "name")) == {
        PRODUCTION: "Productie",
        SANDBOX: "Zandbak",
    }


def test_interactions_follow_their_candidate(region, other_region):
    candidate_mirror_apply(environment=PRODUCTION, records=[_candidate()])
    rows = interaction_mirror_apply(
        environment=PRODUCTION,
        records=[
            _interaction("recInt0000000001", "recCand0000000001", Onderwerp="Intake"),
            _interaction("recInt0000000002", "recNotMirrored01"),
        ],
    )
    assert [r.record_id for r in rows] == ["recInt0000000001"]
    interaction = Interaction.objects.get()
    assert (interaction.region, interaction.subject) == (region, "Intake")

    stale = interaction_mirror_apply(
        environment=PRODUCTION,
        records=[
            _interaction(
                "recInt0000000001",
                "recCand0000000001",
                Onderwerp="Ouder",
                modified="2024-12-31T00:00:00.000Z",
            ),
        ],
    )
    assert [r.subject for r in stale] == ["Intake"]

    # Staff move the candidate to another region: its interactions move along.
    candidate_mirror_apply(
        environment=PRODUCTION, records=[_candidate(modified=TUESDAY, region_code="amsterdam")]
    )
    interaction.refresh_from_db()
    assert interaction.region == other_region


def test_deletes_cascade_and_repeat_harmlessly(region):
    candidate_mirror_apply(
        environment=PRODUCTION,
        records=[
            _candidate(CV=[_cv("attA0000000000001", "a.pdf")]),
            _candidate("recCand0000000002"),
        ],
    )
    interaction_mirror_apply(
        environment=PRODUCTION,
        records=[
            _interaction("recInt0000000001", "recCand0000000001"),
            _interaction("recInt0000000002", "recCand0000000002"),
        ],
    )
    assert interaction_mirror_delete(environment=PRODUCTION, record_ids=["recInt0000000002"]) == 1
    assert candidate_mirror_delete(environment=PRODUCTION, record_ids=["recCand0000000001"]) == 1
    assert candidate_mirror_delete(environment=PRODUCTION, record_ids=["recCand0000000001"]) == 0
    assert candidate_mirror_delete(environment=SANDBOX, record_ids=["recCand0000000002"]) == 0
    assert list(Candidate.objects.values_list("record_id", flat=True)) == ["recCand0000000002"]
    assert not Interaction.objects.exists() and not Attachment.objects.exists()


def test_empty_batches_do_nothing(db):
    assert candidate_mirror_apply(environment=PRODUCTION, records=[]) == []
    assert interaction_mirror_apply(environment=PRODUCTION, records=[]) == []
