"""Finding 7: mail is configured with ``EMAIL_URL`` (or the individual variables) and a
verification code arrives through every local backend: memory, console and file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from config.settings.email import email_url_settings

from .conftest import ADA

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"Je code is: ([0-9]{6})")


def _log_in_with(anon_client, email: str, code: str) -> int:
    return anon_client.post(
        "/api/v2/auth/session", {"email": email, "code": code}, format="json"
    ).status_code


def test_code_arrives_through_the_memory_backend(people, request_code, anon_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert request_code(ADA).status_code == 202
    assert mail.outbox[-1].to == [ADA]
    (code,) = CODE.findall(mail.outbox[-1].body)
    assert _log_in_with(anon_client, ADA, code) == 201


def test_code_arrives_through_the_console_backend(
    people, request_code, anon_client, settings, capsys
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert request_code(ADA).status_code == 202
    printed = capsys.readouterr().out
    assert f"To: {ADA}" in printed
    (code,) = CODE.findall(printed)
    assert _log_in_with(anon_client, ADA, code) == 201


def test_code_arrives_through_the_file_backend(
    people, request_code, anon_client, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    assert request_code(ADA).status_code == 202
    (written,) = (tmp_path / "mail").iterdir()
    text = written.read_text()
    assert f"To: {ADA}" in text
    (code,) = CODE.findall(text)
    assert _log_in_with(anon_client, ADA, code) == 201


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:s%40cret@mail.example.nl:25",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.nl",
                "EMAIL_PORT": 25,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "s@cret",
                "EMAIL_USE_TLS": False,
            },
        ),
        (
            "smtp+tls://mailer:pw@mail.example.nl:587",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.nl",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "pw",
                "EMAIL_USE_TLS": True,
            },
        ),
        ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "filemail:///var/spool/ats-mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/var/spool/ats-mail",
            },
        ),
        (
            "filemail://var/mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(ROOT / "var" / "mail"),
            },
        ),
    ],
)
def test_email_url_schemes(url, expected):
    assert email_url_settings(url) == expected


PROBE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, "
    "settings.EMAIL_HOST_PASSWORD, settings.EMAIL_USE_TLS, settings.EMAIL_FILE_PATH)"
)


def _settings_with(env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_DEBUG": "true",
            **env,
        },
    )
    return done.stdout.strip()


def test_email_url_with_an_individual_variable_overriding_it():
    assert _settings_with(
        {"EMAIL_URL": "smtp+tls://mailer@mail.example.nl:587", "EMAIL_HOST_PASSWORD": "secret"}
    ).split()[:5] == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.nl",
        "587",
        "secret",
        "True",
    ]


def test_individual_variables_still_work_without_email_url():
    assert _settings_with({"EMAIL_HOST": "smtp.example.nl", "EMAIL_PORT": "2525"}).split()[:3] == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.nl",
        "2525",
    ]
    file_backend = _settings_with(
        {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
    ).split()
    assert file_backend[-1] == str(ROOT / "var" / "mail")  # read, with a default
    spool = _settings_with(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": "/var/spool/ats-mail",
        }
    ).split()
    assert spool[-1] == "/var/spool/ats-mail"
