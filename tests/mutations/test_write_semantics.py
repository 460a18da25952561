"""SPEC 5.3 "Upsert" and 5.5 "What a write may change": the seven reproductions of the issue
"Writes that never lose what is already there", each through the API, the engine and the
emulator, plus the matching rules (oldest wins, ``matchedIds``)."""

from __future__ import annotations

import base64

import pytest

from candidates.models import Candidate
from mutations.models import Mutation
from tests.clock import next_whole_second
from tests.factories import candidate_body
from tests.fixtures.sync import Staff

pytestmark = pytest.mark.django_db

ANNA = candidate_body()


def _accepted(response) -> Mutation:
    assert response.status_code == 202, response.content
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _done(mutation: Mutation) -> Mutation:
    mutation.refresh_from_db()
    assert mutation.status == "succeeded", (mutation.error, mutation.state)
    return mutation


def _create(client, run_engine, **fields) -> str:
    mutation = _accepted(
        client.post("/api/v2/candidates", {"candidates": [{**ANNA, **fields}]}, format="json")
    )
    run_engine()
    return _done(mutation).result["recordIds"][0]


def _upsert(client, run_engine, **fields) -> Mutation:
    mutation = _accepted(
        client.post("/api/v2/candidates/upsert", {**ANNA, **fields}, format="json")
    )
    run_engine()
    return _done(mutation)


def _fields(airtable, record_id: str) -> dict:
    return next(r for r in airtable.records("Kandidaten") if r["id"] == record_id)["fields"]


def _file(name: str, content: bytes = b"cv") -> dict:
    return {
        "filename": name,
        "contentType": "text/plain",
        "base64": base64.b64encode(content).decode(),
    }


# --- 1. create defaults never reach an existing record ----------------------------------------


def test_upsert_without_phase_keeps_the_phase_of_the_existing_candidate(
    region_client, airtable, run_engine
):
    record_id = _create(region_client, run_engine, phase="voorbereiden")
    mutation = _upsert(region_client, run_engine, city="Utrecht")
    assert mutation.result["recordIds"] == [record_id] and mutation.result["created"] is False
    fields = _fields(airtable, record_id)
    assert (fields["Fase"], fields["Plaats"]) == ("voorbereiden", "Utrecht")
    assert Candidate.objects.get(record_id=record_id).phase == "voorbereiden"


def test_upsert_that_creates_applies_the_create_defaults(region_client, airtable, run_engine):
    mutation = _upsert(region_client, run_engine)
    assert mutation.result["created"] is True and mutation.result["matchedIds"] == []
    assert _fields(airtable, mutation.result["recordIds"][0])["Fase"] == "nieuw"


# --- 2. files are appended, by URL as by base64 ------------------------------------------------


def test_upsert_appends_files_by_url_as_it_does_by_base64(region_client, airtable, run_engine):
    record_id = _create(
        region_client,
        run_engine,
        curriculumVitae=[{"url": "https://files.example.org/cv-2024.pdf"}],
    )
    _upsert(
        region_client, run_engine, curriculumVitae=[{"url": "https://files.example.org/cv.pdf"}]
    )
    _upsert(region_client, run_engine, curriculumVitae=[_file("cv.txt")])
    files = _fields(airtable, record_id)["CV"]
    assert [f["filename"] for f in files] == ["cv-2024.pdf", "cv.pdf", "cv.txt"]
    mirrored = Candidate.objects.get(record_id=record_id).attachments.order_by("position")
    assert [a.filename for a in mirrored] == ["cv-2024.pdf", "cv.pdf", "cv.txt"]


def test_attachments_endpoint_appends_a_file_named_like_one_already_there(
    region_client, airtable, run_engine
):
    url = {"url": "https://files.example.org/cv.pdf", "filename": "cv.pdf"}
    record_id = _create(region_client, run_engine, curriculumVitae=[url])
    mutation = _accepted(
        region_client.post(
            f"/api/v2/candidates/{record_id}/attachments", {"curriculumVitae": [url]}, format="json"
        )
    )
    run_engine()
    _done(mutation)
    assert [f["filename"] for f in _fields(airtable, record_id)["CV"]] == ["cv.pdf", "cv.pdf"]


# --- 3. the phone staff typed in Airtable is the same number ----------------------------------


@pytest.mark.parametrize(
    "typed_by_staff", ["06 12345678", "06-12345678", "+31 6 1234 5678", "0031612345678"]
)
def test_upsert_matches_a_phone_staff_typed_in_any_notation(
    region_client, airtable, run_engine, typed_by_staff
):
    staff = Staff(airtable)
    record = staff.create(
        "Kandidaten",
        {
            "Naam": "Anna",
            "E-mail": "a.devries@school.nl",
            "Telefoon": typed_by_staff,
            "Regio": "utrecht",
        },
    )
    mutation = _upsert(region_client, run_engine, phone="+31612345678", city="Utrecht")
    assert mutation.result["recordIds"] == [record["id"]]
    assert mutation.result["matchedIds"] == [record["id"]]
    assert len(airtable.records("Kandidaten")) == 1
    assert _fields(airtable, record["id"])["Plaats"] == "Utrecht"


def test_upsert_matches_an_email_staff_typed_with_capitals_and_spaces(
    region_client, airtable, run_engine
):
    record = Staff(airtable).create(
        "Kandidaten", {"Naam": "Anna", "E-mail": "  Anna@Example.NL ", "Regio": "utrecht"}
    )
    mutation = _upsert(region_client, run_engine, email=" ANNA@example.nl")
    assert mutation.result["recordIds"] == [record["id"]]


