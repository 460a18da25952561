"""Mutation Engine benchmark (SPEC 13): a bulk import from several regions against the
emulator's real Airtable limit (5 requests/s per base), with N worker processes.

    .venv/bin/python bench/engine.py [--candidates 1000] [--regions 5] [--workers 2]
                                     [--upstream]

Prints records/s against the physical limit (10 records × 5 requests/s), 429s received,
the largest request, the busiest second, and per-region throughput while every region still
had work (fairness, max/min). ``--upstream`` configures the engine like the upstream design:
one mutation per Airtable request, one request at a time.
"""

from __future__ import annotations

import argparse
import json
import secrets
import string
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime

from _setup import ROOT, TOKEN, PeakRss, configure_environment, setup_django

PHYSICAL_LIMIT_RECORDS_PER_S = 50.0


def _base_id() -> str:
    return "app" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(14))


def run(candidates: int, regions: int, workers: int, upstream: bool, rate_limit: int = 5) -> dict:
    """``rate_limit`` > 5 raises the emulator's limit and the engine's AIRTABLE_REQUESTS_PER_S
    together (for growth lines that would not fit the bench's time budget at 5/s)."""
    from airtable.emulator import EmulatorServer

    emulator = EmulatorServer(
        port=0, token=TOKEN, rate_limit_per_s=rate_limit, penalty_s=30
    ).start()
    base_id, sandbox_id = _base_id(), _base_id()
    extra = {"MUTATION_BATCH_ACROSS_MUTATIONS": "false"} if upstream else {}
    if rate_limit != 5:
        extra["AIRTABLE_REQUESTS_PER_S"] = str(rate_limit)
    env = configure_environment(
        airtable_url=emulator.url, base_id=base_id, sandbox_base_id=sandbox_id, extra=extra
    )
    setup_django()

    from rest_framework.test import APIClient

    from airtable.gateway import gateway_for_environment
    from airtable.layout import layout_bootstrap
    from candidates.airtable_layout import build_base_layout
    from mutations.models import Mutation
    from regions.services import api_key_create, region_create

    emulator.set_config(rate_limit_per_s=0)
    for environment in ("production", "sandbox"):
        layout_bootstrap(gateway_for_environment(environment), build_base_layout())
    emulator.set_config(rate_limit_per_s=rate_limit)

    per_region = candidates // regions
    # Mixed request sizes, as real integrators send them.
    batch_sizes = [10, 10, 7, 3, 1]
    print(f"submitting {per_region * regions} candidates from {regions} regions …", flush=True)
    for r in range(regions):
        region = region_create(code=f"bench-{r}", name=f"Bench {r}")
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key_create(region=region, name="b").full_key)
        size, sent = batch_sizes[r % len(batch_sizes)], 0
        while sent < per_region:
            n = min(size, per_region - sent)
            body = {
                "candidates": [
                    {
                        "name": f"Kandidaat {r}-{sent + i}",
                        "email": f"k{sent + i}@r{r}.example.nl",
                        "privacyConsent": True,
                    }
                    for i in range(n)
                ]
            }
            assert client.post("/api/v2/candidates", body, format="json").status_code == 202
            sent += n
    total_mutations = Mutation.objects.count()
    emulator.clear_log()

    worker_count = 1 if upstream else workers
    print(f"running {worker_count} engine worker(s) …", flush=True)
    started = time.monotonic()
    peak = PeakRss()  # the largest worker's own peak (VmHWM), polled while they run
    processes = [
        peak.watch(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_engine"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        for _ in range(worker_count)
    ]
    try:
        while Mutation.objects.filter(status__in=["queued", "processing"]).exists():
            time.sleep(0.25)
    finally:
        peak_rss_mb = peak.stop()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    elapsed = time.monotonic() - started

    log = emulator.log_summary(base_id)
    writes = [e for e in emulator.log_entries(base_id) if e["method"] in {"PATCH", "POST"}]
    first, last = writes[0]["ts"], writes[-1]["ts"]
    records = sum(e["record_count"] for e in writes)
    window = max(last - first, 1e-9) + 1 / rate_limit  # plus the last request's own slot
    limit = PHYSICAL_LIMIT_RECORDS_PER_S * rate_limit / 5
    finished: dict[str, list[datetime]] = defaultdict(list)
    for code, at in Mutation.objects.filter(status="succeeded").values_list(
        "region__code", "finished_at"
    ):
        finished[code].append(at)
    # Fairness is measured while every region still had work: up to the first region's end.
    fair_until = min(max(times) for times in finished.values())
    statuses: dict[str, int] = defaultdict(int)
    for status in Mutation.objects.values_list("status", flat=True):
        statuses[status] += 1
    emulator.stop()
    per_region_records = _records_per_region(fair_until)
    rates = [v for v in per_region_records.values() if v]
    return {
        "mode": "upstream" if upstream else "ours",
        "candidates": per_region * regions,
        "regions": regions,
        "workers": worker_count,
        "mutations": total_mutations,
        "statuses": dict(statuses),
        "elapsed_s": round(elapsed, 2),
        "records_per_s": round(records / window, 2),
        "physical_limit_ratio": round(records / window / limit, 3),
        "rate_limit_per_s": rate_limit,
        "worker_peak_rss_mb": peak_rss_mb,
        "requests": len(writes),
        "max_records_per_request": log.get("max_batch_size"),
        "max_requests_in_any_1s": log.get("max_requests_in_any_1s_window"),
        "http_429_received": log.get("rate_limited_429"),
        "fairness_max_min": round(max(rates) / min(rates), 2) if rates else None,
        "per_region_records_while_all_busy": per_region_records,
    }


def _records_per_region(until: datetime) -> dict[str, int]:
    from mutations.models import Mutation

    totals: dict[str, int] = defaultdict(int)
    for code, result in Mutation.objects.filter(
        status="succeeded", finished_at__lte=until
    ).values_list("region__code", "result"):
        totals[code] += len(result["recordIds"])
    return dict(sorted(totals.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--upstream", action="store_true")
    parser.add_argument(
        "--rate-limit", type=int, default=5, help="requests/s per base (emulator and engine)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    result = run(args.candidates, args.regions, args.workers, args.upstream, args.rate_limit)
    if args.json:
        print(json.dumps(result))
        return
    print()
    for key, value in result.items():
        print(f"{key:>36}  {value}")


if __name__ == "__main__":
    main()
