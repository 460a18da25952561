"""SPEC 3 write rows: valid → 202 and, after the engine runs, the record in Airtable and in the
mirror exactly as sent; invalid → 422 with every violation and no mutation; foreign id → 404."""

from __future__ import annotations

import base64

import pytest
from django.core.files.storage import default_storage

from candidates.models import Attachment, Candidate, Interaction
from mutations.models import Mutation
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db

ANNA = {
    "name": "Anna de Vries",
    "email": "Anna@Example.nl",
    "privacyConsent": True,
    "phone": "+31 6 1234 5678",
    "phase": "oriënteren",
    "sectors": ["Primair onderwijs", "Speciaal onderwijs"],
    "roles": ["Docent / leraar"],
    "qualifications": ["Pabo"],
    "priorEducation": "hbo bachelor",
    "linkedin": "https://www.linkedin.com/in/annadevries",
    "dateOfBirth": "1990-04-12",
    "motivation": "Ik wil graag voor de klas staan.",
    "postalCode": "3511ab",
    "city": "Utrecht",
    "source": "website",
    "externalId": "crm-42",
}


def _accept(response, status=202):
    assert response.status_code == status, response.content
    body = response.json()
    if status == 202:
        data = body["data"]
        assert set(data) == {
            "mutationId",
            "status",
            "operation",
            "idempotencyKey",
            "callbackUrl",
            "links",
        }
        assert data["status"] == "queued"
        assert response["Location"] == data["links"]["self"]
    return body


def _mutation(response) -> Mutation:
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _create(client, run_engine, candidate=ANNA) -> Candidate:
    response = client.post("/api/v2/candidates", {"candidates": [candidate]}, format="json")
    _accept(response)
    run_engine()
    mutation = _mutation(response)
    assert mutation.status == "succeeded", mutation.error
    return Candidate.objects.get(record_id=mutation.result["recordIds"][0])


def _only_record(airtable, table="Kandidaten"):
    records = airtable.records(table)
    assert len(records) == 1
    return records[0]


def test_create_stores_exactly_what_was_sent(region_client, airtable, run_engine, region):
    candidate = _create(region_client, run_engine)
    record = _only_record(airtable)
    fields = record["fields"]
    assert {
        k: v for k, v in fields.items() if k not in {"Laatst gewijzigd", "API Mutation Key"}
    } == {
        "Naam": "Anna de Vries",
        "E-mail": "anna@example.nl",
        "Telefoon": "+31612345678",
        "Privacy consent": True,
        "Fase": "oriënteren",
        "Sector": ["Primair onderwijs", "Speciaal onderwijs"],
        "Functie": ["Docent / leraar"],
        "Kwalificatie": ["Pabo"],
        "Vooropleiding": "hbo bachelor",
        "LinkedIn": "https://www.linkedin.com/in/annadevries",
        "Geboortedatum": "1990-04-12",
        "Motivatie": "Ik wil graag voor de klas staan.",
        "Postcode": "3511 AB",
        "Plaats": "Utrecht",
        "Bron": "website",
        "Extern ID": "crm-42",
        "Regio": "utrecht",
    }
    mutation = Mutation.objects.get()
    assert fields["API Mutation Key"] == f"{mutation.uuid}:0"
    response = region_client.get(f"/api/v2/candidates/{record['id']}")
    data = response.json()["data"]
    assert data["email"] == "anna@example.nl" and data["phone"] == "+31612345678"
    assert data["postalCode"] == "3511 AB" and data["region"] == "utrecht"
    assert candidate.phone_digits == "31612345678"


