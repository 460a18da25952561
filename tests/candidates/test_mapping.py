"""The one API ⇄ Airtable translation: every kind survives API → columns → mirror."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from candidates.factories import airtable_record
from candidates.fields import CANDIDATE_FIELDS, INTERACTION_FIELDS, Kind
from candidates.mapping import (
    CANDIDATE_ATTRIBUTES,
    candidate_from_airtable,
    candidate_to_airtable,
    interaction_from_airtable,
    interaction_to_airtable,
)
from candidates.models import Candidate, Interaction

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "name": "Sanne Jansen",
    "email": "sanne@example.com",
    "phone": "+31612345678",
    "privacyConsent": True,
    "phase": "voorbereiden",
    "sectors": ["Voortgezet onderwijs", "Praktijkonderwijs"],
    "roles": ["Instructeur (mbo)"],
    "qualifications": ["PDG"],
    "priorEducation": "hbo master",
    "linkedin": "https://www.linkedin.com/in/sanne",
    "dateOfBirth": "1988-11-02",
    "motivation": "Wiskunde is leuk.",
    "notes": "Heeft een rijbewijs.",
    "exitReason": "Verhuisd.",
    "address": "Vredenburg 40",
    "city": "Utrecht",
    "postalCode": "3511 BD",
    "source": "LinkedIn",
    "externalId": "CRM-7",
    "customFields": {
        "shoeSize": 41.5,
        "hasCar": True,
        "startDate": "2025-08-25",
        "favouriteSubject": "Geschiedenis",
        "languages": ["Engels"],
        "nickname": "San",
    },
    "interactions": [{"type": "Anders", "performedAt": "2025-01-01T10:00:00Z"}],
    "curriculumVitae": [{"url": "https://files.example.com/cv.pdf"}],
}

COLUMNS = {
    "Naam": "Sanne Jansen",
    "E-mail": "sanne@example.com",
    "Telefoon": "+31612345678",
    "Privacy consent": True,
    "Fase": "voorbereiden",
    "Sector": ["Voortgezet onderwijs", "Praktijkonderwijs"],
    "Functie": ["Instructeur (mbo)"],
    "Kwalificatie": ["PDG"],
    "Vooropleiding": "hbo master",
    "LinkedIn": "https://www.linkedin.com/in/sanne",
    "Geboortedatum": "1988-11-02",
    "Motivatie": "Wiskunde is leuk.",
    "Notities": "Heeft een rijbewijs.",
    "Reden van uitstroom": "Verhuisd.",
    "Adres": "Vredenburg 40",
    "Plaats": "Utrecht",
    "Postcode": "3511 BD",
    "Bron": "LinkedIn",
    "Extern ID": "CRM-7",
    "Utrecht: Schoenmaat": 41.5,
    "Utrecht: Heeft auto": True,
    "Utrecht: Startdatum": "2025-08-25",
    "Utrecht: Lievelingsvak": "Geschiedenis",
    "Utrecht: Talen": ["Engels"],
    "Utrecht: Roepnaam": "San",
}


def test_candidate_payload_to_columns(custom_fields):
    assert candidate_to_airtable(PAYLOAD, custom_fields=custom_fields) == COLUMNS


def test_every_writable_candidate_field_has_a_column_in_the_fixture():
    writable = [f for f in CANDIDATE_FIELDS if f.writable]
    assert {f.column for f in writable} == {c for c in COLUMNS if not c.startswith("Utrecht")}


def test_null_clears_with_airtables_empty_value_per_kind(custom_fields):
    cleared = {
        name: None
        for name in PAYLOAD
        if name not in {"customFields", "interactions", "curriculumVitae"}
    }
    cleared["customFields"] = {key: None for key in PAYLOAD["customFields"]}
    columns = candidate_to_airtable(cleared, custom_fields=custom_fields)
    assert columns == {
        column: ([] if isinstance(value, list) else False if isinstance(value, bool) else None)
        for column, value in COLUMNS.items()
    }


def test_archive_flag_maps_and_unknown_members_are_refused(custom_fields):
    assert candidate_to_airtable({"archived": True}, custom_fields=[]) == {"Gearchiveerd": True}
    with pytest.raises(ValueError, match="shoeSize"):
        candidate_to_airtable({"shoeSize": 40}, custom_fields=custom_fields)
    # A custom field deleted after the payload was accepted is dropped, not sent.
    assert candidate_to_airtable({"customFields": {"gone": 1}}, custom_fields=custom_fields) == {}


def test_round_trip_api_to_columns_to_mirror(region, custom_fields):
    columns = candidate_to_airtable(PAYLOAD, custom_fields=custom_fields)
    columns["CV"] = [
        {
            "id": "attAAAAAAAAAAAAAA",
            "url": "https://dl.example.com/cv.pdf",
            "filename": "cv.pdf",
            "size": 100,
            "type": "application/pdf",
        }
    ]
    record = airtable_record(
        columns,
        record_id="recRoundTrip00001",
        region_code="utrecht",
        created="2025-02-01T08:00:00.000Z",
        modified="2025-02-03T08:00:00.000Z",
    )
    values = candidate_from_airtable(
        record, custom_fields_by_column={cf.airtable_column: cf for cf in custom_fields}
    )
    expected = {
        "record_id": "recRoundTrip00001",
        "region_code": "utrecht",
        "airtable_created_at": datetime(2025, 2, 1, 8, tzinfo=UTC),
        "airtable_modified_at": datetime(2025, 2, 3, 8, tzinfo=UTC),
        "mutation_key": "",
        "phone_digits": "31612345678",
        "archived": False,
        "custom_fields": PAYLOAD["customFields"],
        "attachments": [
            {
                "attachment_id": "attAAAAAAAAAAAAAA",
                "field": "curriculumVitae",
                "filename": "cv.pdf",
                "content_type": "application/pdf",
                "size": 100,
                "url": "https://dl.example.com/cv.pdf",
                "position": 0,
            }
        ],
        **{
            CANDIDATE_ATTRIBUTES[name]: value
            for name, value in PAYLOAD.items()
            if name in CANDIDATE_ATTRIBUTES
        },
        "date_of_birth": date(1988, 11, 2),
    }
    assert values == expected
    # Every mirror value is a real model column.
    model_fields = {f.name for f in Candidate._meta.concrete_fields}
    assert set(values) - {"region_code", "attachments"} <= model_fields


def test_absent_columns_are_empty_values(region, custom_fields):
    values = candidate_from_airtable(
        airtable_record(
            {
                "Naam": "Kees",
                "Telefoon": "06 1234 5678",
                "Postcode": "3511ab",
                "E-mail": "Kees@Example.com",
            },
            record_id="recEmpty000000001",
        ),
        custom_fields_by_column={cf.airtable_column: cf for cf in custom_fields},
    )
    assert values["email"] == "kees@example.com"
    assert values["phone"] == "+31612345678"
    assert values["phone_digits"] == "31612345678"
    assert values["postal_code"] == "3511 AB"
    assert values["sectors"] == [] and values["date_of_birth"] is None
    assert values["privacy_consent"] is False and values["city"] == ""
    assert values["custom_fields"] == {
        "shoeSize": None,
        "hasCar": False,
        "startDate": None,
        "favouriteSubject": None,
        "languages": [],
        "nickname": None,
    }
    assert values["attachments"] == []
    assert values["region_code"] == ""
    # Staff typed something that is not a phone number: kept as typed, digits for lookup.
    odd = candidate_from_airtable(
        airtable_record({"Telefoon": "tel 12"}), custom_fields_by_column={}
    )
    assert (odd["phone"], odd["phone_digits"]) == ("tel 12", "12")


def test_interaction_round_trip():
    payload = {
        "type": "Adviesgesprek",
        "subject": "Loopbaan",
        "summary": "Besproken",
        "notes": "Volgt",
        "performedBy": "Bram",
        "performedAt": "2025-01-07T13:00:00Z",
        "durationMinutes": 45,
    }
    columns = interaction_to_airtable({**payload, "candidateId": "recCand0000000001"})
    assert columns == {
        "Type": "Adviesgesprek",
        "Onderwerp": "Loopbaan",
        "Samenvatting": "Besproken",
        "Notities": "Volgt",
        "Uitgevoerd door": "Bram",
        "Datum": "2025-01-07T13:00:00Z",
        "Duur (minuten)": 45,
        "Kandidaat": ["recCand0000000001"],
    }
    assert {f.column for f in INTERACTION_FIELDS} < set(columns)
    values = interaction_from_airtable(airtable_record(columns, record_id="recInter000000001"))
    assert values == {
        "record_id": "recInter000000001",
        "candidate_record_id": "recCand0000000001",
        "airtable_created_at": datetime(2025, 1, 6, 9, tzinfo=UTC),
        "airtable_modified_at": datetime(2025, 1, 6, 9, tzinfo=UTC),
        "mutation_key": "",
        "type": "Adviesgesprek",
        "subject": "Loopbaan",
        "summary": "Besproken",
        "notes": "Volgt",
        "performed_by": "Bram",
        "performed_at": datetime(2025, 1, 7, 13, tzinfo=UTC),
        "duration_minutes": 45,
    }
    assert set(values) - {"candidate_record_id"} <= {
        f.name for f in Interaction._meta.concrete_fields
    }
    cleared = interaction_to_airtable({"subject": None, "durationMinutes": None})
    assert cleared == {"Onderwerp": None, "Duur (minuten)": None}
    with pytest.raises(ValueError):
        interaction_to_airtable({"colour": "x"})


def test_every_kind_is_covered():
    kinds = {f.kind for f in (*CANDIDATE_FIELDS, *INTERACTION_FIELDS)}
    assert kinds == set(Kind) - {Kind.NUMBER}  # NUMBER is covered by the custom shoeSize
