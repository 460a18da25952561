"""Shared set-up for the benchmarks: a throw-away Postgres database, the emulator, Django.

Benchmarks are programs, not tests: they print figures and never fail on timing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s}s")


def start_gunicorn(
    env: dict[str, str],
    *,
    port: int,
    workers: int = 2,
    threads: int = 1,
    log_level: str = "warning",
) -> subprocess.Popen[bytes]:
    """gunicorn serving the project on 127.0.0.1:port, returned once it accepts connections.
    ``threads`` > 1 selects the gthread worker (API v1's waiting requests park a thread)."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            *(["--threads", str(threads)] if threads > 1 else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            log_level,
        ],
        cwd=ROOT,
        env=env,
    )
    wait_port(port)
    return server


class PeakRss:
    """The largest peak resident set (``VmHWM``) of some child processes, polled every 0.1 s
    from ``/proc`` until ``stop()``; in MB.

    Not ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: Linux folds the resident size the child had
    before ``exec`` into it, and a forked child starts as a copy of this program, which holds
    the emulator and every record seeded into it. That figure is the benchmark's own size
    (it grew from 134 to 237 MB between a 10 000- and a 100 000-record sync while the sync
    process itself stayed at ~110 MB). ``VmHWM`` belongs to the program the child runs."""

    def __init__(self) -> None:
        self.pids: set[int] = set()
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def watch(self, process: subprocess.Popen) -> subprocess.Popen:
        self.pids.add(process.pid)
        return process

    def sample(self) -> None:
        for pid in list(self.pids):
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                self.pids.discard(pid)

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self.sample()

    def stop(self) -> float:
        self.sample()
        self._stop.set()
        self._thread.join()
        return round(self.peak_kb / 1024, 1)