def test_create_with_inline_interactions_and_files(region_client, airtable, run_engine):
    pdf = base64.b64encode(b"%PDF-1.4 cv").decode()
    candidate = {
        **ANNA,
        "interactions": [
            {
                "type": "Telefonisch",
                "performedAt": "2026-11-01T10:00:00Z",
                "subject": "Eerste gesprek",
                "durationMinutes": 15,
            }
        ],
        "curriculumVitae": [
            {"filename": "cv.pdf", "contentType": "application/pdf", "base64": pdf}
        ],
        "otherAttachments": [{"url": "https://files.example.org/diploma.pdf"}],
    }
    created = _create(region_client, run_engine, candidate)
    interaction = Interaction.objects.get()
    assert interaction.candidate == created and interaction.duration_minutes == 15
    interactions = airtable.records("Interacties")
    assert interactions[0]["fields"]["Kandidaat"] == [created.record_id]
    files = {a.filename: a.field for a in Attachment.objects.filter(candidate=created)}
    assert files == {"cv.pdf": "curriculumVitae", "diploma.pdf": "otherAttachments"}
    mutation = Mutation.objects.get()
    assert mutation.staged_files
    assert not any(default_storage.exists(path) for path in mutation.staged_files)


def test_update_archive_unarchive_delete(region_client, airtable, run_engine):
    candidate = _create(region_client, run_engine)
    url = f"/api/v2/candidates/{candidate.record_id}"
    _accept(
        region_client.patch(
            url, {"phase": "matchen", "city": None, "sectors": ["Hoger onderwijs"]}, format="json"
        )
    )
    run_engine()
    fields = _only_record(airtable)["fields"]
    assert fields["Fase"] == "matchen" and "Plaats" not in fields
    assert fields["Sector"] == ["Hoger onderwijs"]
    candidate.refresh_from_db()
    assert candidate.phase == "matchen" and candidate.city in ("", None)

    _accept(region_client.post(f"{url}/archive"))
    run_engine()
    assert _only_record(airtable)["fields"]["Gearchiveerd"] is True
    assert region_client.get("/api/v2/candidates").json()["data"] == []
    _accept(region_client.post(f"{url}/unarchive"))
    run_engine()
    assert "Gearchiveerd" not in _only_record(airtable)["fields"]

    _accept(region_client.delete(url))
    run_engine()
    assert airtable.records("Kandidaten") == []
    assert not Candidate.objects.exists()
    assert region_client.get(url).status_code == 404


def test_delete_erases_interactions_too(region_client, airtable, run_engine):
    candidate = _create(
        region_client,
        run_engine,
        {
            **ANNA,
            "interactions": [
                {"type": "E-mail", "performedAt": "2026-11-01T10:00:00Z"},
                {"type": "Adviesgesprek", "performedAt": "2026-11-02T10:00:00Z"},
            ],
        },
    )
    assert len(airtable.records("Interacties")) == 2
    _accept(region_client.delete(f"/api/v2/candidates/{candidate.record_id}"))
    run_engine()
    assert airtable.records("Interacties") == [] and airtable.records("Kandidaten") == []
    assert not Interaction.objects.exists()


def test_upsert_creates_then_updates_by_email_then_phone(region_client, airtable, run_engine):
    _accept(region_client.post("/api/v2/candidates/upsert", ANNA, format="json"))
    run_engine()
    first = Mutation.objects.get()
    assert first.result["created"] is True
    _accept(
        region_client.post(
            "/api/v2/candidates/upsert",
            {**ANNA, "email": "ANNA@example.nl", "phase": "werkzaam"},
            format="json",
        )
    )
    run_engine()
    record = _only_record(airtable)
    assert record["fields"]["Fase"] == "werkzaam"
    by_phone = {**ANNA, "email": "nieuw@example.nl", "phone": "0031612345678", "phase": "matchen"}
    _accept(region_client.post("/api/v2/candidates/upsert", by_phone, format="json"))
    run_engine()
    record = _only_record(airtable)
    assert record["fields"]["E-mail"] == "nieuw@example.nl"
    assert Mutation.objects.filter(operation="candidate.upsert", status="succeeded").count() == 3


