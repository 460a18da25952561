"""HTTP benchmarks through gunicorn (SPEC 13): the accept path under a fixed load, and reads
from a 100 000-candidate mirror (``--mirror 1000000`` in ``make bench``), with the database and
Redis round trips of each request.

    .venv/bin/python bench/api.py [--rate 200] [--seconds 30] [--mirror 100000] [--json]

Load comes from ``hey`` (Debian package), a real load generator, at a fixed rate
(``-c 4 -q 50`` = 200 requests/s; 20 workers would start their tickers together and
send bursts of 20, which measures the burst, not the service). Latencies are computed from
hey's per-request CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _setup import BENCH_DB, configure_environment, free_port, setup_django, start_gunicorn

# The mirror lives in its own database: the other benchmarks flush theirs, and a million
# candidates take minutes to seed, so a second run reuses them.
READS_DB = f"{BENCH_DB}_reads"

GUNICORN_WORKERS = 2
RATE_WORKERS = 4  # hey workers at rate/4 each: few workers keep arrivals even (see docs)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _hey(
    url: str,
    *,
    key: str,
    method: str = "GET",
    body: str | None = None,
    rate: int | None = None,
    seconds: int | None = None,
    requests: int | None = None,
    concurrency: int = 1,
) -> dict:
    args = ["hey", "-o", "csv", "-c", str(concurrency), "-H", f"x-api-key: {key}", "-m", method]
    if rate:
        args += ["-q", str(rate / concurrency)]
    args += ["-z", f"{seconds}s"] if seconds else ["-n", str(requests)]
    if body is not None:
        args += ["-T", "application/json", "-d", body]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(output)))
    latencies = [float(r["response-time"]) * 1000 for r in rows]
    statuses = [int(r["status-code"]) for r in rows]
    elapsed = max(float(r["offset"]) for r in rows) if rows else 1.0
    return {
        "requests": len(rows),
        "achieved_rps": round(len(rows) / max(elapsed, 1e-9), 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(_percentile(latencies, 99), 2),
        "errors": sum(1 for s in statuses if s >= 400 or s == 0),
        "statuses": sorted(set(statuses)),
    }


def _seed_mirror(count: int, region_code: str) -> dict:
    """Top the mirror up to ``count`` candidates (``COPY`` on Postgres, progress on stderr);
    the seconds it took, or ``None`` when a previous run left enough rows."""
    from django.core.management import call_command

    from candidates.models import Candidate

    existing = Candidate.objects.filter(region__code=region_code).count()
    if existing >= count:
        return {"seeded": 0, "seconds": None}
    print(f"seeding {count - existing} candidates into the mirror …", flush=True)
    started = time.monotonic()
    call_command(
        "seed_demo_candidates",
        region=region_code,
        count=count - existing,
        interactions_per_candidate=1,
        stdout=sys.stderr,
    )
    return {"seeded": count - existing, "seconds": round(time.monotonic() - started, 1)}


SWEEP_RATES = (25, 50, 100, 150, 200, 250, 300, 400, 500, 600, 800)


def _saturation(url: str, *, key: str, seconds: int, method: str = "GET", body=None) -> dict:
    """The highest fixed rate (of SWEEP_RATES) that hey holds (≥ 95 % achieved) with p99 ≤ 50 ms;
    the sweep stops at the first rate that misses."""
    best, steps = 0, []
    for rate in SWEEP_RATES:
        figures = _hey(
            url,
            key=key,
            method=method,
            body=body,
            rate=rate,
            seconds=seconds,
            concurrency=RATE_WORKERS,
        )
        steps.append({"rate": rate, **figures})
        if figures["p99_ms"] > 50 or figures["achieved_rps"] < 0.95 * rate or figures["errors"]:
            break
        best = rate
    return {"highest_rate": best, "steps": steps}


@contextmanager
def _redis_counted() -> Iterator[dict[str, int]]:
    """Counts what this process sends to Redis (the shared client, Django's cache and Celery's
    broker connection alike): ``round_trips`` (one per send, so a pipeline is one) and
    ``commands`` (one per reply)."""
    from redis.connection import Connection

    counts = {"round_trips": 0, "commands": 0}
    send, read = Connection.send_packed_command, Connection.read_response

    def counted_send(self: Connection, *args: Any, **kwargs: Any) -> Any:
        counts["round_trips"] += 1
        return send(self, *args, **kwargs)

    def counted_read(self: Connection, *args: Any, **kwargs: Any) -> Any:
        counts["commands"] += 1
        return read(self, *args, **kwargs)

    Connection.send_packed_command, Connection.read_response = counted_send, counted_read
    try:
        yield counts
    finally:
        Connection.send_packed_command, Connection.read_response = send, read


def _queries_per_request(key: str, method: str, path: str, body: dict | None = None) -> dict:
    """Database and Redis round trips of one request in process (Django test client, after a
    warm-up request; the access-log row written after the response included), with the SQL of
    each query, so the count can be read and cut."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    call = getattr(client, method.lower())
    call(path, body, format="json") if body is not None else call(path)
    with CaptureQueriesContext(connection) as captured, _redis_counted() as redis_counts:
        response = (
            call(path, body, format="json") if body is not None else call(path)
        )  # fmt: skip
    return {
        "status": response.status_code,
        "queries": len(captured.captured_queries),
        "redis_round_trips": redis_counts["round_trips"],
        "redis_commands": redis_counts["commands"],
        "sql": [q["sql"] for q in captured.captured_queries],
    }


