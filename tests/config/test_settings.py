"""Settings come from the environment; production fails loudly, the embedded default runs bare."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.DATABASES['default']['ENGINE']); print(settings.CELERY_BROKER_URL)"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k in {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_READ_DOT_ENV": "false",
            **env,
        },
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "AIRTABLE_TOKEN"]
)
def test_production_start_fails_naming_the_missing_variable(missing):
    complete = {
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "api.example.nl",
        "AIRTABLE_TOKEN": "pat123",
        "AIRTABLE_BASE_ID": "appAAAAAAAAAAAAAA",
        "AIRTABLE_SANDBOX_BASE_ID": "appBBBBBBBBBBBBBB",
    }
    assert _run(complete).returncode == 0, _run(complete).stderr
    result = _run({k: v for k, v in complete.items() if k != missing})
    assert result.returncode != 0
    assert f"Environment variable {missing} is not set" in result.stderr


def test_embedded_default_needs_no_server():
    result = _run({"DJANGO_DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 0, result.stderr
    engine, broker = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"


def test_embedded_default_uses_redis_when_it_answers():
    result = _run({"DJANGO_DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "redis://127.0.0.1:6379/0"