def test_interactions_create_update_delete(region_client, airtable, run_engine):
    candidate = _create(region_client, run_engine)
    response = region_client.post(
        f"/api/v2/candidates/{candidate.record_id}/interactions",
        {
            "interactions": [
                {
                    "type": "Persoonlijk",
                    "performedAt": "2026-11-03T09:30:00Z",
                    "summary": "Kennismaking op school",
                }
            ]
        },
        format="json",
    )
    _accept(response)
    run_engine()
    interaction = Interaction.objects.get()
    assert interaction.summary == "Kennismaking op school"
    url = f"/api/v2/interactions/{interaction.record_id}"
    _accept(region_client.patch(url, {"durationMinutes": 45}, format="json"))
    run_engine()
    assert _only_record(airtable, "Interacties")["fields"]["Duur (minuten)"] == 45
    interaction.refresh_from_db()
    assert interaction.duration_minutes == 45
    _accept(region_client.delete(url))
    run_engine()
    assert airtable.records("Interacties") == [] and not Interaction.objects.exists()


def test_attachments_add_and_remove(region_client, airtable, run_engine):
    candidate = _create(region_client, run_engine)
    url = f"/api/v2/candidates/{candidate.record_id}/attachments"
    body = {
        "curriculumVitae": [
            {
                "filename": "cv.txt",
                "contentType": "text/plain",
                "base64": base64.b64encode(b"Anna, leraar").decode(),
            }
        ],
        "otherAttachments": [{"url": "https://files.example.org/vog.pdf", "filename": "vog.pdf"}],
    }
    _accept(region_client.post(url, body, format="json"))
    run_engine()
    fields = _only_record(airtable)["fields"]
    assert [a["filename"] for a in fields["CV"]] == ["cv.txt"]
    assert [a["filename"] for a in fields["Overige bijlagen"]] == ["vog.pdf"]
    attachment = Attachment.objects.get(filename="cv.txt")
    _accept(region_client.delete(f"{url}/{attachment.attachment_id}"))
    run_engine()
    assert "CV" not in _only_record(airtable)["fields"]
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["vog.pdf"]


def test_invalid_payloads_are_422_with_every_violation_and_no_mutation(region_client, airtable):
    response = region_client.post(
        "/api/v2/candidates",
        {
            "candidates": [
                {
                    "name": "",
                    "email": "not-an-email",
                    "privacyConsent": False,
                    "phase": "klaar",
                    "shoeSize": 42,
                },
                candidate_body(name="B", email="b@example.nl"),
            ],
            "extra": 1,
        },
        format="json",
    )
    body = _accept(response, 422)
    fields = {d["field"] for d in body["error"]["details"]}
    assert fields == {
        "extra",
        "candidates[0].name",
        "candidates[0].email",
        "candidates[0].privacyConsent",
        "candidates[0].phase",
        "candidates[0].shoeSize",
    }
    response = region_client.post(
        "/api/v2/candidates",
        {
            "candidates": [
                {
                    "name": "",
                    "email": "not-an-email",
                    "privacyConsent": False,
                    "phase": "klaar",
                    "shoeSize": 42,
                }
            ]
        },
        format="json",
    )
    fields = {d["field"] for d in _accept(response, 422)["error"]["details"]}
    assert fields == {
        "candidates[0].name",
        "candidates[0].email",
        "candidates[0].privacyConsent",
        "candidates[0].phase",
        "candidates[0].shoeSize",
    }
    for body in ({"candidates": []}, {"candidates": [ANNA] * 11}, {"candidates": "x"}, {}):
        assert region_client.post("/api/v2/candidates", body, format="json").status_code == 422
    assert not Mutation.objects.exists()


def test_bad_callback_url_is_422(region_client, airtable, settings):
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = False
    response = region_client.post(
        "/api/v2/candidates",
        {"candidates": [ANNA], "callbackUrl": "http://127.0.0.1/hook"},
        format="json",
    )
    assert [d["field"] for d in _accept(response, 422)["error"]["details"]] == ["callbackUrl"]
    assert not Mutation.objects.exists()