def _redis_costs() -> dict:
    """Redis round trips (and commands) of the per-request parts that use Redis, each called on
    its own, warm (the rate-limit script already loaded)."""
    from django.db import transaction
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    from config.api.auth_failures import auth_failures_check
    from config.api.views import api_bucket
    from mutations.models import Mutation
    from mutations.waiting import engine_nudge, mutation_signal_finished

    request = RequestFactory().get("/api/v2/regions/me", REMOTE_ADDR="192.0.2.7")
    parts: dict[str, Callable[[], object]] = {
        "failed_auth_check (every request with a credential)": lambda: auth_failures_check(request),
        "rate_limiter (every API request)": lambda: api_bucket().take("key:bench-redis-costs"),
        "engine_nudge (every accepted write)": lambda: engine_nudge("production"),
    }

    def finish_listener() -> None:
        with transaction.atomic():  # the push runs on commit, as after the engine's commit
            mutation_signal_finished(Mutation(environment="production"))

    parts["v1 finish listener (every finished mutation)"] = finish_listener

    def unknown_key() -> None:
        client = APIClient(REMOTE_ADDR="192.0.2.8")
        client.credentials(HTTP_X_API_KEY="ork_zzzzzzzz." + "x" * 43)
        client.get("/api/v2/regions/me")

    parts["request with an unknown key (check + failure recorded)"] = unknown_key
    costs = {}
    for name, part in parts.items():
        part()
        with _redis_counted() as counts:
            part()
        costs[name] = dict(counts)
    return costs


