"""Candidate-session seams: people in the mirror, the code-mailing worker run explicitly, and
clients that walk the verification flow."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from rest_framework.test import APIClient

from candidates.apis import session as session_apis
from candidates.auth import services as auth_services
from candidates.factories import CandidateFactory
from candidates.models import Candidate
from config.api.environment import SANDBOX

ADA = "ada.devries@example.com"
BOB = "bob.jansen@example.org"
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
REQUEST_ID = "same-request-id"
_CODE_IN_MAIL = re.compile(r"Je code is: ([0-9]{6})")


@pytest.fixture(autouse=True)
def _private_auth_buckets(monkeypatch):
    # The auth throttles live in the shared Redis: give each test its own buckets.
    run = uuid.uuid4().hex
    for name in (
        "VERIFICATION_PER_IP",
        "VERIFICATION_PER_EMAIL",
        "SESSION_PER_IP",
        "SESSION_PER_EMAIL",
    ):
        bucket = getattr(session_apis, name)
        monkeypatch.setattr(bucket, "namespace", f"{bucket.namespace}-{run}")


@dataclass
class CodeWorker:
    """Stands in for the Celery worker: collects enqueued code deliveries, runs them on demand."""

    queued: list[int] = field(default_factory=list)

    def run(self) -> int:
        sent = 0
        while self.queued:
            sent += auth_services.verification_code_deliver(code_id=self.queued.pop(0))
        return sent


@pytest.fixture
def code_worker(monkeypatch) -> CodeWorker:
    worker = CodeWorker()
    monkeypatch.setattr(auth_services, "_enqueue_delivery", worker.queued.append)
    return worker


@dataclass
class People:
    ada_utrecht: Candidate
    ada_amsterdam: Candidate
    ada_sandbox: Candidate
    bob: Candidate


@pytest.fixture
def people(region, other_region) -> People:
    """Ada has records in two regions (and one in the sandbox); Bob has one in Utrecht."""
    return People(
        ada_utrecht=CandidateFactory(
            region=region,
            record_id="recAdaUtrecht0001",
            name="Ada de Vries",
            email=ADA,
            airtable_created_at=T0,
            airtable_modified_at=T0 + timedelta(days=1),
        ),
        ada_amsterdam=CandidateFactory(
            region=other_region,
            record_id="recAdaAmsterdam01",
            name="Ada de Vries",
            email=ADA,
            archived=True,
            airtable_created_at=T0 + timedelta(days=3),
            airtable_modified_at=T0 + timedelta(days=4),
        ),
        ada_sandbox=CandidateFactory(
            region=region,
            environment=SANDBOX,
            record_id="recAdaSandbox0001",
            email=ADA,
            airtable_created_at=T0,
            airtable_modified_at=T0,
        ),
        bob=CandidateFactory(
            region=region,
            record_id="recBobUtrecht0001",
            name="Bob Jansen",
            email=BOB,
            airtable_created_at=T0 + timedelta(days=2),
            airtable_modified_at=T0 + timedelta(days=2),
        ),
    )


def code_from(message: mail.EmailMessage) -> str:
    match = _CODE_IN_MAIL.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def request_code(anon_client, code_worker, django_capture_on_commit_callbacks) -> Callable:
    """POST /auth/verification, then let the worker run; returns the response."""

    def post(email: str, *, client: APIClient | None = None, **extra) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or anon_client).post(
                "/api/v2/auth/verification",
                {"email": email, **extra},
                format="json",
                HTTP_X_REQUEST_ID=REQUEST_ID,
            )
        code_worker.run()
        return response

    return post


@pytest.fixture
def log_in(anon_client, request_code) -> Callable[[str], tuple[APIClient, str]]:
    """The whole flow for a known email: a client carrying the session token, and the token."""

    def flow(email: str) -> tuple[APIClient, str]:
        already = len(mail.outbox)
        assert request_code(email).status_code == 202
        assert len(mail.outbox) == already + 1
        response = anon_client.post(
            "/api/v2/auth/session",
            {"email": email, "code": code_from(mail.outbox[-1])},
            format="json",
        )
        assert response.status_code == 201, response.content
        token = response.json()["data"]["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client, token

    return flow
