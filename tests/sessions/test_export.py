"""AVG/GDPR access: the export holds every record of the person, in every region, with all
stored fields, interactions and attachment metadata — and nothing of anyone else."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from candidates.factories import AttachmentFactory, InteractionFactory
from candidates.models import AttachmentField

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def histories(people):
    InteractionFactory(
        candidate=people.ada_utrecht,
        record_id="recIntAda00000001",
        type="Telefonisch",
        subject="Kennismaking",
        summary="Kennismaking met de kandidaat besproken.",
        notes="Belt terug na de open dag.",
        performed_by="Mila Bakker",
        performed_at=T0 + timedelta(days=2),
        duration_minutes=20,
        airtable_created_at=T0 + timedelta(days=2),
    )
    AttachmentFactory(
        candidate=people.ada_utrecht,
        attachment_id="attAdaCv000000001",
        field=AttachmentField.CURRICULUM_VITAE,
        filename="cv-ada.pdf",
        content_type="application/pdf",
        size=12345,
        url="https://files.example.com/cv-ada.pdf",
        position=0,
    )
    InteractionFactory(candidate=people.bob, record_id="recIntBob00000001")
    AttachmentFactory(candidate=people.bob, attachment_id="attBobCv000000001")
    people.ada_utrecht.__class__.objects.filter(pk=people.ada_utrecht.pk).update(
        phone="+31612345678",
        privacy_consent=True,
        phase="oriënteren",
        sectors=["Primair onderwijs"],
        roles=["Docent / leraar"],
        qualifications=["Pabo"],
        prior_education="hbo bachelor",
        linkedin="https://www.linkedin.com/in/ada-de-vries",
        date_of_birth=date(1990, 5, 17),
        motivation="Ik wil voor de klas.",
        notes="",
        exit_reason="",
        address="Oudegracht 1",
        city="Utrecht",
        postal_code="3511 AA",
        source="open dag",
        external_id="CRM-1",
        custom_fields={"shoeSize": 39},
    )
    return people


def test_export_holds_every_record_of_the_person_and_nothing_else(histories, log_in):
    client, _ = log_in("ada.devries@example.com")
    response = client.get("/api/v2/auth/candidates/me/export")
    assert response.status_code == 200
    body = response.json()
    exported_at = body["data"]["exportedAt"]
    assert datetime.fromisoformat(exported_at) > datetime.now(UTC) - timedelta(minutes=1)
    utrecht, amsterdam = body["data"]["candidates"]
    assert utrecht == {
        "id": "recAdaUtrecht0001",
        "name": "Ada de Vries",
        "email": "ada.devries@example.com",
        "phone": "+31612345678",
        "privacyConsent": True,
        "phase": "oriënteren",
        "sectors": ["Primair onderwijs"],
        "roles": ["Docent / leraar"],
        "qualifications": ["Pabo"],
        "priorEducation": "hbo bachelor",
        "linkedin": "https://www.linkedin.com/in/ada-de-vries",
        "dateOfBirth": "1990-05-17",
        "motivation": "Ik wil voor de klas.",
        "notes": None,
        "exitReason": None,
        "address": "Oudegracht 1",
        "city": "Utrecht",
        "postalCode": "3511 AA",
        "source": "open dag",
        "externalId": "CRM-1",
        "curriculumVitae": [
            {
                "id": "attAdaCv000000001",
                "filename": "cv-ada.pdf",
                "contentType": "application/pdf",
                "size": 12345,
                "url": "https://files.example.com/cv-ada.pdf",
            }
        ],
        "otherAttachments": [],
        "archived": False,
        "region": "utrecht",
        "createdAt": "2025-03-01T09:30:00Z",
        "updatedAt": "2025-03-02T09:30:00Z",
        "customFields": {"shoeSize": 39},
        "interactions": [
            {
                "id": "recIntAda00000001",
                "candidateId": "recAdaUtrecht0001",
                "type": "Telefonisch",
                "subject": "Kennismaking",
                "summary": "Kennismaking met de kandidaat besproken.",
                "notes": "Belt terug na de open dag.",
                "performedBy": "Mila Bakker",
                "performedAt": "2025-03-03T09:30:00Z",
                "durationMinutes": 20,
                "createdAt": "2025-03-03T09:30:00Z",
                "updatedAt": "2025-03-03T09:30:00Z",
            }
        ],
    }
    assert (amsterdam["id"], amsterdam["region"], amsterdam["archived"]) == (
        "recAdaAmsterdam01",
        "amsterdam",
        True,
    )
    assert body == {
        "data": {
            "email": "ada.devries@example.com",
            "environment": "production",
            "exportedAt": exported_at,
            "candidates": [utrecht, amsterdam],
        },
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }
    text = response.content.decode()
    for foreign in ("recBobUtrecht0001", "recIntBob00000001", "attBobCv000000001", "Bob Jansen"):
        assert foreign not in text
    assert "recAdaSandbox0001" not in text  # another environment
