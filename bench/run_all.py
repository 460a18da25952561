"""``make bench``: every benchmark of SPEC 13 in one run, printed as one table (measured value,
target, ratio) and saved as JSON under ``bench/results/`` for comparison between runs.

    .venv/bin/python bench/run_all.py [--quick] [--only STEP[,STEP]] [--list]

``--quick`` shrinks each benchmark (fewer records, shorter load) for a smoke run. ``--only``
re-takes some steps (names from ``--list``, e.g. ``sync_100000,api``) and takes every other
step's figures from the newest saved run of the same kind (quick or full), so the table stays
whole. Each step's wall time and the total are printed at the end (budget: 30 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _run(script: str, *args: str) -> dict:
    print(f"→ {script} {' '.join(args)}", flush=True)
    output = subprocess.run(
        [sys.executable, str(HERE / script), *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _previous(quick: bool) -> dict:
    """The newest saved run of the same kind, for the steps ``--only`` does not re-take."""
    for path in sorted(RESULTS.glob("bench-*.json"), reverse=True):
        try:
            earlier = json.loads(path.read_text())
        except ValueError:
            continue
        if earlier.get("quick") == quick:
            print(f"steps not re-taken come from {path.relative_to(HERE.parent)}", flush=True)
            return earlier
    return {}


def _print_times(results: dict, taken: set[str]) -> None:
    elapsed = results["elapsed_s"]
    print("\nstep wall times (s):")
    for name, seconds in elapsed.items():
        if name in taken:
            print(f"  {name:<18} {seconds:>7.1f}")
        elif results.get(name):
            print(f"  {name:<18} {seconds:>7.1f}  (earlier run, figures reused)")
        else:
            print(f"  {name:<18} {'—':>7}  (not run)")
    total = sum(elapsed[name] for name in taken)
    print(f"  {'total':<18} {total:>7.1f}  ({total / 60:.1f} min, budget 30)")
    if whole := sum(elapsed.values()) if len(taken) < len(elapsed) else 0:
        print(f"  {'with earlier steps':<18} {whole:>7.1f}  ({whole / 60:.1f} min)")


def _row(name: str, value: float | None, target: str, ratio: float | None, note: str = "") -> tuple:
    shown = "—" if value is None else f"{value:g}"
    return name, shown, target, "—" if ratio is None else f"{ratio:.2f}", note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", type=lambda v: set(v.split(",")), help="steps to re-take")
    parser.add_argument("--list", action="store_true", help="print the step names and stop")
    args = parser.parse_args()
    quick = args.quick
    RESULTS.mkdir(exist_ok=True)
    earlier = _previous(quick) if args.only else {}
    results: dict = {"quick": quick, "elapsed_s": {}}
    path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    steps: list[str] = []
    taken: set[str] = set()

    def run(name: str, script: str, *script_args: str) -> dict:
        steps.append(name)
        if args.list or (args.only and name not in args.only):
            results[name] = earlier.get(name)
            results["elapsed_s"][name] = earlier.get("elapsed_s", {}).get(name, 0.0)
            return results[name] or {}
        started = time.monotonic()
        results[name] = _run(script, *script_args)
        results["elapsed_s"][name] = round(time.monotonic() - started, 1)
        taken.add(name)
        print(f"  {results['elapsed_s'][name]:.0f} s", flush=True)
        path.write_text(json.dumps(results, indent=2))  # partial results survive a failure
        return results[name]

    # Sizes: (quick, full). Engine growth stops at 10 000 under the real limit: 100 000 would
    # take 2 000 s at 50 records/s, beyond the 30-minute budget (see docs/performance.md).
    engine_sizes = (300, 1000) if quick else (1000, 10000)
    sync_sizes = (1000, 10000) if quick else (1000, 10000, 100000)
    engines = {n: run(f"engine_{n}", "engine.py", "--candidates", str(n)) for n in engine_sizes}
    engine = engines[engine_sizes[0] if quick else 1000]
    upstream = run("upstream", "engine.py", "--candidates", "300", "--upstream")
    # Only the full sync into an empty mirror is in the table: the steady-state runs (a full
    # and an incremental sync over a complete mirror, docs/sync.md) stay in bench/sync.py.
    syncs = {n: run(f"sync_{n}", "sync.py", "--records", str(n), "--no-steady") for n in sync_sizes}
    sync = syncs[10000]
    light = run(
        "latency_light", "e2e.py", "latency", "--rate", "1", "--seconds", "15" if quick else "30"
    )
    loaded = run(
        "latency_80", "e2e.py", "latency", "--rate", "40", "--seconds", "10" if quick else "30"
    )
    web_n = "300" if quick else "1000"
    web = run("webform", "e2e.py", "webform", "--writes", web_n)
    web_up = run(
        "webform_upstream", "e2e.py", "webform", "--writes", "100" if quick else "300", "--upstream"
    )
    both = run("two_bases", "e2e.py", "webform", "--writes", web_n, "--both-bases")
    api = run(
        "api",
        "api.py",
        "--seconds", "5" if quick else "20",
        "--sweep-seconds", "4" if quick else "8",
        "--mirror", "20000" if quick else "1000000",
    )  # fmt: skip
    v1 = run("v1", "v1.py", "--seconds", "10" if quick else "30")
    feed = run("feed", "feed.py", "--events", "100000" if quick else "1000000")

    if args.list:
        print("steps:", ",".join(steps))
        return
    if unknown := (args.only or set()) - set(steps):
        raise SystemExit(f"unknown steps {sorted(unknown)}; --list prints them")
    if missing := [name for name in steps if not results.get(name)]:
        path.write_text(json.dumps(results, indent=2))
        _print_times(results, taken)
        print(f"\nno figures for {', '.join(missing)} (no earlier run): table not printed")
        print(f"saved {path.relative_to(HERE.parent)}")
        return

    accept, ceiling, reads = api["accept"], api["ceiling"], api["reads"]
    full = sync["full_into_empty_mirror"]
    trivial = reads["trivial_regions_me"]["p50_ms"]
    mirror = f"{api['mirror_rows']:,}".replace(",", " ")
    small, large = engine_sizes
    rss_engine = engines[large]["worker_peak_rss_mb"] / engines[small]["worker_peak_rss_mb"]
    big = sync_sizes[-1]
    rss_sync = (
        syncs[big]["full_into_empty_mirror"]["peak_rss_mb"]
        / syncs[big // 10]["full_into_empty_mirror"]["peak_rss_mb"]
    )
    web_prod, web_up_prod = web["production"], web_up["production"]
    rows = [
        _row(
            "time to succeeded p50 ms @1 write/s",
            light["to_succeeded"]["p50_ms"],
            f"≤ {light['target_p50_ms']}",
            light["to_succeeded"]["p50_ms"] / light["target_p50_ms"],
            f"1.5 × emulator round trip {light['emulator_round_trip_ms']} ms + 50",
        ),
        _row(
            "time to succeeded p99 ms @1 write/s",
            light["to_succeeded"]["p99_ms"],
            "≤ 500",
            light["to_succeeded"]["p99_ms"] / 500,
        ),
        _row(
            "time to callback p50 / p99 ms @1 write/s",
            light["to_callback"]["p50_ms"],
            "≤ 500 (p99)",
            light["to_callback"]["p99_ms"] / 500,
            f"p99 {light['to_callback']['p99_ms']} ms",
        ),
        _row(
            "time to succeeded p99 ms @40 writes/s (80 %)",
            loaded["to_succeeded"]["p99_ms"],
            "≤ 2000",
            loaded["to_succeeded"]["p99_ms"] / 2000,
            f"p50 {loaded['to_succeeded']['p50_ms']} ms, {loaded['accepted']} writes",
        ),
        _row(
            "time to callback p99 ms @40 writes/s",
            loaded["to_callback"]["p99_ms"],
            "≤ 2000",
            loaded["to_callback"]["p99_ms"] / 2000,
            f"p50 {loaded['to_callback']['p50_ms']} ms",
        ),
        _row(
            f"web form: {web['writes']} × 1 candidate @60/s, 20 regions, records/s",
            web_prod["records_per_s"],
            "≥ 45 (0.9 of 50)",
            web_prod["physical_limit_ratio"],
            f"arrivals {web['arrival_rate_per_s']}/s, 429s {web_prod['http_429_received']}, "
            f"fairness {web_prod['fairness_max_min']}",
        ),
        _row(
            f"web form, upstream-style engine ({web_up['writes']} writes) records/s",
            web_up_prod["records_per_s"],
            "ours ≥ 9×",
            web_prod["records_per_s"] / max(web_up_prod["records_per_s"], 1e-9),
            "ratio = ours / upstream",
        ),
        _row(
            "two bases at once: production records/s",
            both["production"]["records_per_s"],
            "≥ 45",
            both["production"]["physical_limit_ratio"],
            f"429s {both['production']['http_429_received']}, "
            f"busiest second {both['production']['max_requests_in_any_1s']}",
        ),
        _row(
            "two bases at once: sandbox records/s",
            both["sandbox"]["records_per_s"],
            "≥ 45",
            both["sandbox"]["physical_limit_ratio"],
            f"429s {both['sandbox']['http_429_received']}, "
            f"busiest second {both['sandbox']['max_requests_in_any_1s']}",
        ),
        *[
            _row(
                f"engine import {n} candidates records/s",
                engines[n]["records_per_s"],
                "≥ 45 (90 % of 50)",
                engines[n]["physical_limit_ratio"],
                f"{engines[n]['elapsed_s']} s, "
                f"worker peak RSS {engines[n]['worker_peak_rss_mb']} MB",
            )
            for n in engine_sizes
        ],
        _row("engine 429s received", engine["http_429_received"], "0", None),
        _row("engine busiest second (requests)", engine["max_requests_in_any_1s"], "≤ 5", None),
        _row("engine fairness max/min", engine["fairness_max_min"], "≤ 1.5", None),
        _row(
            "upstream-style engine records/s (300)",
            upstream["records_per_s"],
            "—",
            engine["records_per_s"] / upstream["records_per_s"],
            "speed-up of ours",
        ),
        _row(
            f"engine worker peak RSS {large} / {small} candidates",
            round(rss_engine, 2),
            "≤ 1.2",
            rss_engine / 1.2,
        ),
        *[
            _row(
                f"full sync of {n} records/s",
                syncs[n]["full_into_empty_mirror"]["records_per_s"],
                "limit 500",
                syncs[n]["full_into_empty_mirror"]["ratio_to_limit_time"],
                "time / theoretical (target ≤ 1.1 at 100 000), peak RSS "
                f"{syncs[n]['full_into_empty_mirror']['peak_rss_mb']} MB",
            )
            for n in sync_sizes
        ],
        _row("full sync 429s received", full["http_429_received"], "0", None),
        _row(
            f"sync worker peak RSS {big} / {big // 10} records",
            round(rss_sync, 2),
            "≤ 1.2",
            rss_sync / 1.2,
        ),
        _row(
            "accept: highest rate with p99 ≤ 50 ms",
            api["saturation"]["accept"]["highest_rate"],
            "≥ 0.5 × trivial",
            api["saturation"]["ratio"],
            f"trivial endpoint {api['saturation']['trivial']['highest_rate']}/s",
        ),
        _row(
            "accept: database round trips",
            api["queries_per_request"]["accept"]["queries"],
            "stated",
            None,
            f"find {api['queries_per_request']['find_by_email']['queries']}, "
            f"trivial {api['queries_per_request']['trivial']['queries']}",
        ),
        _row(
            f"accept p50 ms @{accept['achieved_rps']}/s",
            accept["p50_ms"],
            "—",
            None,
            f"{accept['errors']} errors",
        ),
        _row("accept p99 ms @200/s", accept["p99_ms"], "≤ 50", accept["p99_ms"] / 50),
        _row(
            "trivial endpoint p99 ms @200/s",
            ceiling["p99_ms"],
            "—",
            accept["p99_ms"] / ceiling["p99_ms"],
            "accept / ceiling",
        ),
        _row(f"trivial endpoint p50 ms ({mirror} mirror run)", trivial, "—", None),
        _row(
            "find by email p50 ms",
            reads["find_by_email"]["p50_ms"],
            f"≤ {1.3 * trivial:.2f}",
            reads["find_by_email"]["ratio_to_trivial"] / 1.3,
            f"{reads['find_by_email']['ratio_to_trivial']} × trivial (target ≤ 1.3)",
        ),
        _row(
            "find by phone p50 ms",
            reads["find_by_phone"]["p50_ms"],
            f"≤ {1.3 * trivial:.2f}",
            reads["find_by_phone"]["ratio_to_trivial"] / 1.3,
            f"{reads['find_by_phone']['ratio_to_trivial']} × trivial (target ≤ 1.3)",
        ),
        _row(
            "list page of 100 p50 ms",
            reads["list_page_100"]["p50_ms"],
            "≤ 15",
            reads["list_page_100"]["p50_ms"] / 15,
        ),
        _row(
            "get by id + interactions p50 ms",
            reads["get_with_interactions"]["p50_ms"],
            "—",
            None,
            f"p99 {reads['get_with_interactions']['p99_ms']} ms",
        ),
        _row(
            "find by email: database + Redis round trips",
            api["queries_per_request"]["find_by_email"]["queries"],
            "stated",
            None,
            "+ {} Redis; list page {} + {}; trivial {} + {} (docs/performance.md)".format(
                *(
                    api["queries_per_request"][name][part]
                    for name, part in (
                        ("find_by_email", "redis_round_trips"),
                        ("list_page_100", "queries"),
                        ("list_page_100", "redis_round_trips"),
                        ("trivial", "queries"),
                        ("trivial", "redis_round_trips"),
                    )
                )
            ),
        ),
        _row(
            f"mirror of {mirror} candidates seeded (COPY) s",
            api["seeding"]["seconds"],
            "minutes",
            None,
            "reused from an earlier run" if api["seeding"]["seconds"] is None else "",
        ),
        _row(
            "v1 create-user p50 ms @5/s (+ v2 @100/s)",
            v1["v1_create_user"]["p50_ms"],
            "—",
            None,
            f"p99 {v1['v1_create_user']['p99_ms']} ms, statuses {v1['v1_create_user']['statuses']}",
        ),
        _row(
            "v2 accept p99 ms @100/s, with v1 beside it",
            v1["v2_accept_with_v1"]["p99_ms"],
            "—",
            v1["v2_p99_ratio_with_v1"],
            f"alone {v1['v2_accept_alone']['p99_ms']} ms; ratio with/alone",
        ),
        _row(
            f"feed page of 100 p50 ms ({feed['events']} events)",
            feed["feed_page_100_middle"]["p50_ms"],
            "—",
            feed["feed_page_100_middle"]["p50_ms"] / feed["trivial_regions_me"]["p50_ms"],
            "/ trivial endpoint; in process "
            f"{feed['in_process']['feed_page_100_middle_p50_ms']} ms",
        ),
        _row(
            "region lookup p50 ms",
            feed["lookup_postcode"]["p50_ms"],
            "≤ 2",
            feed["lookup_postcode"]["p50_ms"] / 2,
            f"in process {feed['in_process']['lookup_p50_ms']} ms; trivial endpoint "
            f"{feed['trivial_regions_me']['p50_ms']} ms",
        ),
    ]
    widths = [
        max(len(str(r[i])) for r in [*rows, ("figure", "value", "target", "ratio", "")])
        for i in range(5)
    ]
    header = ("figure", "value", "target", "ratio", "note")
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    results["table"] = [dict(zip(header, row, strict=True)) for row in rows]
    results["load_average"] = os.getloadavg()
    results["only"] = sorted(args.only) if args.only else None
    path.write_text(json.dumps(results, indent=2))
    _print_times(results, taken)
    print(f"\nsaved {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