def test_a_number_ending_in_the_same_digits_elsewhere_is_not_a_match(
    region_client, airtable, run_engine
):
    # The formula narrows by the last nine digits; Python decides by the whole number.
    Staff(airtable).create(
        "Kandidaten",
        {
            "Naam": "Jan",
            "E-mail": "jan@example.be",
            "Telefoon": "+32 612 34 56 78",
            "Regio": "utrecht",
        },
    )
    mutation = _upsert(region_client, run_engine, phone="06 12345678")
    assert mutation.result["created"] is True
    assert len(airtable.records("Kandidaten")) == 2


def test_several_matches_the_oldest_wins_and_the_result_names_them_all(
    region_client, airtable, run_engine
):
    staff = Staff(airtable)
    older = staff.create(
        "Kandidaten",
        {"Naam": "A1", "E-mail": "anna@example.nl", "Telefoon": "0612345678", "Regio": "utrecht"},
    )
    # createdTime has whole seconds (as on Airtable): make "older" strictly older.
    next_whole_second()
    newer = staff.create(
        "Kandidaten", {"Naam": "A2", "E-mail": "ANNA@example.nl", "Regio": "utrecht"}
    )
    by_phone_only = staff.create(
        "Kandidaten",
        {"Naam": "A3", "E-mail": "x@example.nl", "Telefoon": "06 12345678", "Regio": "utrecht"},
    )
    other_region = staff.create(
        "Kandidaten", {"Naam": "A0", "E-mail": "anna@example.nl", "Regio": "amsterdam"}
    )
    mutation = _upsert(region_client, run_engine, phone="+31612345678", city="Utrecht")
    # Email wins over phone; among the email matches the oldest record is the target.
    assert mutation.result["recordIds"] == [older["id"]]
    assert mutation.result["matchedIds"] == [older["id"], newer["id"]]
    assert _fields(airtable, older["id"])["Plaats"] == "Utrecht"
    for untouched in (newer, by_phone_only, other_region):
        assert "Plaats" not in _fields(airtable, untouched["id"])
    by_phone = _upsert(region_client, run_engine, email="nieuw@example.nl", phone="06-12345678")
    assert by_phone.result["matchedIds"] == [older["id"], by_phone_only["id"]]
    assert by_phone.result["recordIds"] == [older["id"]]


# --- 4. phase cannot be cleared -----------------------------------------------------------------


def test_patch_cannot_clear_the_phase(region_client, airtable, run_engine):
    record_id = _create(region_client, run_engine, phase="matchen")
    response = region_client.patch(
        f"/api/v2/candidates/{record_id}", {"phase": None}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "phase",
            "message": 'Must be one of: "nieuw", "matchen", "oriënteren", "voorbereiden", '
            '"in opleiding", "werkzaam", "uitgestroomd".',
        }
    ]
    assert not Mutation.objects.filter(operation="candidate.update").exists()
    assert _fields(airtable, record_id)["Fase"] == "matchen"


# --- 5. phone numbers must exist; Dutch notations with brackets are fine ------------------------


def test_a_phone_number_one_digit_short_is_refused(region_client, airtable):
    response = region_client.post(
        "/api/v2/candidates", {"candidates": [{**ANNA, "phone": "+3161234567"}]}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "candidates[0].phone", "message": "Not a valid phone number for its country."}
    ]


@pytest.mark.parametrize("notation", ["(06) 123 456 78", "+31 (0)6 12345678", "(+31) 6 12345678"])
def test_dutch_notations_with_brackets_are_accepted(region_client, airtable, run_engine, notation):
    record_id = _create(region_client, run_engine, phone=notation)
    assert _fields(airtable, record_id)["Telefoon"] == "+31612345678"


# --- 6. emails are trimmed; one person twice in one request is refused --------------------------


def test_an_email_with_surrounding_spaces_is_trimmed(region_client, airtable, run_engine):
    record_id = _create(region_client, run_engine, email="  Anna@Example.nl ")
    assert _fields(airtable, record_id)["E-mail"] == "anna@example.nl"


def test_the_same_email_or_phone_twice_in_one_create_names_both_items(region_client, airtable):
    body = {
        "candidates": [
            {**ANNA, "phone": "06 12345678"},
            {**ANNA, "name": "Bram", "email": "bram@example.nl"},
            {**ANNA, "name": "Anna", "email": " ANNA@example.nl"},
            {**ANNA, "name": "Cora", "email": "cora@example.nl", "phone": "+31 6 1234 5678"},
        ]
    }
    response = region_client.post("/api/v2/candidates", body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "candidates[0].email",
            "message": "The same email as candidates[0], candidates[2].",
        },
        {
            "field": "candidates[0].phone",
            "message": "The same phone as candidates[0], candidates[3].",
        },
        {
            "field": "candidates[2].email",
            "message": "The same email as candidates[0], candidates[2].",
        },
        {
            "field": "candidates[3].phone",
            "message": "The same phone as candidates[0], candidates[3].",
        },
    ]
    assert not Mutation.objects.exists()


# --- 7. an idempotent replay tells the truth ---------------------------------------------------


def test_an_idempotent_replay_answers_with_the_current_status(region_client, airtable, run_engine):
    body = {"candidates": [ANNA], "idempotencyKey": "signup-8841"}
    first = region_client.post("/api/v2/candidates", body, format="json")
    assert first.status_code == 202 and "Idempotent-Replayed" not in first
    assert first.json()["data"]["status"] == "queued"
    run_engine()
    replay = region_client.post("/api/v2/candidates", body, format="json")
    assert replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Location"] == first["Location"]
    assert replay.json()["data"] == {**first.json()["data"], "status": "succeeded"}
    assert Mutation.objects.count() == 1
