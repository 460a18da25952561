"""API v1 benchmark (SPEC 14): ``create-user`` waits for its mutation; does that starve v2?

    .venv/bin/python bench/v1.py [--seconds 30] [--v1-rate 5] [--v2-rate 100]
                                 [--airtable-rps 10] [--json]

gunicorn (2 workers × 8 threads, the same in both phases) serves the API; one engine process
(``manage.py run_engine``) writes production to the emulator. Phase 1: v2 accept traffic only
(``POST /api/sandbox/candidates`` at 100 req/s from ``hey``; the sandbox base is not drained,
as in bench/api.py, so Airtable's budget plays no part in it). Phase 2: the same, plus v1
``create-user`` at 5 req/s, each with its own email (a Python generator at fixed arrival
times: hey repeats one body, which would make every request an update of one person and
serialise them). Printed: v1 latency p50/p99 and statuses (201 = answered synchronously,
202 = slower than ``API_V1_WAIT_S`` or more than ``API_V1_MAX_WAITING`` requests of one process
already waiting), the v2 p99 with and without v1 beside it, and the most
Postgres connections open during each phase (a waiting v1 request should hold none).

``--airtable-rps`` is the production base's budget (emulator limit and engine limiter). Each
v1 create-user costs Airtable one lookup plus a share of one batched write, so 5 req/s needs
more than Airtable's real 5 requests/s per base; the default 20 keeps the engine ahead of the
load so the figure measures the wait path, not a growing Airtable backlog.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from _setup import PG, ROOT, TOKEN, configure_environment, free_port, setup_django, start_gunicorn
from api import _hey, _percentile
from engine import _base_id

GUNICORN_WORKERS, GUNICORN_THREADS = 2, 8
HEY_WORKERS = 4
CONNECTION_SAMPLE_S = 0.25


def _v1_load(url: str, key: str, *, rate: float, seconds: int) -> dict:
    """Fixed-rate arrivals, each request on its own thread, each with a new email."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        body = json.dumps(
            {
                "naam": f"Bench v1 {n}",
                "email": f"v1-{n}-{time.time_ns()}@bench.example.nl",
                "privacy_consent": True,
                "fase": "oriënteren",
                "sector": ["Primair onderwijs"],
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 server
            url,
            data=body,
            method="POST",
            headers={"api-key": key, "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(status)

    total = int(rate * seconds)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n)
    counts = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    synchronous = [ms for ms, s in zip(latencies, statuses, strict=True) if s in (200, 201)]
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "statuses": counts,
        # Answered with the record (not 202): the latency a v1 form sees when it gets one.
        "synchronous_p50_ms": round(statistics.median(synchronous), 1) if synchronous else None,
        "synchronous_p99_ms": round(_percentile(synchronous, 99), 1) if synchronous else None,
    }


class ConnectionSampler:
    """The most Postgres backends open on the bench database while it runs."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)
                time.sleep(CONNECTION_SAMPLE_S)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)


def run(seconds: int, v1_rate: float, v2_rate: int, airtable_rps: float) -> dict:
    from airtable.emulator import EmulatorServer

    emulator = EmulatorServer(port=0, token=TOKEN, rate_limit_per_s=0).start()
    env = configure_environment(
        airtable_url=emulator.url,
        base_id=_base_id(),
        sandbox_base_id=_base_id(),
        extra={"AIRTABLE_REQUESTS_PER_S": str(airtable_rps), "API_V1_WAIT_S": "20"},
    )
    setup_django()

    from airtable.gateway import gateway_for_environment
    from airtable.layout import layout_bootstrap
    from candidates.airtable_layout import build_base_layout
    from regions.services import api_key_create, region_create

    for environment in ("production", "sandbox"):
        layout_bootstrap(gateway_for_environment(environment), build_base_layout())
    emulator.set_config(rate_limit_per_s=airtable_rps)
    v1_key = api_key_create(region=region_create(code="bench-v1", name="V1"), name="b").full_key
    v2_key = api_key_create(region=region_create(code="bench-v2", name="V2"), name="b").full_key

    if shutil.which("hey") is None:
        raise SystemExit("hey is not installed: apt-get install -y hey")
    port = free_port()
    server = start_gunicorn(env, port=port, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS)
    engine = subprocess.Popen(
        [sys.executable, "manage.py", "run_engine", "--environment", "production"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    database = env["DATABASE_URL"].rsplit("/", 1)[1]
    base = f"http://127.0.0.1:{port}"
    accept_body = json.dumps(
        {"candidates": [{"name": "Bench", "email": "b@example.nl", "privacyConsent": True}]}
    )

    def v2_accept() -> dict:
        return _hey(
            f"{base}/api/sandbox/candidates",
            key=v2_key,
            method="POST",
            body=accept_body,
            rate=v2_rate,
            seconds=seconds,
            concurrency=HEY_WORKERS,
        )

    try:
        _hey(f"{base}/api/v2/regions/me", key=v2_key, requests=200, concurrency=4)  # warm up
        _v1_load(f"{base}/api/v1/create-user", v1_key, rate=2, seconds=2)  # warm up
        print(f"phase 1: v2 accept at {v2_rate}/s for {seconds}s …", flush=True)
        with ConnectionSampler(database) as alone_connections:
            alone = v2_accept()
        print(f"phase 2: the same plus v1 create-user at {v1_rate}/s …", flush=True)
        results: dict[str, dict] = {}
        with ConnectionSampler(database) as mixed_connections:
            thread = threading.Thread(target=lambda: results.update(v2=v2_accept()))
            thread.start()
            v1 = _v1_load(f"{base}/api/v1/create-user", v1_key, rate=v1_rate, seconds=seconds)
            thread.join()
    finally:
        engine.terminate()
        engine.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        emulator.stop()
    mixed = results["v2"]
    return {
        "seconds": seconds,
        "airtable_requests_per_s": airtable_rps,
        "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads",
        "v1_create_user": v1,
        "v2_accept_alone": alone,
        "v2_accept_with_v1": mixed,
        "v2_p99_ratio_with_v1": round(mixed["p99_ms"] / alone["p99_ms"], 2),
        "db_connections_peak_alone": alone_connections.peak,
        "db_connections_peak_with_v1": mixed_connections.peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--v1-rate", type=float, default=5)
    parser.add_argument("--v2-rate", type=int, default=100)
    parser.add_argument("--airtable-rps", type=float, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.seconds, args.v1_rate, args.v2_rate, args.airtable_rps)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
