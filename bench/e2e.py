"""End-to-end benchmarks on the whole stack (issue 21): time to done, the web-form workload and
two bases at once.

    .venv/bin/python bench/e2e.py latency [--rate 1] [--seconds 30]
    .venv/bin/python bench/e2e.py webform [--writes 1000] [--rate 60] [--regions 20]
                                          [--upstream] [--both-bases]

The stack is the drill's (``bench/drill.py``): gunicorn (2 sync workers), two ``run_engine``
workers, a Celery worker delivering callbacks, a private Redis, the emulator at Airtable's
5 requests/s and a local callback receiver. Every write is one single-candidate
``POST /candidates`` with a ``callbackUrl``, sent by a fixed-rate pacer (several threads, so
a slow answer does not delay the next arrival).

``latency``: from the moment the request is sent to the mutation's ``finished_at`` (succeeded)
and to the callback's arrival at the receiver, p50/p99; plus one emulator write round trip
measured directly, for the target p50 ≤ 1.5 × round trip + 50 ms.

``webform``: N writes spread over R regions (round robin), records/s at the emulator over the
span of the writes (as ``bench/engine.py``), 429s, and fairness (max/min records per region
finished while every region still had work). ``--upstream`` runs one engine worker with
``MUTATION_BATCH_ACROSS_MUTATIONS=false`` (one mutation per request, one at a time).
``--both-bases`` sends the same load to production and to the sandbox at once; each base is
measured against its own limit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import defaultdict

import requests
from _setup import BENCH_DB
from drill import Stack

PHYSICAL_LIMIT_RECORDS_PER_S = 50.0


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _stats(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None}
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p99_ms": round(_percentile(values, 99), 1),
    }


class Pacer:
    """Sends ``count`` writes at ``rate``/s; write i goes to ``targets[i % len(targets)]``
    (a (prefix, key, region code) triple). Records the send time per mutation id."""

    def __init__(self, stack: Stack, targets: list[tuple[str, str, str]], tag: str) -> None:
        self.stack = stack
        self.targets = targets
        self.tag = tag
        self.sent_at: dict[str, float] = {}
        self.accept_ms: list[float] = []
        self.statuses: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()

    def _one(self, i: int) -> None:
        prefix, key, code = self.targets[i % len(self.targets)]
        body = {
            "candidates": [
                {
                    "name": f"Web {self.tag} {i}",
                    "email": f"{self.tag}-{i}@{code}.example.nl",
                    "privacyConsent": True,
                }
            ],
            "callbackUrl": self.stack.receiver.url,
        }
        url = f"http://127.0.0.1:{self.stack.web_port}/api/{prefix}/candidates"
        session = requests.Session()
        for _attempt in range(20):
            sent = time.time()
            try:
                response = session.post(url, json=body, headers={"x-api-key": key}, timeout=10)
            except requests.RequestException:
                time.sleep(0.5)
                continue
            with self._lock:
                self.statuses[response.status_code] += 1
            if response.status_code == 202:
                with self._lock:
                    self.sent_at[response.json()["data"]["mutationId"]] = sent
                    self.accept_ms.append((time.time() - sent) * 1000)
                return
            time.sleep(0.5)

    def run(self, rate: float, count: int, threads: int = 16) -> None:
        start = time.monotonic()
        next_index = iter(range(count))
        lock = threading.Lock()

        def loop() -> None:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self._one(i)

        workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def _settle(stack: Stack, ids: set[str], timeout_s: float) -> None:
    from django.db import close_old_connections

    from mutations.models import Mutation

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        close_old_connections()
        open_count = Mutation.objects.filter(status__in=["queued", "processing"]).count()
        if not open_count and ids <= set(stack.receiver.counts()):
            return
        time.sleep(0.5)
    print(f"warning: not settled after {timeout_s}s", flush=True)


def _emulator_round_trip_ms(stack: Stack, samples: int = 10) -> float:
    """One write request straight to the emulator (no engine), median of ``samples``, paced
    under the base's limit."""
    url = f"{stack.emulator.url}/v0/{stack.base_id}/Kandidaten"
    session = requests.Session()
    headers = {"Authorization": "Bearer bench-token"}
    times = []
    for n in range(samples):
        started = time.perf_counter()
        response = session.post(
            url,
            json={"records": [{"fields": {"Naam": f"Round trip {n}"}}]},
            headers=headers,
            timeout=10,
        )
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        time.sleep(0.25)
    time.sleep(1.1)  # leave the emulator's sliding window empty for the measured run
    return round(statistics.median(times), 1)


def _warm_up(stack: Stack, targets: list[tuple[str, str, str]]) -> None:
    """Both gunicorn workers import and connect before the clock starts."""
    session = requests.Session()
    for _prefix, key, _code in targets[:4] * 5:
        session.get(
            f"http://127.0.0.1:{stack.web_port}/api/v2/regions/me",
            headers={"x-api-key": key},
            timeout=30,
        )


def _regions(count: int, sandbox: bool) -> list[tuple[str, str, str]]:
    from regions.services import api_key_create, region_create

    targets = []
    for r in range(count):
        region = region_create(code=f"web-{r}", name=f"Web {r}")
        key = api_key_create(region=region, name="b").full_key
        targets.append(("v2", key, region.code))
        if sandbox:
            targets.append(("sandbox", key, region.code))
    return targets