def test_foreign_ids_are_404_and_create_no_mutation(
    region_client, other_region_client, airtable, run_engine
):
    candidate = _create(
        region_client,
        run_engine,
        {**ANNA, "interactions": [{"type": "E-mail", "performedAt": "2026-11-01T10:00:00Z"}]},
    )
    before = Mutation.objects.count()
    interaction = Interaction.objects.get()
    rid, iid = candidate.record_id, interaction.record_id
    calls = [
        ("patch", f"/api/v2/candidates/{rid}", {"phase": "matchen"}),
        ("delete", f"/api/v2/candidates/{rid}", None),
        ("post", f"/api/v2/candidates/{rid}/archive", None),
        ("post", f"/api/v2/candidates/{rid}/unarchive", None),
        (
            "post",
            f"/api/v2/candidates/{rid}/interactions",
            {"interactions": [{"type": "E-mail", "performedAt": "2026-11-01T10:00:00Z"}]},
        ),
        (
            "post",
            f"/api/v2/candidates/{rid}/attachments",
            {"otherAttachments": [{"url": "https://files.example.org/a.pdf"}]},
        ),
        ("delete", f"/api/v2/candidates/{rid}/attachments/attXXXXXXXXXXXXXX", None),
        ("patch", f"/api/v2/interactions/{iid}", {"subject": "x"}),
        ("delete", f"/api/v2/interactions/{iid}", None),
        ("patch", "/api/sandbox/candidates/" + rid, {"phase": "matchen"}),
    ]
    for method, url, body in calls:
        client = region_client if url.startswith("/api/sandbox") else other_region_client
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert Mutation.objects.count() == before


def test_mutation_status_endpoints(region_client, other_region_client, airtable, run_engine):
    response = region_client.post("/api/v2/candidates", {"candidates": [ANNA]}, format="json")
    mutation_id = response.json()["data"]["mutationId"]
    queued = region_client.get(f"/api/v2/mutations/{mutation_id}").json()["data"]
    assert queued["status"] == "queued" and queued["result"] is None
    run_engine()
    done = region_client.get(f"/api/v2/mutations/{mutation_id}").json()["data"]
    assert done["status"] == "succeeded" and len(done["result"]["recordIds"]) == 1
    assert done["attempts"] == 1 and done["finishedAt"]
    listed = region_client.get("/api/v2/mutations?status=succeeded").json()["data"]
    assert [m["mutationId"] for m in listed] == [mutation_id]
    assert region_client.get("/api/v2/mutations?status=bogus").status_code == 400
    assert other_region_client.get(f"/api/v2/mutations/{mutation_id}").status_code == 404
    assert region_client.get(f"/api/sandbox/mutations/{mutation_id}").status_code == 404


def test_sandbox_writes_go_to_the_sandbox_base(region_client, airtable, run_engine):
    response = region_client.post("/api/sandbox/candidates", {"candidates": [ANNA]}, format="json")
    _accept(response)
    run_engine("sandbox")
    assert airtable.records("Kandidaten") == []
    assert len(airtable.records("Kandidaten", "sandbox")) == 1
    assert Candidate.objects.get().environment == "sandbox"


@pytest.mark.parametrize("filename", ["..", "???", "/"])
def test_odd_filenames_are_staged_safely(region_client, airtable, run_engine, filename):
    body = {
        **ANNA,
        "curriculumVitae": [
            {
                "filename": filename,
                "contentType": "text/plain",
                "base64": base64.b64encode(b"cv").decode(),
            }
        ],
    }
    response = region_client.post("/api/v2/candidates/upsert", body, format="json")
    assert response.status_code == 202, response.content
    run_engine()
    assert [f["filename"] for f in airtable.records("Kandidaten")[0]["fields"]["CV"]] == [filename]