def _explain(sql_list: list[str]) -> list[str]:
    """EXPLAIN ANALYZE of the request's queries on the candidate table (the plans that matter
    at a million rows)."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql in sql_list:
            if "candidates_candidate" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def run(rate: int, seconds: int, mirror: int, sweep_seconds: int = 10) -> dict:
    env = configure_environment(
        airtable_url="http://127.0.0.1:9",
        base_id="appBenchProduct01",
        sandbox_base_id="appBenchSandbox01",
        database=READS_DB,
    )
    setup_django(fresh=False)

    from candidates.models import Candidate
    from mutations.models import Mutation
    from regions.models import Region
    from regions.services import api_key_create, region_create

    region = Region.objects.filter(code="bench-api").first() or region_create(
        code="bench-api", name="Bench API"
    )
    key = api_key_create(region=region, name="bench").full_key
    Mutation.objects.filter(region=region).delete()
    seeding = _seed_mirror(mirror, region.code)
    sample = Candidate.objects.filter(region=region).exclude(phone="").order_by("?").first()
    with_interactions = Candidate.objects.filter(region=region, interactions__isnull=False).first()

    if shutil.which("hey") is None:
        raise SystemExit("hey is not installed: apt-get install -y hey")
    port = free_port()
    server = start_gunicorn(env, port=port, workers=GUNICORN_WORKERS)
    try:
        base = f"http://127.0.0.1:{port}"
        body = json.dumps(
            {
                "candidates": [
                    {
                        "name": "Bench Kandidaat",
                        "email": "b@example.nl",
                        "privacyConsent": True,
                        "phone": "0612345678",
                    }
                ]
            }
        )
        _hey(f"{base}/api/v2/regions/me", key=key, requests=200, concurrency=4)  # warm up
        print(f"accept path: POST /candidates at {rate}/s for {seconds}s …", flush=True)
        accept = _hey(
            f"{base}/api/v2/candidates",
            key=key,
            method="POST",
            body=body,
            rate=rate,
            seconds=seconds,
            concurrency=RATE_WORKERS,
        )
        print(f"ceiling: GET /regions/me at {rate}/s for {seconds}s …", flush=True)
        ceiling = _hey(
            f"{base}/api/v2/regions/me",
            key=key,
            rate=rate,
            seconds=seconds,
            concurrency=RATE_WORKERS,
        )
        print("reads on the mirror …", flush=True)
        reads = {
            "trivial_regions_me": _hey(f"{base}/api/v2/regions/me", key=key, requests=500),
            "find_by_email": _hey(
                f"{base}/api/v2/candidates/find?email={sample.email}", key=key, requests=500
            ),
            "find_by_phone": _hey(
                f"{base}/api/v2/candidates/find?phone={sample.phone}", key=key, requests=500
            ),
            "list_page_100": _hey(f"{base}/api/v2/candidates?pageSize=100", key=key, requests=300),
            "get_with_interactions": _hey(
                f"{base}/api/v2/candidates/{with_interactions.record_id}?includeInteractions=true",
                key=key,
                requests=500,
            ),
        }
        print("saturation sweeps (accept, then trivial endpoint) …", flush=True)
        saturation = {
            "accept": _saturation(
                f"{base}/api/v2/candidates",
                key=key,
                method="POST",
                body=body,
                seconds=sweep_seconds,
            ),
            "trivial": _saturation(f"{base}/api/v2/regions/me", key=key, seconds=sweep_seconds),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    saturation["ratio"] = round(
        saturation["accept"]["highest_rate"] / max(saturation["trivial"]["highest_rate"], 1), 2
    )
    queries = {
        "accept": _queries_per_request(key, "POST", "/api/v2/candidates", json.loads(body)),
        "find_by_email": _queries_per_request(
            key, "GET", f"/api/v2/candidates/find?email={sample.email}"
        ),
        "trivial": _queries_per_request(key, "GET", "/api/v2/regions/me"),
    }
    queries["list_page_100"] = _queries_per_request(key, "GET", "/api/v2/candidates?pageSize=100")
    queries["find_by_phone"] = _queries_per_request(
        key, "GET", f"/api/v2/candidates/find?phone={sample.phone}"
    )
    plans = {
        name: _explain(queries[name]["sql"])
        for name in ("find_by_email", "find_by_phone", "list_page_100")
    }
    redis_costs = _redis_costs()
    trivial_p50 = reads["trivial_regions_me"]["p50_ms"]
    for name in ("find_by_email", "find_by_phone", "list_page_100"):
        reads[name]["ratio_to_trivial"] = round(reads[name]["p50_ms"] / trivial_p50, 2)
    return {
        "saturation": saturation,
        "queries_per_request": queries,
        "redis_costs": redis_costs,
        "plans": plans,
        "seeding": seeding,
        "accept": accept,
        "ceiling": ceiling,
        "reads": reads,
        "mirror_rows": Candidate.objects.filter(region=region).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--mirror", type=int, default=100_000)
    parser.add_argument("--sweep-seconds", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.rate, args.seconds, args.mirror, args.sweep_seconds)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
