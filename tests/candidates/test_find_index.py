"""SPEC 13: find by email or phone is index-backed on a 100 000-candidate mirror."""

from __future__ import annotations

import pytest
from django.db import connection

from candidates.models import Candidate
from candidates.selectors import candidate_find, candidate_list

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

ROWS = 100_000


def _fill(region) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO candidates_candidate (
                record_id, environment, region_id, name, email, phone, phone_digits,
                privacy_consent, phase, sectors, roles, qualifications, prior_education,
                linkedin, date_of_birth, motivation, notes, exit_reason, address, city,
                postal_code, source, external_id, custom_fields, archived, mutation_key,
                airtable_created_at, airtable_modified_at, mirrored_at)
            SELECT 'rec' || lpad(n::text, 14, '0'),
                   CASE WHEN n %% 10 = 0 THEN 'sandbox' ELSE 'production' END, %s,
                   'Kandidaat ' || n, 'kandidaat' || n || '@example.com',
                   '+316' || lpad(n::text, 8, '0'), '316' || lpad(n::text, 8, '0'),
                   true, 'nieuw', '[]', '[]', '[]', '', '', NULL, '', '', '', '', '', '', '',
                   '', '{}', n %% 50 = 0, '', now() - n * interval '1 minute', now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [region.pk, ROWS],
        )
        cursor.execute("ANALYZE candidates_candidate")


def _plan(queryset) -> str:
    return queryset.explain()


def test_find_uses_the_email_and_phone_indexes(region, region_client):
    _fill(region)
    assert Candidate.objects.count() == ROWS
    table = Candidate._meta.db_table

    by_email = _plan(
        candidate_find(region=region, environment="production", email="Kandidaat4242@Example.com")
    )
    assert "candidate_email_idx" in by_email, by_email
    assert "Index Scan" in by_email  # plain or bitmap
    assert f"Seq Scan on {table}" not in by_email, by_email

    by_phone = _plan(candidate_find(region=region, environment="production", phone="06 0000 4242"))
    assert "candidate_phone_idx" in by_phone, by_phone
    assert f"Seq Scan on {table}" not in by_phone, by_phone

    first_page = _plan(candidate_list(region=region, environment="production")[:101])
    assert "candidate_listing_idx" in first_page, first_page
    assert f"Seq Scan on {table}" not in first_page, first_page

    found = region_client.get("/api/v2/candidates/find?phone=%2B31600004242").json()["data"]
    assert [c["email"] for c in found] == ["kandidaat4242@example.com"]
