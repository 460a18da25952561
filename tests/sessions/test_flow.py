"""SPEC 7: verification code → session → the person's own records, and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from candidates.auth.tokens import hash_token
from candidates.models import CandidateSession, VerificationCode
from candidates.serializers import SHARED_OUTPUT_FIELDS, CandidateRenderer, api_datetime
from mutations.models import Mutation, MutationStatus

from .conftest import ADA, BOB, REQUEST_ID, code_from

pytestmark = pytest.mark.django_db

ACCEPTED = {
    "data": {
        "status": "accepted",
        "message": (
            "If this address belongs to a candidate, a 6-digit code is on its way by email. "
            "It is valid for 15 minutes."
        ),
    },
    "meta": {"requestId": REQUEST_ID, "sandbox": False},
}


def _error(code: str, message: str, details: list | None = None) -> dict:
    return {"code": code, "message": message, "details": details or []}


def _session_for(client: APIClient, email: str, code: str):
    return client.post("/api/v2/auth/session", {"email": email, "code": code}, format="json")


def test_full_flow_lists_the_persons_records_in_every_region(people, request_code, anon_client):
    response = request_code(ADA.upper())  # any case
    assert response.status_code == 202
    assert response.json() == ACCEPTED

    [message] = mail.outbox
    assert message.to == [ADA]
    assert message.subject == "Je inlogcode voor Onderwijsregio"
    code = code_from(message)
    assert "15 minuten geldig" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and code in html and 'lang="nl"' in html
    # Only the HMAC of the code is stored.
    stored = VerificationCode.objects.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64

    response = _session_for(anon_client, ADA, code)
    assert response.status_code == 201
    session = CandidateSession.objects.get()
    token = response.json()["data"]["token"]
    assert response.json()["data"] == {
        "token": token,
        "expiresAt": api_datetime(session.expires_at),
    }
    assert token.startswith("cst_") and len(token) == 4 + 43  # 32 random bytes
    assert session.token_hash == hash_token(token) and token not in session.token_hash
    assert session.expires_at - session.created_at == timedelta(hours=24)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v2/auth/candidates/me")
    assert response.status_code == 200
    renderer = CandidateRenderer(SHARED_OUTPUT_FIELDS)
    assert response.json() == {
        "data": [renderer.render(people.ada_utrecht), renderer.render(people.ada_amsterdam)],
        "meta": {"requestId": response["x-request-id"], "sandbox": False, "cursor": None},
    }
    assert [(c["id"], c["region"], c["archived"]) for c in response.json()["data"]] == [
        ("recAdaUtrecht0001", "utrecht", False),
        ("recAdaAmsterdam01", "amsterdam", True),
    ]


def test_the_mail_leaves_after_the_response_not_during_it(
    people, anon_client, code_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post("/api/v2/auth/verification", {"email": ADA}, format="json")
    assert response.status_code == 202
    assert mail.outbox == []
    assert len(code_worker.queued) == 1
    assert code_worker.run() == 1
    assert len(mail.outbox) == 1


def test_unknown_email_gets_the_same_answer_and_no_mail(people, request_code):
    known = request_code(ADA)
    unknown = request_code("nobody@example.net")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert known.json() == ACCEPTED
    assert [m.to for m in mail.outbox] == [[ADA]]
    # Both requests did the same work: one row each; only the known one has a code.
    assert sorted(bool(c.code_hash) for c in VerificationCode.objects.all()) == [False, True]


def test_fourth_code_within_an_hour_is_not_sent_but_answered_the_same(people, request_code):
    responses = [request_code(ADA) for _ in range(4)]
    assert [r.status_code for r in responses] == [202] * 4
    assert {r.content for r in responses} == {responses[0].content}
    assert len(mail.outbox) == 3
    # An hour later the quota is free again.
    VerificationCode.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    request_code(ADA)
    assert len(mail.outbox) == 4


def test_region_hint_limits_where_the_email_is_looked_for(people, request_code, other_region):
    assert request_code(BOB, region="amsterdam").json() == ACCEPTED
    assert mail.outbox == []
    assert request_code(BOB, region="utrecht").json() == ACCEPTED
    assert [m.to for m in mail.outbox] == [[BOB]]
    assert request_code(ADA, region=str(other_region.pk)).json() == ACCEPTED
    assert [m.to for m in mail.outbox] == [[BOB], [ADA]]


def test_sandbox_codes_are_for_sandbox_records_only(people, request_code, anon_client):
    request_code(BOB, client=APIClient(HTTP_X_API_SANDBOX="true"))
    assert mail.outbox == []  # Bob has no sandbox record
    with_header = APIClient(HTTP_X_API_SANDBOX="true")
    request_code(ADA, client=with_header)
    code = code_from(mail.outbox[-1])
    # The code (and the session) belong to the sandbox.
    assert _session_for(anon_client, ADA, code).status_code == 401
    response = with_header.post(
        "/api/sandbox/auth/session", {"email": ADA, "code": code}, format="json"
    )
    assert response.status_code == 201
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['token']}")
    listed = client.get("/api/sandbox/auth/candidates/me")
    assert [c["id"] for c in listed.json()["data"]] == ["recAdaSandbox0001"]
    assert client.get("/api/v2/auth/candidates/me").status_code == 401


def test_five_wrong_codes_invalidate_the_code(people, request_code, anon_client):
    request_code(ADA)
    code = code_from(mail.outbox[-1])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = _session_for(anon_client, ADA, wrong)
        assert response.status_code == 401
        assert response.json()["error"] == _error(
            "UNAUTHENTICATED", "The code is wrong, expired or already used."
        )
    assert _session_for(anon_client, ADA, code).status_code == 401
    row = VerificationCode.objects.get()
    assert row.failed_attempts == 5 and row.invalidated_at is not None
    assert not CandidateSession.objects.exists()


def test_unknown_email_costs_the_same_tries(people, request_code, anon_client):
    request_code("nobody@example.net")
    for _ in range(5):
        assert _session_for(anon_client, "nobody@example.net", "123456").status_code == 401
    row = VerificationCode.objects.get()
    assert row.failed_attempts == 5 and row.invalidated_at is not None


def test_expired_code_is_refused(people, request_code, anon_client):
    request_code(ADA)
    code = code_from(mail.outbox[-1])
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _session_for(anon_client, ADA, code).status_code == 401


def test_a_code_works_once(people, request_code, anon_client):
    request_code(ADA)
    code = code_from(mail.outbox[-1])
    assert _session_for(anon_client, ADA, code).status_code == 201
    assert _session_for(anon_client, ADA, code).status_code == 401


def test_a_newer_code_replaces_the_older(people, request_code, anon_client):
    request_code(ADA)
    first = code_from(mail.outbox[-1])
    request_code(ADA)
    second = code_from(mail.outbox[-1])
    if first != second:
        assert _session_for(anon_client, ADA, first).status_code == 401
    assert _session_for(anon_client, ADA, second).status_code == 201


def test_code_for_another_email_does_not_open_a_session(people, request_code, anon_client):
    request_code(ADA)
    code = code_from(mail.outbox[-1])
    assert _session_for(anon_client, BOB, code).status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "details"),
    [
        (
            "/api/v2/auth/verification",
            {"email": "not-an-email"},
            [{"field": "email", "message": "Enter a valid email address."}],
        ),
        (
            "/api/v2/auth/verification",
            {"email": ADA, "region": "nowhere"},
            [{"field": "region", "message": "Unknown region."}],
        ),
        (
            "/api/v2/auth/verification",
            {"email": ADA, "phone": "0612345678"},
            [{"field": "phone", "message": "Unknown member."}],
        ),
        (
            "/api/v2/auth/session",
            {"email": ADA, "code": "12a456"},
            [{"field": "code", "message": "Six digits, as in the email."}],
        ),
        (
            "/api/v2/auth/session",
            {"code": 123456},
            [
                {"field": "email", "message": "Required."},
                {"field": "code", "message": "Six digits, as in the email."},
            ],
        ),
    ],
)
def test_malformed_input_is_422(people, anon_client, path, body, details):
    response = anon_client.post(path, body, format="json")
    assert response.status_code == 422
    assert response.json()["error"] == _error(
        "VALIDATION_FAILED", "The request body is not valid.", details
    )


def test_expired_session_is_refused(people, log_in):
    client, _ = log_in(ADA)
    assert client.get("/api/v2/auth/candidates/me").status_code == 200
    CandidateSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v2/auth/candidates/me")
    assert response.status_code == 401
    assert response.json()["error"] == _error(
        "UNAUTHENTICATED", "The session token is unknown, expired or logged out."
    )


def test_logout_kills_the_token_at_once(people, log_in):
    client, _ = log_in(ADA)
    response = client.delete("/api/v2/auth/session")
    assert response.status_code == 200
    assert response.json() == {
        "data": {"loggedOut": True},
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }
    assert not CandidateSession.objects.exists()
    assert client.get("/api/v2/auth/candidates/me").status_code == 401
    assert client.delete("/api/v2/auth/session").status_code == 401


def test_session_endpoints_need_a_session(people, anon_client, region_client):
    for client in (anon_client, region_client):
        for path in ("/api/v2/auth/candidates/me", "/api/v2/auth/candidates/me/export"):
            response = client.get(path)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        assert client.delete("/api/v2/auth/session").status_code == 401
    garbage = APIClient(HTTP_AUTHORIZATION="Bearer cst_not-a-token")
    assert garbage.get("/api/v2/auth/candidates/me").status_code == 401


def test_session_reads_only_its_own_candidates(people, log_in):
    client, _ = log_in(ADA)
    own = client.get("/api/v2/candidates/recAdaAmsterdam01?includeInteractions=true")
    assert own.status_code == 200
    assert own.json()["data"]["id"] == "recAdaAmsterdam01"
    assert own.json()["data"]["interactions"] == []
    for foreign in ("recBobUtrecht0001", "recAdaSandbox0001", "recMissing000001"):
        response = client.get(f"/api/v2/candidates/{foreign}")
        assert response.status_code == 404
        assert response.json()["error"] == _error("NOT_FOUND", "No such candidate.")


def test_session_cannot_use_key_only_operations(people, log_in):
    client, _ = log_in(ADA)
    own = "/api/v2/candidates/recAdaUtrecht0001"
    for method, path in [
        ("get", "/api/v2/candidates"),
        ("get", f"/api/v2/candidates/find?email={ADA}"),
        ("get", f"{own}/interactions"),
        ("delete", own),
        ("post", f"{own}/archive"),
        ("get", "/api/v2/regions/me"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, (method, path)
    assert not Mutation.objects.exists()


def test_session_may_change_only_consent(people, log_in):
    client, _ = log_in(ADA)
    own = "/api/v2/candidates/recAdaUtrecht0001"
    response = client.patch(own, {"name": "Ada Lovelace"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"] == _error(
        "VALIDATION_FAILED",
        "The request body is not valid.",
        [
            {"field": "name", "message": "A candidate session may change only privacyConsent."},
            {"field": "privacyConsent", "message": "Required: true or false."},
        ],
    )
    response = client.patch(own, {"privacyConsent": False, "phone": "0612345678"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "phone", "message": "A candidate session may change only privacyConsent."}
    ]
    response = client.patch(own, {"privacyConsent": "no"}, format="json")
    assert response.status_code == 422
    response = client.patch(
        "/api/v2/candidates/recBobUtrecht0001", {"privacyConsent": False}, format="json"
    )
    assert response.status_code == 404
    assert not Mutation.objects.exists()


def test_withdrawing_consent_queues_update_then_archive(people, log_in, region):
    client, _ = log_in(ADA)
    response = client.patch(
        "/api/v2/candidates/recAdaUtrecht0001", {"privacyConsent": False}, format="json"
    )
    assert response.status_code == 202
    update, archive = Mutation.objects.order_by("sequence")
    assert response.json() == {
        "data": {
            "mutationId": str(archive.uuid),
            "status": "queued",
            "operation": "candidate.archive",
            "idempotencyKey": None,
            "callbackUrl": None,
            "links": {"self": f"http://testserver/api/v2/mutations/{archive.uuid}"},
        },
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }
    assert response["Location"] == f"http://testserver/api/v2/mutations/{archive.uuid}"
    key = "candidate:production:recAdaUtrecht0001"
    for mutation, operation, payload in [
        (update, "candidate.update", {"fields": {"privacyConsent": False}}),
        (archive, "candidate.archive", {}),
    ]:
        assert (mutation.operation, mutation.payload, mutation.target_ids) == (
            operation,
            payload,
            ["recAdaUtrecht0001"],
        )
        assert (mutation.region, mutation.environment, mutation.api_key) == (
            region,
            "production",
            None,
        )
        assert mutation.ordering_keys == [key]
        assert mutation.status == MutationStatus.QUEUED
    # Giving consent again is one update, no unarchive.
    response = client.patch(
        "/api/v2/candidates/recAdaAmsterdam01", {"privacyConsent": True}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["data"]["operation"] == "candidate.update"
    assert Mutation.objects.count() == 3


def test_api_keys_keep_working_on_the_session_routes(people, region_client):
    response = region_client.get("/api/v2/candidates/recBobUtrecht0001")
    assert response.status_code == 200
    assert region_client.get("/api/v2/candidates/recAdaAmsterdam01").status_code == 404
    response = region_client.patch(
        "/api/v2/candidates/recBobUtrecht0001", {"city": "Zeist"}, format="json"
    )
    assert response.status_code == 202
    assert Mutation.objects.get().payload == {"fields": {"city": "Zeist"}}


def test_verification_is_throttled_per_email(people, request_code, monkeypatch):
    from candidates.apis import session as session_apis

    monkeypatch.setattr(session_apis.VERIFICATION_PER_EMAIL, "capacity", 2)
    assert request_code(ADA).status_code == 202
    assert request_code(ADA.upper()).status_code == 202
    limited = request_code(ADA)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited["Retry-After"]) >= 1
    assert request_code(BOB).status_code == 202  # another address has its own bucket


def test_verification_is_throttled_per_ip(people, request_code, monkeypatch):
    from candidates.apis import session as session_apis

    monkeypatch.setattr(session_apis.VERIFICATION_PER_IP, "capacity", 3)
    emails = [f"person{i}@example.com" for i in range(4)]
    assert [request_code(email).status_code for email in emails] == [202, 202, 202, 429]
    other_ip = APIClient(REMOTE_ADDR="192.0.2.7")
    assert request_code("person9@example.com", client=other_ip).status_code == 202


def test_session_exchange_is_throttled_per_ip(people, anon_client, monkeypatch):
    from candidates.apis import session as session_apis

    monkeypatch.setattr(session_apis.SESSION_PER_IP, "capacity", 3)
    statuses = [
        _session_for(anon_client, f"p{i}@example.com", "123456").status_code for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def _queries(client: APIClient, path: str, body: dict) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.post(path, body, format="json").status_code
    # The statements' shapes, without their parameters.
    return status, [
        re.sub(r"\d+", "N", re.sub(r"'[^']*'", "?", q["sql"])) for q in captured.captured_queries
    ]


def test_known_and_unknown_emails_cost_the_same_database_work(
    people, anon_client, code_worker, django_capture_on_commit_callbacks
):
    for email in (ADA, "nobody@example.net"):  # a first request for each, so both have rows
        with django_capture_on_commit_callbacks(execute=True):
            anon_client.post("/api/v2/auth/verification", {"email": email}, format="json")
    code_worker.run()
    verification = "/api/v2/auth/verification"
    assert _queries(anon_client, verification, {"email": ADA}) == _queries(
        anon_client, verification, {"email": "nobody@example.net"}
    )
    session = "/api/v2/auth/session"
    known = _queries(anon_client, session, {"email": ADA, "code": "000000"})
    unknown = _queries(anon_client, session, {"email": "nobody@example.net", "code": "000000"})
    assert known[0] == unknown[0] == 401
    assert known == unknown