def run_latency(rate: float, seconds: int) -> dict:
    stack = Stack(database=BENCH_DB)
    from _setup import setup_django

    setup_django()
    targets = _regions(5, sandbox=False)
    stack.start()
    try:
        time.sleep(2)  # let the engines and Celery connect
        _warm_up(stack, targets)
        round_trip = _emulator_round_trip_ms(stack)
        pacer = Pacer(stack, targets, tag=f"lat{rate:g}")
        count = max(1, int(rate * seconds))
        print(f"latency: {count} writes at {rate:g}/s …", flush=True)
        pacer.run(rate, count)
        _settle(stack, set(pacer.sent_at), timeout_s=120 + count / 5)
        from mutations.models import Mutation

        done_ms, callback_ms = [], []
        finished = dict(
            Mutation.objects.filter(uuid__in=list(pacer.sent_at), status="succeeded").values_list(
                "uuid", "finished_at"
            )
        )
        finished = {str(k): v for k, v in finished.items()}
        for mutation_id, sent in pacer.sent_at.items():
            if (at := finished.get(mutation_id)) is not None:
                done_ms.append((at.timestamp() - sent) * 1000)
            if (arrived := stack.receiver.arrived_at.get(mutation_id)) is not None:
                callback_ms.append((arrived - sent) * 1000)
        log = stack.emulator.log_summary(stack.base_id)
    finally:
        stack.stop()
    return {
        "rate_per_s": rate,
        "writes": count,
        "accepted": len(pacer.sent_at),
        "emulator_round_trip_ms": round_trip,
        "target_p50_ms": round(1.5 * round_trip + 50, 1),
        "accept": _stats(pacer.accept_ms),
        "to_succeeded": _stats(done_ms),
        "to_callback": _stats(callback_ms),
        "http_429_received": log.get("rate_limited_429", 0),
    }


def _base_figures(stack: Stack, base_id: str, environment: str) -> dict:
    from mutations.models import Mutation

    writes = [e for e in stack.emulator.log_entries(base_id) if e["method"] in {"PATCH", "POST"}]
    log = stack.emulator.log_summary(base_id)
    if not writes:
        return {"records_per_s": 0, "physical_limit_ratio": 0}
    records = sum(e["record_count"] for e in writes)
    window = max(writes[-1]["ts"] - writes[0]["ts"], 1e-9) + 1 / 5
    finished: dict[str, list] = defaultdict(list)
    rows = Mutation.objects.filter(status="succeeded", environment=environment).values_list(
        "region__code", "finished_at", "result"
    )
    for code, at, _result in rows:
        finished[code].append(at)
    fair_until = min(max(times) for times in finished.values())
    per_region: dict[str, int] = defaultdict(int)
    for code, at, result in rows:
        if at <= fair_until:
            per_region[code] += len(result["recordIds"])
    rates = [v for v in per_region.values() if v]
    return {
        "records": records,
        "requests": len(writes),
        "records_per_s": round(records / window, 2),
        "physical_limit_ratio": round(records / window / PHYSICAL_LIMIT_RECORDS_PER_S, 3),
        "http_429_received": log.get("rate_limited_429", 0),
        "max_requests_in_any_1s": log.get("max_requests_in_any_1s_window"),
        "fairness_max_min": round(max(rates) / min(rates), 2) if rates else None,
    }


def run_webform(writes: int, rate: float, regions: int, upstream: bool, both: bool) -> dict:
    extra = {"MUTATION_BATCH_ACROSS_MUTATIONS": "false"} if upstream else {}
    stack = Stack(extra=extra, database=BENCH_DB)
    from _setup import setup_django

    setup_django()
    targets = _regions(regions, sandbox=both)
    # Four sync workers: at 60-120 arrivals/s a third of a 2-core machine's web tier waits
    # on Postgres round trips, so two workers would make the arrivals, not the engine, the limit.
    stack.web_workers = 4
    stack.start()
    sandbox_base = stack.env["AIRTABLE_SANDBOX_BASE_ID"]
    try:
        if upstream:
            stack.replace_engines(1, extra)
        time.sleep(2)
        _warm_up(stack, targets)
        stack.emulator.clear_log()
        pacer = Pacer(stack, targets, tag="web")
        total = writes * (2 if both else 1)
        print(
            f"webform: {total} writes at {rate * (2 if both else 1):g}/s from {regions} regions"
            f"{' to both bases' if both else ''}{' (upstream-style engine)' if upstream else ''} …",
            flush=True,
        )
        started = time.monotonic()
        pacer.run(rate * (2 if both else 1), total, threads=24)
        submit_s = time.monotonic() - started
        _settle(stack, set(pacer.sent_at), timeout_s=120 + total / 4)
        result = {
            "writes": total,
            "accepted": len(pacer.sent_at),
            "arrival_rate_per_s": round(total / submit_s, 1),
            "accept": _stats(pacer.accept_ms),
            "statuses": dict(pacer.statuses),
            "production": _base_figures(stack, stack.base_id, "production"),
        }
        if both:
            result["sandbox"] = _base_figures(stack, sandbox_base, "sandbox")
    finally:
        stack.stop()
    return {"mode": "upstream" if upstream else "ours", "regions": regions, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=["latency", "webform"])
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--upstream", action="store_true")
    parser.add_argument("--both-bases", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    if args.workload == "latency":
        result = run_latency(args.rate or 1.0, args.seconds)
    else:
        result = run_webform(
            args.writes, args.rate or 60.0, args.regions, args.upstream, args.both_bases
        )
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
