"""No verification code, session token or API key ever reaches a log line — neither the log
records (caplog) nor what the project's JSON handler writes, SQL logging included."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from .conftest import ADA, code_from

pytestmark = pytest.mark.django_db

LOGGERS = ("", "django", "django.request", "django.db.backends", "celery", "candidates")


@pytest.fixture
def rendered_logs(caplog):
    """Everything logged at DEBUG, as the project's console handler would render it."""
    project_handler = next(
        h
        for h in logging.getLogger().handlers
        if type(h.formatter).__name__ == "ProcessorFormatter"
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(project_handler.formatter)
    handler.setLevel(logging.DEBUG)
    levels = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger=name)
    logging.getLogger().addHandler(handler)
    connection.force_debug_cursor = True  # SQL with its parameters, as under DEBUG
    try:
        yield stream
    finally:
        connection.force_debug_cursor = False
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _appears(secret: str, text: str) -> bool:
    # Six digits may occur inside a longer number or hash by chance; a code is a whole token.
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is not None


def test_codes_tokens_and_keys_stay_out_of_every_log_line(
    people, request_code, anon_client, region_key, region_client, rendered_logs, caplog
):
    request_code(ADA)
    code = code_from(mail.outbox[-1])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert (
        anon_client.post(
            "/api/v2/auth/session", {"email": ADA, "code": wrong}, format="json"
        ).status_code
        == 401
    )
    response = anon_client.post("/api/v2/auth/session", {"email": ADA, "code": code}, format="json")
    token = response.json()["data"]["token"]
    session = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert session.get("/api/v2/auth/candidates/me").status_code == 200
    assert session.get("/api/v2/auth/candidates/me/export").status_code == 200
    assert session.get("/api/v2/candidates/recBobUtrecht0001").status_code == 404
    assert (
        session.patch(
            "/api/v2/candidates/recAdaUtrecht0001", {"privacyConsent": False}, format="json"
        ).status_code
        == 202
    )
    assert session.delete("/api/v2/auth/session").status_code == 200
    assert session.get("/api/v2/auth/candidates/me").status_code == 401
    assert region_client.get("/api/v2/candidates/recBobUtrecht0001").status_code == 200
    assert (
        APIClient(HTTP_X_API_KEY=region_key.full_key + "x").get("/api/v2/regions/me").status_code
        == 401
    )

    rendered = rendered_logs.getvalue()
    records = "\n".join(
        f"{r.getMessage()} {r.msg!r} {r.args!r} {getattr(r, 'sql', '')} {getattr(r, 'params', '')}"
        for r in caplog.records
    )
    assert "verification.code_sent" in rendered and "session.created" in rendered
    assert "candidates_candidatesession" in rendered  # SQL was captured too
    key_secret = region_key.full_key.split(".", 1)[1]
    for text in (rendered, records):
        for secret in (code, wrong):
            assert not _appears(secret, text), secret
        for secret in (token, token.removeprefix("cst_"), region_key.full_key, key_secret):
            assert secret not in text
    # Nor personal data in the application's own lines (SQL debug output carries parameters).
    application = [line for line in rendered.splitlines() if "django.db.backends" not in line]
    assert application and not any(ADA in line for line in application)
