"""Shared set-up for the benchmarks: a throw-away Postgres database, the emulator, Django.

Benchmarks are programs, not tests: they print figures and never fail on timing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "ats_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TOKEN = "bench-token"


def ensure_database(name: str = BENCH_DB) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def configure_environment(
    *,
    airtable_url: str,
    base_id: str,
    sandbox_base_id: str,
    extra: dict[str, str] | None = None,
    database: str = BENCH_DB,
) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_READ_DOT_ENV": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": ensure_database(database),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "AIRTABLE_API_URL": airtable_url,
        "AIRTABLE_CONTENT_URL": airtable_url,
        "AIRTABLE_TOKEN": TOKEN,
        "AIRTABLE_BASE_ID": base_id,
        "AIRTABLE_SANDBOX_BASE_ID": sandbox_base_id,
        "CALLBACK_ALLOW_PRIVATE_HOSTS": "true",
        "LOG_LEVEL": "ERROR",
        # The benchmark measures the engine, not our own per-key API limit.
        "API_RATE_LIMIT_PER_S": "100000",
        "API_RATE_LIMIT_BURST": "100000",
        **(extra or {}),
    }
    os.environ.update(env)
    return env


def setup_django(*, fresh: bool = True) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    if fresh:
        call_command("flush", verbosity=0, interactive=False)
