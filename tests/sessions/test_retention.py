"""SPEC 9 retention: personal data leaves the write logs after the window, the audit skeleton
stays; stale candidates are archived through the engine; old log rows and expired codes and
sessions go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from candidates.access_log import access_log_record
from candidates.factories import CandidateFactory
from candidates.models import CandidateAccessLog, CandidateSession, VerificationCode
from candidates.retention import months_before, payload_skeleton, retention_run
from config.api.environment import SANDBOX
from mutations.models import Mutation, MutationAttempt, MutationStatus
from mutations.services import mutation_accept
from webhooks.models import Delivery, DeliveryAttempt, DeliveryKind, DeliveryStatus

pytestmark = pytest.mark.django_db

PERSON = {
    "name": "Ada de Vries",
    "email": "ada.devries@example.com",
    "phone": "+31612345678",
    "privacyConsent": True,
    "sectors": ["Primair onderwijs"],
    "customFields": {"nickname": "Adaatje"},
    "curriculumVitae": [{"url": "https://files.example.com/cv-ada.pdf", "filename": "cv-ada.pdf"}],
    "interactions": [{"type": "Telefonisch", "performedAt": "2025-03-01T09:30:00Z"}],
}
PERSONAL_VALUES = ("Ada", "devries", "612345678", "Adaatje", "cv-ada", "Telefonisch", "Primair")


def _ended_mutation(region, *, days_ago: float, status=MutationStatus.SUCCEEDED) -> Mutation:
    mutation = mutation_accept(
        region=region,
        environment="production",
        operation="candidate.create",
        payload={"candidates": [PERSON]},
        callback_url="https://hooks.example.com/cb",
    ).mutation
    finished = timezone.now() - timedelta(days=days_ago)
    Mutation.objects.filter(pk=mutation.pk).update(
        status=status,
        finished_at=finished if status != MutationStatus.QUEUED else None,
        created_at=finished - timedelta(seconds=5),
        state={"records": {"0": {"id": "recXyz0000000001", "fields": {"Naam": "Ada de Vries"}}}},
        result={"recordIds": ["recXyz0000000001"], "interactionIds": ["recInt0000000001"]},
        error={
            "code": "AIRTABLE_REJECTED",
            "message": "Invalid value 'ada.devries@example.com'",
            "retryable": False,
            "airtableErrorType": "INVALID_VALUE_FOR_COLUMN",
        },
    )
    MutationAttempt.objects.create(
        mutation=mutation,
        request_id=mutation.uuid,
        action="create",
        table="Kandidaten",
        status_code=422,
        error_message="Field 'E-mail' cannot accept 'ada.devries@example.com'",
    )
    mutation.refresh_from_db()
    return mutation


def _delivery(mutation: Mutation, *, days_ago: float, status=DeliveryStatus.DELIVERED) -> Delivery:
    delivery = Delivery.objects.create(
        kind=DeliveryKind.CALLBACK,
        region=mutation.region,
        environment="production",
        mutation=mutation,
        url="https://hooks.example.com/cb",
        status=status,
        payload={
            "mutationId": str(mutation.uuid),
            "operation": "candidate.create",
            "status": "failed",
            "sandbox": False,
            "region": mutation.region.code,
            "idempotencyKey": "signup-ada.devries@example.com",
            "result": None,
            "error": {"code": "AIRTABLE_REJECTED", "message": "Invalid value 'Ada de Vries'"},
            "attempts": 1,
            "createdAt": "2025-01-01T00:00:00Z",
            "finishedAt": "2025-01-01T00:00:05Z",
        },
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, status_code=200, response_body='{"echo": "Ada de Vries"}'
    )
    delivery.refresh_from_db()
    return delivery


def test_payload_skeleton_keeps_structure_and_ids_but_no_values():
    payload = {"candidates": [PERSON], "candidateId": "recXyz0000000001"}
    assert payload_skeleton(payload) == {
        "keys": ["candidateId", "candidates"],
        "candidateId": "recXyz0000000001",
        "candidates": [
            {
                "keys": sorted(PERSON),
                "customFields": {"keys": ["nickname"]},
                "curriculumVitae": [{"keys": ["filename", "url"]}],
                "interactions": [{"keys": ["performedAt", "type"]}],
            }
        ],
    }


def test_old_mutation_logs_lose_personal_data_but_keep_the_audit_skeleton(region):
    old = _ended_mutation(region, days_ago=31)
    failed = _ended_mutation(region, days_ago=45, status=MutationStatus.FAILED)
    recent = _ended_mutation(region, days_ago=10)
    queued = _ended_mutation(region, days_ago=40, status=MutationStatus.QUEUED)

    summary = retention_run()

    assert (summary.mutations_scrubbed, summary.mutation_attempts_scrubbed) == (2, 2)
    for mutation in (old, failed):
        before = mutation
        mutation = Mutation.objects.get(pk=before.pk)
        text = str((mutation.payload, mutation.state, mutation.error))
        text += str(list(mutation.attempt_log.values_list("error_message", flat=True)))
        for value in PERSONAL_VALUES:
            assert value not in text, value
        assert mutation.payload == {
            "scrubbed": True,
            "keys": ["candidates"],
            "candidates": [
                {
                    "keys": sorted(PERSON),
                    "customFields": {"keys": ["nickname"]},
                    "curriculumVitae": [{"keys": ["filename", "url"]}],
                    "interactions": [{"keys": ["performedAt", "type"]}],
                }
            ],
        }
        assert mutation.state == {
            "keys": ["records"],
            "records": {
                "keys": ["0"],
                "0": {
                    "keys": ["fields", "id"],
                    "id": "recXyz0000000001",
                    "fields": {"keys": ["Naam"]},
                },
            },
        }
        assert mutation.error == {
            "code": "AIRTABLE_REJECTED",
            "message": "Removed after the retention period.",
            "retryable": False,
            "airtableErrorType": "INVALID_VALUE_FOR_COLUMN",
        }
        # The audit skeleton stays.
        assert (mutation.uuid, mutation.operation, mutation.status) == (
            before.uuid,
            "candidate.create",
            before.status,
        )
        assert (mutation.created_at, mutation.finished_at) == (
            before.created_at,
            before.finished_at,
        )
        assert mutation.result == before.result
        assert mutation.scrubbed_at is not None
        attempt = mutation.attempt_log.get()
        assert (attempt.status_code, attempt.error_message) == (422, "")
    for untouched in (recent, queued):
        mutation = Mutation.objects.get(pk=untouched.pk)
        assert mutation.payload == {"candidates": [PERSON]}
        assert mutation.scrubbed_at is None
        assert "ada.devries" in mutation.attempt_log.get().error_message
    # A second run has nothing left to do.
    assert retention_run().mutations_scrubbed == 0


def test_the_window_is_a_setting(region, settings):
    settings.RETENTION_PERSONAL_DATA_DAYS = 7
    mutation = _ended_mutation(region, days_ago=8)
    assert retention_run().mutations_scrubbed == 1
    assert Mutation.objects.get(pk=mutation.pk).payload["scrubbed"] is True


def test_old_delivery_logs_lose_payload_values_and_response_bodies(region):
    mutation = _ended_mutation(region, days_ago=1)
    old = _delivery(mutation, days_ago=31)
    recent = _delivery(mutation, days_ago=3)
    pending = _delivery(mutation, days_ago=40, status=DeliveryStatus.PENDING)

    summary = retention_run()

    assert (summary.deliveries_scrubbed, summary.delivery_attempts_scrubbed) == (1, 1)
    old.refresh_from_db()
    assert old.payload == {
        "scrubbed": True,
        "mutationId": str(mutation.uuid),
        "operation": "candidate.create",
        "status": "failed",
        "sandbox": False,
        "region": "utrecht",
        "result": None,
        "error": {"code": "AIRTABLE_REJECTED"},
        "attempts": 1,
        "createdAt": "2025-01-01T00:00:00Z",
        "finishedAt": "2025-01-01T00:00:05Z",
    }
    assert (old.status, old.url) == (DeliveryStatus.DELIVERED, "https://hooks.example.com/cb")
    attempt = old.attempt_log.get()
    assert (attempt.status_code, attempt.response_body) == (200, "")
    for kept in (recent, pending):
        kept.refresh_from_db()
        assert kept.payload["idempotencyKey"] == "signup-ada.devries@example.com"
        assert kept.attempt_log.get().response_body == '{"echo": "Ada de Vries"}'
    assert retention_run().deliveries_scrubbed == 0


def test_stale_candidates_get_archive_mutations(region, other_region):
    other_region.retention_months = 6
    other_region.save()
    now = timezone.now()
    stale = CandidateFactory(
        region=region, record_id="recStale00000001", airtable_modified_at=now - timedelta(days=750)
    )
    CandidateFactory(  # 24 months are not over yet
        region=region, record_id="recFresh00000001", airtable_modified_at=now - timedelta(days=700)
    )
    stale_elsewhere = CandidateFactory(
        region=other_region,
        record_id="recStaleAms00001",
        airtable_modified_at=now - timedelta(days=200),
    )
    CandidateFactory(
        region=region,
        record_id="recArchived00001",
        archived=True,
        airtable_modified_at=now - timedelta(days=900),
    )
    CandidateFactory(
        region=region,
        environment=SANDBOX,
        record_id="recSandbox000001",
        airtable_modified_at=now - timedelta(days=900),
    )

    assert retention_run().archives_queued == 2

    mutations = Mutation.objects.order_by("sequence")
    assert [
        (m.region, m.environment, m.operation, m.payload, m.target_ids, m.ordering_keys, m.api_key)
        for m in mutations
    ] == [
        (
            other_region,
            "production",
            "candidate.archive",
            {},
            [stale_elsewhere.record_id],
            [f"candidate:production:{stale_elsewhere.record_id}"],
            None,
        ),
        (
            region,
            "production",
            "candidate.archive",
            {},
            [stale.record_id],
            [f"candidate:production:{stale.record_id}"],
            None,
        ),
    ]
    assert not stale.__class__.objects.filter(archived=True, record_id=stale.record_id).exists()
    # While those mutations are open, the next run does not queue them again.
    assert retention_run().archives_queued == 0
    assert Mutation.objects.count() == 2


def test_old_access_log_rows_and_expired_codes_and_sessions_are_deleted(region):
    now = timezone.now()
    access_log_record(route="candidates", environment="production", record_ids=["recOld", "recNew"])
    CandidateAccessLog.objects.filter(record_id="recOld").update(
        created_at=now - timedelta(days=400)
    )
    for minutes_ago in (5, 90):
        VerificationCode.objects.create(
            email="ada.devries@example.com",
            created_at=now - timedelta(minutes=minutes_ago),
            expires_at=now - timedelta(minutes=minutes_ago - 15),
        )
    CandidateSession.objects.create(
        token_hash="a" * 64, email="x@example.com", expires_at=now + timedelta(hours=1)
    )
    CandidateSession.objects.create(
        token_hash="b" * 64, email="x@example.com", expires_at=now - timedelta(seconds=1)
    )

    out = StringIO()
    call_command("run_retention", stdout=out)

    assert out.getvalue().strip() == (
        "retention: scrubbed 0 mutations (0 attempts) and 0 deliveries (0 attempts); queued 0 "
        "archive mutations for stale candidates; deleted 0 feed events, 1 access-log rows, "
        "1 codes and "
        "1 sessions"
    )
    assert list(CandidateAccessLog.objects.values_list("record_id", flat=True)) == ["recNew"]
    # A code is kept for the hour it counts towards the quota, though it expired after 15 min.
    assert VerificationCode.objects.count() == 1
    assert list(CandidateSession.objects.values_list("token_hash", flat=True)) == ["a" * 64]


def test_sessions_only_command_is_the_hourly_job(region):
    now = timezone.now()
    CandidateSession.objects.create(
        token_hash="b" * 64, email="x@example.com", expires_at=now - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("run_retention", "--sessions-only", stdout=out)
    assert out.getvalue().strip() == "sessions: deleted 0 codes and 1 sessions"


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2025, 3, 31, 12, tzinfo=UTC), 1, datetime(2025, 2, 28, 12, tzinfo=UTC)),
        (datetime(2025, 3, 15, tzinfo=UTC), 24, datetime(2023, 3, 15, tzinfo=UTC)),
        (datetime(2025, 1, 10, tzinfo=UTC), 13, datetime(2023, 12, 10, tzinfo=UTC)),
    ],
)
def test_months_before_is_calendar_arithmetic(moment, months, expected):
    assert months_before(moment, months) == expected


def test_beat_runs_retention_daily_and_session_cleanup_hourly(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["retention"]["task"] == "candidates.retention.run_retention"
    assert schedule["clean-up-sessions"] == {
        "task": "candidates.auth.tasks.clean_up_sessions",
        "schedule": 3600.0,
    }
    assert {"candidates.auth.tasks", "candidates.retention"} <= set(settings.CELERY_IMPORTS)
