"""Who read which candidate: one row per candidate per successful read, ids only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.utils import timezone

from candidates.access_log import access_log_prune, access_log_record
from candidates.factories import InteractionFactory
from candidates.models import CandidateAccessLog, CandidateSession

from .conftest import ADA, BOB

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    return list(
        CandidateAccessLog.objects.order_by("pk").values_list(
            "route", "record_id", "api_key_id", "session_id", "environment"
        )
    )


def test_key_reads_are_logged_per_candidate(people, region_client, region_key, region):
    InteractionFactory(candidate=people.bob, record_id="recIntBob00000001")
    key = region_key.api_key.pk
    reads = [
        "/api/v2/candidates?fields=name",
        f"/api/v2/candidates/find?email={BOB}",
        "/api/v2/candidates/recBobUtrecht0001?includeInteractions=true",
        "/api/v2/candidates/recBobUtrecht0001/interactions",
        "/api/v2/interactions/recIntBob00000001",
    ]
    for path in reads:
        assert region_client.get(path, HTTP_X_REQUEST_ID="read-1").status_code == 200, path
    assert _rows() == [
        ("candidates", "recAdaUtrecht0001", key, None, "production"),
        ("candidates", "recBobUtrecht0001", key, None, "production"),
        ("candidates-find", "recBobUtrecht0001", key, None, "production"),
        ("candidate-detail", "recBobUtrecht0001", key, None, "production"),
        ("candidate-interactions", "recBobUtrecht0001", key, None, "production"),
        ("interaction-detail", "recBobUtrecht0001", key, None, "production"),
    ]
    row = CandidateAccessLog.objects.first()
    assert (row.region_id, row.request_id) == (region.pk, "read-1")
    # Never the values searched for.
    stored = " ".join(str(v) for v in CandidateAccessLog.objects.values_list())
    assert BOB not in stored and "email" not in stored


def test_misses_and_writes_are_not_logged(people, region_client):
    assert region_client.get("/api/v2/candidates/recAdaAmsterdam01").status_code == 404
    assert region_client.get("/api/v2/candidates/find?email=x@example.com").status_code == 200
    assert (
        region_client.patch(
            "/api/v2/candidates/recBobUtrecht0001", {"city": "Zeist"}, format="json"
        ).status_code
        == 202
    )
    assert _rows() == []


def test_session_reads_are_logged_with_the_session(people, log_in):
    client, _ = log_in(ADA)
    session = CandidateSession.objects.get().pk
    assert client.get("/api/v2/auth/candidates/me").status_code == 200
    assert client.get("/api/v2/auth/candidates/me/export").status_code == 200
    assert client.get("/api/v2/candidates/recAdaAmsterdam01").status_code == 200
    assert _rows() == [
        ("auth-candidates-me", "recAdaUtrecht0001", None, session, "production"),
        ("auth-candidates-me", "recAdaAmsterdam01", None, session, "production"),
        ("auth-candidates-me-export", "recAdaUtrecht0001", None, session, "production"),
        ("auth-candidates-me-export", "recAdaAmsterdam01", None, session, "production"),
        ("candidate-detail", "recAdaAmsterdam01", None, session, "production"),
    ]


def test_a_page_is_one_insert(people, region_client, django_assert_num_queries):
    region_client.get("/api/v2/candidates")  # warm the key's last-used stamp
    CandidateAccessLog.objects.all().delete()
    # key, candidates (with their attachments on Postgres; a prefetch elsewhere), the log insert
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        assert region_client.get("/api/v2/candidates").status_code == 200
    assert CandidateAccessLog.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_one_read_row_is_one_round_trip_without_begin_and_commit(region):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        written = access_log_record(
            route="candidates-find",
            environment="production",
            record_ids=["recOne0000000001"],
            region_id=region.pk,
        )
    assert written == 1
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    assert CandidateAccessLog.objects.get().record_id == "recOne0000000001"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_of_rows_is_one_insert_without_begin_and_commit(region):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ids = [f"recPage{n:09d}" for n in range(100)]
    with CaptureQueriesContext(connection) as captured:
        written = access_log_record(
            route="candidates", environment="production", record_ids=ids, region_id=region.pk
        )
    assert written == 100
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    rows = CandidateAccessLog.objects.order_by("pk")
    assert [r.record_id for r in rows] == ids  # in response order
    assert {(r.route, r.environment, r.region_id, r.api_key_id, r.request_id) for r in rows} == {
        ("candidates", "production", region.pk, None, "")
    }


def test_access_log_admin_is_for_superusers_only(people, client, admin_client):
    access_log_record(route="candidate-detail", environment="production", record_ids=["recX"])
    changelist = "/admin/candidates/candidateaccesslog/"
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get("/admin/candidates/candidateaccesslog/add/").status_code == 403
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    # Even an explicit permission does not open it to non-superusers.
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="candidateaccesslog"))
    client.force_login(staff)
    assert client.get(changelist).status_code == 403
    assert b"candidateaccesslog" not in client.get("/admin/").content


def test_old_rows_are_pruned_after_a_year(people):
    access_log_record(route="candidates", environment="production", record_ids=["recOld", "recNew"])
    now = timezone.now()
    CandidateAccessLog.objects.filter(record_id="recOld").update(
        created_at=now - timedelta(days=366)
    )
    CandidateAccessLog.objects.filter(record_id="recNew").update(
        created_at=now - timedelta(days=300)
    )
    assert access_log_prune(now=now) == 1
    assert list(CandidateAccessLog.objects.values_list("record_id", flat=True)) == ["recNew"]
