from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from candidates.factories import (
    EMAIL_DOMAINS,
    AttachmentFactory,
    CandidateFactory,
    InteractionFactory,
)
from candidates.models import Candidate, Interaction
from candidates.selectors import candidate_find

pytestmark = pytest.mark.django_db


def test_seed_demo_candidates(region):
    out = StringIO()
    call_command(
        "seed_demo_candidates",
        "--region",
        "utrecht",
        "--count",
        "2100",
        "--environment",
        "sandbox",
        "--interactions-per-candidate",
        "2",
        stdout=out,
        stderr=StringIO(),
    )
    assert re.fullmatch(
        r"Seeded 2100 candidates and 4200 interactions into region utrecht \(sandbox\) "
        r"in [0-9.]+ s \([0-9]+/s\)\.\n",
        out.getvalue(),
    )
    assert Candidate.objects.filter(region=region, environment="sandbox").count() == 2100
    assert Interaction.objects.filter(region=region, environment="sandbox").count() == 4200
    sample = Candidate.objects.order_by("?").first()
    assert sample.email.rsplit("@", 1)[1] in EMAIL_DOMAINS
    assert re.fullmatch(r"\+316\d{8}", sample.phone) and sample.phone_digits == sample.phone[1:]
    assert re.fullmatch(r"[1-9]\d{3} [A-Z]{2}", sample.postal_code)
    assert sample.airtable_modified_at >= sample.airtable_created_at
    assert Candidate.objects.values("email").distinct().count() == 2100
    assert [
        c.pk for c in candidate_find(region=region, environment="sandbox", phone=sample.phone)
    ] == [sample.pk]


def test_seed_refuses_unknown_region(db):
    with pytest.raises(CommandError, match="No region"):
        call_command(
            "seed_demo_candidates",
            "--region",
            "nowhere",
            "--count",
            "1",
            stdout=StringIO(),
            stderr=StringIO(),
        )


def test_candidate_admin_searches_and_never_writes_the_mirror(admin_client, region):
    candidate = CandidateFactory(
        region=region,
        name="Lotte Visser",
        email="lotte@example.com",
        phone="+31611223344",
        phone_digits="31611223344",
    )
    InteractionFactory(candidate=candidate, subject="Kennismaking")
    AttachmentFactory(candidate=candidate, filename="cv-lotte.pdf")
    CandidateFactory(region=region, name="Someone Else")

    listing = admin_client.get(
        "/admin/candidates/candidate/?q=31611223344&phase__exact="
        f"{candidate.phase}&archived__exact=0"
    )
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [candidate]
    by_email = admin_client.get("/admin/candidates/candidate/?q=lotte@example.com")
    assert list(by_email.context["cl"].result_list) == [candidate]
    by_national_phone = admin_client.get("/admin/candidates/candidate/?q=06-11 22 33 44")
    assert list(by_national_phone.context["cl"].result_list) == [candidate]

    detail = admin_client.get(f"/admin/candidates/candidate/{candidate.pk}/change/")
    assert detail.status_code == 200
    assert b"Kennismaking" in detail.content and b"cv-lotte.pdf" in detail.content
    # Edits, archiving and deletion are queued for the engine (tests/admin/test_candidate_edits.py).
    assert admin_client.get("/admin/candidates/candidate/add/").status_code == 403
    admin_client.post(f"/admin/candidates/candidate/{candidate.pk}/change/", {"name": "Changed"})
    candidate.refresh_from_db()
    assert candidate.name == "Lotte Visser"


def test_region_admin_shows_custom_fields(admin_client, region, custom_fields):
    response = admin_client.get(f"/admin/regions/region/{region.pk}/change/")
    assert response.status_code == 200
    assert b"shoeSize" in response.content and b"Utrecht: Schoenmaat" in response.content
