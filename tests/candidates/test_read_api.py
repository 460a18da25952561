"""SPEC 2–4: the read endpoints over the mirror — shapes, selection, filters, cursors, scoping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from candidates.factories import AttachmentFactory, CandidateFactory, InteractionFactory
from candidates.models import AttachmentField, Candidate
from candidates.serializers import (
    INTERACTION_OUTPUT_FIELDS,
    SELECTABLE_FIELDS,
    CandidateSerializer,
    InteractionSerializer,
)
from config.api.environment import SANDBOX

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def _page_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["data"]]


@pytest.fixture
def ada(region) -> Candidate:
    candidate = CandidateFactory(
        region=region,
        record_id="recAda0000000001",
        name="Ada de Vries",
        email="ada.devries@example.com",
        phone="+31612345678",
        phone_digits="31612345678",
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
        airtable_created_at=T0,
        airtable_modified_at=T0 + timedelta(days=2),
    )
    AttachmentFactory(
        candidate=candidate,
        attachment_id="attCv000000000001",
        field=AttachmentField.CURRICULUM_VITAE,
        filename="cv-ada.pdf",
        content_type="application/pdf",
        size=12345,
        url="https://files.example.com/cv-ada.pdf",
        position=0,
    )
    AttachmentFactory(
        candidate=candidate,
        attachment_id="attOther000000001",
        field=AttachmentField.OTHER_ATTACHMENTS,
        filename="diploma.png",
        content_type="image/png",
        size=999,
        url="https://files.example.com/diploma.png",
        position=0,
    )
    return candidate


ADA = {
    "id": "recAda0000000001",
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
            "id": "attCv000000000001",
            "filename": "cv-ada.pdf",
            "contentType": "application/pdf",
            "size": 12345,
            "url": "https://files.example.com/cv-ada.pdf",
        }
    ],
    "otherAttachments": [
        {
            "id": "attOther000000001",
            "filename": "diploma.png",
            "contentType": "image/png",
            "size": 999,
            "url": "https://files.example.com/diploma.png",
        }
    ],
    "archived": False,
    "region": "utrecht",
    "createdAt": "2025-03-01T09:30:00Z",
    "updatedAt": "2025-03-03T09:30:00Z",
}


def test_get_candidate_whole_body(region_client, ada):
    response = region_client.get(f"/api/v2/candidates/{ada.record_id}", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    assert response.json() == {"data": ADA, "meta": {"requestId": "req-1", "sandbox": False}}


def test_get_candidate_with_interactions_and_custom_fields(region_client, ada):
    InteractionFactory(
        candidate=ada,
        record_id="recInt0000000001",
        type="Telefonisch",
        subject="Intake",
        summary="Gebeld.",
        notes="",
        performed_by="Bram",
        performed_at=T0 + timedelta(hours=1),
        duration_minutes=15,
        airtable_created_at=T0 + timedelta(hours=2),
        airtable_modified_at=T0 + timedelta(hours=3),
    )
    response = region_client.get(
        f"/api/v2/candidates/{ada.record_id}?includeInteractions=true&includeCustomFields=1"
    )
    assert response.json()["data"] == {
        **ADA,
        "customFields": {"shoeSize": 39},
        "interactions": [
            {
                "id": "recInt0000000001",
                "candidateId": ada.record_id,
                "type": "Telefonisch",
                "subject": "Intake",
                "summary": "Gebeld.",
                "notes": None,
                "performedBy": "Bram",
                "performedAt": "2025-03-01T10:30:00Z",
                "durationMinutes": 15,
                "createdAt": "2025-03-01T11:30:00Z",
                "updatedAt": "2025-03-01T12:30:00Z",
            }
        ],
    }


def test_fields_selection_always_includes_id(region_client, ada):
    response = region_client.get(
        f"/api/v2/candidates/{ada.record_id}?fields=email&fields=customFields"
    )
    assert response.json()["data"] == {
        "id": ada.record_id,
        "email": ada.email,
        "customFields": {"shoeSize": 39},
    }
    comma = region_client.get(f"/api/v2/candidates/{ada.record_id}?fields=name,phase")
    assert comma.json()["data"] == {"id": ada.record_id, "name": ada.name, "phase": ada.phase}


def test_unknown_field_name_is_400_listing_the_allowed_names(region_client, ada):
    for url in (
        f"/api/v2/candidates/{ada.record_id}?fields=name&fields=shoeSize",
        "/api/v2/candidates?fields=shoeSize&fields=name",
        "/api/v2/candidates/find?email=x@example.com&fields=shoeSize",
    ):
        response = region_client.get(url)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "BAD_REQUEST"
        assert error["details"] == [{"field": "fields", "message": "Unknown field 'shoeSize'."}]
        assert all(name in error["message"] for name in SELECTABLE_FIELDS)


def test_list_whole_body_and_interactions_only_when_asked(region_client, ada):
    InteractionFactory(candidate=ada)
    response = region_client.get("/api/v2/candidates")
    assert response.json() == {
        "data": [ADA],
        "meta": {"requestId": response["x-request-id"], "sandbox": False, "cursor": None},
    }
    embedded = region_client.get("/api/v2/candidates?includeInteractions=true").json()["data"]
    assert len(embedded[0]["interactions"]) == 1
    assert "customFields" not in embedded[0]


def _bulk(
    region,
    count: int,
    *,
    start: datetime = T0,
    environment: str = "production",
    prefix: str = "recL",
) -> list[Candidate]:
    rows = CandidateFactory.build_batch(count, region=region, environment=environment)
    for n, row in enumerate(rows):
        # Pairs share a creation time so the id breaks the tie; zero-padded ids sort the same
        # in every collation.
        row.record_id = f"{prefix}{n:0{17 - len(prefix)}d}"
        row.airtable_created_at = start + timedelta(minutes=n // 2)
    return Candidate.objects.bulk_create(rows)


def _follow(client, url: str, between=None) -> list[str]:
    ids, cursor, pages = [], None, 0
    while True:
        response = client.get(url + (f"&cursor={cursor}" if cursor else ""))
        ids += _page_ids(response)
        cursor = response.json()["meta"]["cursor"]
        pages += 1
        if cursor is None:
            return ids
        if between:
            between(pages)


def test_cursors_return_every_candidate_once_in_order(region_client, region):
    created = _bulk(region, 1050)
    ids = _follow(region_client, "/api/v2/candidates?pageSize=100&fields=id")
    assert ids == [c.record_id for c in created]


def test_cursors_stay_exact_while_candidates_are_inserted(region_client, region):
    created = _bulk(region, 1050)

    def insert(page: int) -> None:
        # One created before everything (never shows up) and one after (shows up at the end).
        _bulk(region, 1, start=T0 - timedelta(days=page), prefix=f"recB{page:02d}")
        _bulk(region, 1, start=T0 + timedelta(days=page), prefix=f"recA{page:02d}")

    ids = _follow(region_client, "/api/v2/candidates?pageSize=100&fields=id", between=insert)
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.startswith("recL")] == [c.record_id for c in created]
    late = [i for i in ids if i.startswith("recA")]
    assert late == sorted(late) and len(late) == 10
    assert not [i for i in ids if i.startswith("recB")]


def test_bad_cursor_and_page_size_are_400(region_client, region):
    _bulk(region, 3)
    first = region_client.get("/api/v2/candidates?pageSize=1")
    cursor = first.json()["meta"]["cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for query in (
        f"cursor={tampered}",
        "cursor=garbage",
        "pageSize=0",
        "pageSize=101",
        "pageSize=abc",
    ):
        response = region_client.get(f"/api/v2/candidates?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert region_client.get(f"/api/v2/candidates?pageSize=1&cursor={cursor}").status_code == 200


def test_archived_hidden_unless_asked(region_client, region):
    active = CandidateFactory(region=region, email="a@example.com")
    archived = CandidateFactory(region=region, email="a@example.com", archived=True)
    assert _page_ids(region_client.get("/api/v2/candidates")) == [active.record_id]
    both = set(_page_ids(region_client.get("/api/v2/candidates?includeArchived=true")))
    assert both == {active.record_id, archived.record_id}
    found = region_client.get("/api/v2/candidates/find?email=a@example.com")
    assert _page_ids(found) == [active.record_id]
    found_all = region_client.get("/api/v2/candidates/find?email=a@example.com&includeArchived=1")
    assert set(_page_ids(found_all)) == both
    # An archived candidate is still readable by id.
    assert region_client.get(f"/api/v2/candidates/{archived.record_id}").status_code == 200


def test_phase_and_updated_since_filters(region_client, region):
    new = CandidateFactory(region=region, phase="nieuw", airtable_modified_at=T0)
    working = CandidateFactory(
        region=region, phase="werkzaam", airtable_modified_at=T0 + timedelta(days=1)
    )
    assert _page_ids(region_client.get("/api/v2/candidates?phase=werkzaam")) == [working.record_id]
    since = region_client.get("/api/v2/candidates?updatedSince=2025-03-01T12:00:00Z")
    assert _page_ids(since) == [working.record_id]
    assert set(
        _page_ids(region_client.get("/api/v2/candidates?updatedSince=2025-03-01T09:30:00%2B00:00"))
    ) == {new.record_id, working.record_id}


def test_created_since_filter(region_client, region):
    CandidateFactory(region=region, airtable_created_at=T0)
    later = CandidateFactory(region=region, airtable_created_at=T0 + timedelta(days=1))
    since = region_client.get("/api/v2/candidates?createdSince=2025-03-01T12:00:00Z")
    assert _page_ids(since) == [later.record_id]


def test_interaction_list_since_filters(region_client, ada):
    old = InteractionFactory(
        candidate=ada,
        airtable_created_at=T0,
        airtable_modified_at=T0 + timedelta(days=3),
    )
    new = InteractionFactory(
        candidate=ada,
        airtable_created_at=T0 + timedelta(days=1),
        airtable_modified_at=T0 + timedelta(days=1),
    )
    url = f"/api/v2/candidates/{ada.record_id}/interactions"
    assert _page_ids(region_client.get(f"{url}?createdSince=2025-03-02T00:00:00Z")) == [
        new.record_id
    ]
    assert _page_ids(region_client.get(f"{url}?updatedSince=2025-03-03T00:00:00Z")) == [
        old.record_id
    ]
    bad = region_client.get(f"{url}?updatedSince=soon")
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "updatedSince"


@pytest.mark.parametrize(
    "query",
    [
        "phase=gepensioneerd",
        "updatedSince=yesterday",
        "updatedSince=2025-13-01T00:00:00Z",
        "createdSince=gisteren",
        "createdSince=9999-12-31T23:59:59-19:13",
        "includeArchived=yes",
        "includeInteractions=maybe",
        "includeCustomFields=2",
    ],
)
def test_bad_query_parameters_are_400(region_client, query):
    response = region_client.get(f"/api/v2/candidates?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == query.split("=")[0]


def test_find_by_email_is_case_insensitive(region_client, region, ada):
    response = region_client.get("/api/v2/candidates/find?email=%20Ada.DeVries@EXAMPLE.com")
    assert response.json() == {
        "data": [ADA],
        "meta": {"requestId": response["x-request-id"], "sandbox": False, "cursor": None},
    }


@pytest.mark.parametrize(
    "phone", ["+31 6 1234 5678", "06-12345678", "0031612345678", "+31 (0)6 12345678", "06 12345678"]
)
def test_find_by_phone_in_any_notation(region_client, ada, phone):
    response = region_client.get("/api/v2/candidates/find", {"phone": phone})
    assert _page_ids(response) == [ada.record_id]


def test_find_rules(region_client, region, ada):
    other = CandidateFactory(
        region=region, email="other@example.com", phone="+31687654321", phone_digits="31687654321"
    )
    neither = region_client.get("/api/v2/candidates/find")
    assert neither.status_code == 400
    assert {d["field"] for d in neither.json()["error"]["details"]} == {"email", "phone"}
    # Both given: the email decides, even when the phone points elsewhere.
    both = region_client.get(
        "/api/v2/candidates/find", {"email": other.email, "phone": "06 12345678"}
    )
    assert _page_ids(both) == [other.record_id]
    nobody = region_client.get("/api/v2/candidates/find", {"email": "nobody@example.com"})
    assert nobody.status_code == 200 and nobody.json()["data"] == []
    assert _page_ids(region_client.get("/api/v2/candidates/find", {"phone": "abc"})) == []


def test_interactions_list_and_detail(region_client, ada):
    interactions = [
        InteractionFactory(
            candidate=ada, record_id=f"recInt{n:011d}", airtable_created_at=T0 + timedelta(hours=n)
        )
        for n in range(3)
    ]
    first = region_client.get(f"/api/v2/candidates/{ada.record_id}/interactions?pageSize=2")
    assert _page_ids(first) == ["recInt00000000000", "recInt00000000001"]
    cursor = first.json()["meta"]["cursor"]
    rest = region_client.get(
        f"/api/v2/candidates/{ada.record_id}/interactions?pageSize=2&cursor={cursor}"
    )
    assert _page_ids(rest) == ["recInt00000000002"]
    assert rest.json()["meta"]["cursor"] is None

    one = interactions[0]
    response = region_client.get(f"/api/v2/interactions/{one.record_id}")
    assert response.json() == {
        "data": {
            "id": one.record_id,
            "candidateId": ada.record_id,
            "type": one.type,
            "subject": one.subject,
            "summary": one.summary,
            "notes": None,
            "performedBy": one.performed_by,
            "performedAt": one.performed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "durationMinutes": one.duration_minutes,
            "createdAt": "2025-03-01T09:30:00Z",
            "updatedAt": "2025-03-01T09:30:00Z",
        },
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }


def test_foreign_and_other_environment_records_are_404_everywhere(
    region_client, other_region_client, region, other_region
):
    foreign = CandidateFactory(
        region=other_region,
        email="shared@example.com",
        phone="+31611111111",
        phone_digits="31611111111",
    )
    sandboxed = CandidateFactory(
        region=region,
        environment=SANDBOX,
        email="shared@example.com",
        phone="+31611111111",
        phone_digits="31611111111",
    )
    foreign_interaction = InteractionFactory(candidate=foreign)
    sandbox_interaction = InteractionFactory(candidate=sandboxed)
    for candidate, interaction in (
        (foreign, foreign_interaction),
        (sandboxed, sandbox_interaction),
    ):
        for url in (
            f"/api/v2/candidates/{candidate.record_id}",
            f"/api/v2/candidates/{candidate.record_id}/interactions",
            f"/api/v2/interactions/{interaction.record_id}",
            "/api/v2/candidates/recDoesNotExist01",
            "/api/v2/interactions/x%20y",
        ):
            response = region_client.get(url)
            assert response.status_code == 404, url
            assert response.json()["error"] == {
                "code": "NOT_FOUND",
                "message": response.json()["error"]["message"],
                "details": [],
            }
    assert _page_ids(region_client.get("/api/v2/candidates")) == []
    assert _page_ids(region_client.get("/api/v2/candidates/find?email=shared@example.com")) == []
    assert _page_ids(region_client.get("/api/v2/candidates/find?phone=0611111111")) == []
    # Each is visible where it belongs.
    assert _page_ids(other_region_client.get("/api/v2/candidates")) == [foreign.record_id]
    assert _page_ids(region_client.get("/api/sandbox/candidates")) == [sandboxed.record_id]
    sandbox_detail = region_client.get(f"/api/sandbox/interactions/{sandbox_interaction.record_id}")
    assert sandbox_detail.status_code == 200
    by_header = region_client.get(
        f"/api/v2/candidates/{sandboxed.record_id}", HTTP_X_API_SANDBOX="true"
    )
    assert by_header.json()["meta"]["sandbox"] is True


def test_admin_key_reads_the_region_it_acts_for(admin_key_client, region, ada):
    response = admin_key_client.get(
        f"/api/v2/candidates/{ada.record_id}", HTTP_X_REGION_ID="utrecht"
    )
    assert response.status_code == 200


def test_reads_need_a_key(anon_client, ada):
    response = anon_client.get("/api/v2/candidates")
    assert response.status_code == 401


def test_list_page_query_count_is_constant(region_client, region, django_assert_max_num_queries):
    for candidate in _bulk(region, 30):
        AttachmentFactory(candidate=candidate)
        InteractionFactory(candidate=candidate)
    # auth + key touch + candidates + attachments + interactions, whatever the page size.
    with django_assert_max_num_queries(6):
        response = region_client.get("/api/v2/candidates?includeInteractions=true")
    assert len(response.json()["data"]) == 30


def test_attachments_come_per_candidate_in_position_order(region_client, region):
    first, second = _bulk(region, 2)
    for position, name in ((2, "c.pdf"), (0, "a.pdf"), (1, "b.pdf")):
        AttachmentFactory(
            candidate=first,
            field=AttachmentField.OTHER_ATTACHMENTS,
            filename=name,
            position=position,
            size=None if name == "b.pdf" else 10,
        )
    AttachmentFactory(
        candidate=second, field=AttachmentField.CURRICULUM_VITAE, filename="cv.pdf", position=0
    )
    page = region_client.get("/api/v2/candidates").json()["data"]
    found = region_client.get(f"/api/v2/candidates/find?email={first.email}").json()["data"]
    by_id = region_client.get(f"/api/v2/candidates/{first.record_id}").json()["data"]
    for rendered in (page[0], found[0], by_id):
        assert rendered["id"] == first.record_id
        assert rendered["curriculumVitae"] == []
        other = rendered["otherAttachments"]
        assert [a["filename"] for a in other] == ["a.pdf", "b.pdf", "c.pdf"]
        assert [list(a) for a in other] == [["id", "filename", "contentType", "size", "url"]] * 3
        assert [a["size"] for a in other] == [10, None, 10]
    assert [a["filename"] for a in page[1]["curriculumVitae"]] == ["cv.pdf"]
    assert page[1]["otherAttachments"] == []


def test_documented_shapes_match_the_rendered_ones():
    assert tuple(CandidateSerializer().fields) == SELECTABLE_FIELDS
    assert tuple(InteractionSerializer().fields) == INTERACTION_OUTPUT_FIELDS
    assert tuple(ADA) == SELECTABLE_FIELDS[: len(ADA)]
