"""SPEC 14 acceptance: a v1 create-user runs through the real engine (a worker process against
the emulator) and answers synchronously; v2 shows the same candidate."""

from __future__ import annotations

import base64
import signal
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from candidates.v1.names import record_to_v1
from mutations.models import Mutation

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

PHONE = "+31612345678"
NEW_PHONE = "+31687654321"


def _file(name: str) -> dict:
    content = base64.b64encode(f"inhoud van {name}".encode()).decode()
    return {"filename": name, "contentType": "text/plain", "base64": content}


def _full_v1_payload() -> dict:
    """Every v1 field, Dutch enum values, interacties and custom_fields."""
    return {
        "naam": "Fatima el Amrani",
        "email": "fatima@example.nl",
        "privacy_consent": True,
        "telefoon": PHONE,
        "fase": "oriënteren",
        "sector": ["Primair onderwijs", "Speciaal onderwijs"],
        "functie": ["Docent / leraar", "Leerlingenzorg"],
        "kwalificatie": ["Pabo", "Geen: gastdocentschap"],
        "vooropleiding": "hbo bachelor",
        "linkedin": "https://www.linkedin.com/in/fatima",
        "geboortedatum": "1990-04-12",
        "motivatie": "Ik wil voor de klas.",
        "adres": "Oudegracht 1",
        "plaats": "Utrecht",
        "postcode": "3511 AA",
        "notities": "Via de open dag.",
        "reden_van_uitstroom": "Nog niet van toepassing.",
        "bron": "website",
        "extern_id": "web-123",
        "cv": [_file("cv.txt")],
        "overige_bijlagen": [_file("diploma.txt")],
        "interacties": [
            {
                "soort": "Kennismakingsgesprek",
                "naam": "Eerste gesprek",
                "samenvatting": "Enthousiast.",
                "notities": "Bellen in mei.",
                "uitgevoerd_door": "Jan",
                "uitgevoerd_op": "2025-03-01T10:00:00Z",
                "duur": 45,
            }
        ],
        "custom_fields": [
            {"field_name": "shoeSize", "field_value": 39},
            {"field_name": "hasCar", "field_value": True},
            {"field_name": "startDate", "field_value": "2025-08-15"},
            {"field_name": "favouriteSubject", "field_value": "Wiskunde"},
            {"field_name": "languages", "field_value": ["Nederlands", "Arabisch"]},
            {"field_name": "nickname", "field_value": "Fa"},
        ],
    }


@pytest.fixture
def engine(custom_fields, airtable, settings) -> Iterator[None]:
    """A real engine worker process; custom_fields come first so the base has their columns."""
    settings.API_V1_WAIT_S = 60  # generous: the machine running the suite may be busy
    process = airtable.start_engine_process("--environment", "production")
    yield
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.fixture
def clients(region_key) -> tuple[APIClient, APIClient]:
    v1, v2 = APIClient(), APIClient()
    v1.credentials(HTTP_API_KEY=region_key.full_key)
    v2.credentials(HTTP_X_API_KEY=region_key.full_key)
    return v1, v2


def _v2_candidate(v2: APIClient, record_id: str) -> dict:
    response = v2.get(
        f"/api/v2/candidates/{record_id}?includeInteractions=true&includeCustomFields=true"
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_full_v1_payload_creates_what_v2_shows_then_updates_it(engine, clients, airtable):
    v1, v2 = clients
    payload = _full_v1_payload()

    response = v1.post("/api/v1/create-user", payload, format="json")
    assert response.status_code == 201, response.content
    record = response.json()["data"]
    candidate = _v2_candidate(v2, record["id"])
    assert record == record_to_v1(candidate)
    assert response["Deprecation"].startswith("@")

    scalar_v1_to_v2 = {
        "naam": "name",
        "email": "email",
        "privacy_consent": "privacyConsent",
        "telefoon": "phone",
        "fase": "phase",
        "sector": "sectors",
        "functie": "roles",
        "kwalificatie": "qualifications",
        "vooropleiding": "priorEducation",
        "linkedin": "linkedin",
        "geboortedatum": "dateOfBirth",
        "motivatie": "motivation",
        "adres": "address",
        "plaats": "city",
        "postcode": "postalCode",
        "notities": "notes",
        "reden_van_uitstroom": "exitReason",
        "bron": "source",
        "extern_id": "externalId",
    }
    for v1_name, v2_name in scalar_v1_to_v2.items():
        assert candidate[v2_name] == payload[v1_name], v1_name
        assert record[v1_name] == payload[v1_name], v1_name
    assert [f["filename"] for f in candidate["curriculumVitae"]] == ["cv.txt"]
    assert [f["filename"] for f in candidate["otherAttachments"]] == ["diploma.txt"]
    assert candidate["customFields"] == {
        c["field_name"]: c["field_value"] for c in payload["custom_fields"]
    }
    [interaction] = candidate["interactions"]
    assert {k: interaction[k] for k in ("type", "subject", "summary", "notes")} == {
        "type": "Kennismakingsgesprek",
        "subject": "Eerste gesprek",
        "summary": "Enthousiast.",
        "notes": "Bellen in mei.",
    }
    assert interaction["performedBy"] == "Jan"
    assert interaction["performedAt"] == "2025-03-01T10:00:00Z"
    assert interaction["durationMinutes"] == 45
    assert record["interacties"][0]["soort"] == "Kennismakingsgesprek"

    again = v1.post(
        "/api/create-user", {**payload, "telefoon": NEW_PHONE}, format="json"
    )  # the deprecated unversioned base, same engine
    assert again.status_code == 200, again.content
    assert again.json()["data"]["id"] == record["id"]
    assert again.json()["data"]["telefoon"] == NEW_PHONE
    assert _v2_candidate(v2, record["id"])["phone"] == NEW_PHONE
    assert len(airtable.records("Kandidaten")) == 1
    listed = v2.get("/api/v2/candidates/find?email=fatima@example.nl").json()["data"]
    assert [c["id"] for c in listed] == [record["id"]]
    assert Mutation.objects.filter(status="succeeded").count() == 2


def test_a_mutation_the_engine_cannot_write_answers_its_error(engine, clients, airtable):
    v1, _ = clients
    airtable.remove_select_option("Kandidaten", "Fase", "uitgestroomd")  # a staff edit
    payload = {
        "naam": "Piet",
        "email": "piet@example.nl",
        "privacy_consent": True,
        "fase": "uitgestroomd",
        "custom_fields": [{"field_name": "shoeSize", "field_value": 44}],
    }
    response = v1.post("/api/v1/create-user", payload, format="json")
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "AIRTABLE_REJECTED"
    mutation = Mutation.objects.get()
    assert mutation.status == "failed"
    assert response["Location"] == f"http://testserver/api/v2/mutations/{mutation.uuid}"
