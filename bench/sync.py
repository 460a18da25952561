"""Full sync benchmark (SPEC 13): N records in an emulator base, then a full reconcile into an
empty mirror with the emulator enforcing Airtable's 5 requests/s per base.

    .venv/bin/python bench/sync.py [--records 5000] [--json]

Seeding goes straight into the emulator's store (no HTTP, no limit). Prints records/s against
the limit of 500 records/s (100 records per page × 5 requests/s) as the ratio of the measured
time to the theoretical one (target ≤ 1.2), the 429s received and the busiest second; then the
same for a second full run over the now complete mirror (the nightly steady state) and an
incremental run with nothing changed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import string
import subprocess
import sys
import time

from _setup import ROOT, TOKEN, PeakRss, configure_environment, setup_django

RATE_LIMIT_PER_S = 5
PAGE_SIZE = 100
LIMIT_RECORDS_PER_S = PAGE_SIZE * RATE_LIMIT_PER_S
SEED_CHUNK = 1000
PHASES = ("nieuw", "matchen", "oriënteren", "voorbereiden")
CITIES = ("Utrecht", "Amersfoort", "Zeist", "Nieuwegein", "Houten")


def _base_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "app" + "".join(secrets.choice(alphabet) for _ in range(14))


def _record(n: int) -> dict:
    return {
        "Naam": f"Kandidaat {n}",
        "E-mail": f"kandidaat{n}@example.nl",
        "Telefoon": f"+31 6 {n:08d}",
        "Privacy consent": True,
        "Fase": PHASES[n % len(PHASES)],
        "Sector": ["Primair onderwijs"] if n % 2 else ["Voortgezet onderwijs"],
        "Plaats": CITIES[n % len(CITIES)],
        "Notities": "Belde over zij-instroom; wil in het najaar beginnen. " * (1 + n % 3),
        "Regio": "bench",
    }


def _measure(emulator, base_id: str, job) -> dict:
    emulator.clear_log()
    started = time.monotonic()
    result = job()
    elapsed = time.monotonic() - started
    log = emulator.log_summary(base_id)
    return {
        "status": result.status,
        "elapsed_s": round(elapsed, 2),
        "records_seen": result.records_seen,
        "records_changed": result.records_changed,
        "requests": result.requests,
        "http_429_received": log.get("rate_limited_429", 0),
        "max_requests_in_any_1s": log.get("max_requests_in_any_1s_window"),
    }


def _full_in_worker(emulator, base_id: str) -> dict:
    """``manage.py sync_airtable --full`` as its own process, as a worker runs it: elapsed time,
    the process's peak RSS (its ``VmHWM``, see ``_setup.PeakRss``) and the emulator's log."""
    emulator.clear_log()
    started = time.monotonic()
    peak = PeakRss()
    child = peak.watch(
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "sync_airtable",
                "--full",
                "--environment",
                "production",
                "--no-progress",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )
    )
    # Read the peak before reaping the child: /proc/<pid> goes with it.
    while child.poll() is None:
        peak.sample()
        time.sleep(0.05)
    peak_rss_mb = peak.stop()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    process_s = time.monotonic() - started
    log = emulator.log_summary(base_id)
    # The sync's time: first to last request at the emulator plus the last one's slot (the
    # process's start-up, Django and migrations checks, is not the sync's cost).
    stamps = [entry["ts"] for entry in emulator.log_entries(base_id)]
    elapsed = stamps[-1] - stamps[0] + 1 / RATE_LIMIT_PER_S
    return {
        "elapsed_s": round(elapsed, 2),
        "process_s": round(process_s, 2),
        "peak_rss_mb": peak_rss_mb,
        "requests": len(stamps),
        "http_429_received": log.get("rate_limited_429", 0),
        "max_requests_in_any_1s": log.get("max_requests_in_any_1s_window"),
    }


def run(records: int, *, steady: bool = True) -> dict:
    from airtable.emulator import EmulatorServer

    emulator = EmulatorServer(port=0, token=TOKEN, rate_limit_per_s=0).start()
    base_id, sandbox_id = _base_id(), _base_id()
    # Seeded records are seconds old: without this the incremental run would re-read them all
    # as "inside the overlap" instead of showing the cost of a minute with nothing changed.
    configure_environment(
        airtable_url=emulator.url,
        base_id=base_id,
        sandbox_base_id=sandbox_id,
        extra={"AIRTABLE_SYNC_OVERLAP_S": "0"},
    )
    setup_django()

    from airtable.gateway import gateway_for_environment
    from airtable.layout import layout_bootstrap
    from candidates.airtable_layout import build_base_layout
    from candidates.models import Candidate
    from candidates.sync import sync_full, sync_incremental
    from regions.services import region_create

    region_create(code="bench", name="Bench")
    layout_bootstrap(gateway_for_environment("production"), build_base_layout())
    print(f"seeding {records} records …", flush=True)
    for start in range(0, records, SEED_CHUNK):
        chunk = [_record(n) for n in range(start, min(records, start + SEED_CHUNK))]
        emulator.store.create_records(base_id, "Kandidaten", chunk)
    emulator.set_config(rate_limit_per_s=RATE_LIMIT_PER_S, penalty_s=30)
    time.sleep(1.1)  # the bootstrap's unlimited requests leave the sliding 1 s window

    print("full sync into an empty mirror …", flush=True)
    first = _full_in_worker(emulator, base_id)
    mirrored = Candidate.objects.filter(environment="production").count()
    results = {"full_into_empty_mirror": first}
    if steady:
        print("full sync over a complete mirror …", flush=True)
        results["full_over_complete_mirror"] = _measure(
            emulator, base_id, lambda: sync_full(environment="production")
        )
        print("incremental sync, nothing changed …", flush=True)
        results["incremental_nothing_changed"] = _measure(
            emulator, base_id, lambda: sync_incremental(environment="production")
        )
    emulator.stop()

    # The limit: 100 records per request at exactly 5 requests/s. The measured time also pays
    # for the request that finds the interactions table empty.
    theoretical_s = records / LIMIT_RECORDS_PER_S
    for name in ("full_into_empty_mirror", "full_over_complete_mirror"):
        if (figures := results.get(name)) is None:
            continue
        figures["records_per_s"] = round(records / figures["elapsed_s"], 1)
        figures["ratio_to_limit_time"] = round(figures["elapsed_s"] / theoretical_s, 3)
    return {
        "records": records,
        "mirrored": mirrored,
        "limit_records_per_s": LIMIT_RECORDS_PER_S,
        "theoretical_s": round(theoretical_s, 2),
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument(
        "--no-steady", action="store_true", help="only the full sync into an empty mirror"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    result = run(args.records, steady=not args.no_steady)
    if args.json:
        print(json.dumps(result))
        return
    print()
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, figure in value.items():
                print(f"{name:>36}  {figure}")
        else:
            print(f"{key:>36}  {value}")


if __name__ == "__main__":
    main()
