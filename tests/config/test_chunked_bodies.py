"""Finding 9: a chunked body is never read as an empty one. Django sees no Content-Length and
would hand the view ``{}``; the API answers 411 with the error envelope instead."""

from __future__ import annotations

import json

import pytest

from candidates.factories import CandidateFactory
from mutations.models import Mutation

pytestmark = pytest.mark.django_db


def _chunked(client, method: str, path: str, body: dict):
    # As a WSGI server passes a chunked request: Transfer-Encoding set, no CONTENT_LENGTH.
    return client.generic(
        method,
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v2/candidates/recAAAAAAAAAAAAAA/archive", {"bogus": 1}),
        ("POST", "/api/v2/candidates", {"candidates": [{"name": 1}]}),
        ("PATCH", "/api/v2/candidates/recAAAAAAAAAAAAAA", {"bogus": 1}),
    ],
)
def test_chunked_writes_answer_411_and_queue_nothing(region, region_client, method, path, body):
    # The candidate exists, so reading the body as {} would queue an archive or a PATCH.
    CandidateFactory(region=region, record_id="recAAAAAAAAAAAAAA")
    response = _chunked(region_client, method, path, body)
    assert response.status_code == 411
    assert response.json()["error"] == {
        "code": "LENGTH_REQUIRED",
        "message": "Send the body with a Content-Length header; chunked bodies are not read.",
        "details": [],
    }
    assert not Mutation.objects.exists()


def test_chunked_public_write_is_refused_too(anon_client):
    response = _chunked(anon_client, "POST", "/api/v2/auth/verification", {"email": 1})
    assert response.status_code == 411
