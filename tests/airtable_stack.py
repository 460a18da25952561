"""The one seam to Airtable for engine, sync and callback tests: the local emulator over HTTP.

``AirtableStack`` points the gateway at a live emulator, with fresh production and sandbox
bases (random ids, so Redis limiter keys never collide between tests or xdist workers) laid
out by the same bootstrap code operators run against a real base.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from airtable.emulator import EmulatorServer
from airtable.gateway import gateway_for_environment
from airtable.layout import layout_bootstrap
from candidates.airtable_layout import build_base_layout
from config.api.environment import PRODUCTION, SANDBOX

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-airtable-token"


def random_base_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "app" + "".join(secrets.choice(alphabet) for _ in range(14))


@dataclass
class AirtableStack:
    emulator: EmulatorServer
    base_ids: dict[str, str]

    @property
    def base_id(self) -> str:
        return self.base_ids[PRODUCTION]

    def records(self, table: str, environment: str = PRODUCTION) -> list[dict[str, Any]]:
        return self.emulator.records(self.base_ids[environment], table)

    def remove_select_option(
        self, table: str, column: str, option: str, environment: str = PRODUCTION
    ) -> None:
        """What a staff member does in Airtable's UI (the API cannot): drop a select option."""
        store = self.emulator.store
        with store.lock:
            base = store._require_base(self.base_ids[environment])
            fld = next(
                f for f in store._resolve_table(base, table)["fields"] if f["name"] == column
            )
            choices = fld["options"]["choices"]
            choices[:] = [c for c in choices if c["name"] != option]

    def bootstrap(self) -> None:
        layout = build_base_layout()
        for environment in (PRODUCTION, SANDBOX):
            summary = layout_bootstrap(gateway_for_environment(environment), layout)
            assert summary.complete, summary.remaining

    def subprocess_env(self) -> dict[str, str]:
        """Environment for a worker process that shares this test's database and bases."""
        db = connection.settings_dict
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DJANGO_READ_DOT_ENV": "false",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "AIRTABLE_API_URL": settings.AIRTABLE_API_URL,
            "AIRTABLE_CONTENT_URL": settings.AIRTABLE_CONTENT_URL,
            "AIRTABLE_TOKEN": settings.AIRTABLE_TOKEN,
            "AIRTABLE_BASE_ID": self.base_ids[PRODUCTION],
            "AIRTABLE_SANDBOX_BASE_ID": self.base_ids[SANDBOX],
            "AIRTABLE_REQUESTS_PER_S": str(settings.AIRTABLE_REQUESTS_PER_S),
            "AIRTABLE_READ_TIMEOUT_S": str(settings.AIRTABLE_READ_TIMEOUT_S),
            "CALLBACK_ALLOW_PRIVATE_HOSTS": "true",
            "LOG_LEVEL": "WARNING",
        }

    def start_engine_process(
        self, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_engine", *args],
            cwd=ROOT,
            env={**self.subprocess_env(), **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
