"""``make bench``: every benchmark of SPEC 13 in one run, printed as one table (measured value,
target, ratio) and saved as JSON under ``bench/results/`` for comparison between runs.

    .venv/bin/python bench/run_all.py [--quick]

``--quick`` shrinks each benchmark (fewer records, shorter load) for a smoke run.
"""

from __future__ import annotations

import argparse
import json
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


def _row(name: str, value: float | None, target: str, ratio: float | None, note: str = "") -> tuple:
    shown = "—" if value is None else f"{value:g}"
    return name, shown, target, "—" if ratio is None else f"{ratio:.2f}", note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    engine = _run("engine.py", "--candidates", "300" if quick else "1000")
    upstream = _run("engine.py", "--candidates", "300" if quick else "1000", "--upstream")
    api = _run(
        "api.py", "--seconds", "10" if quick else "30", "--mirror", "20000" if quick else "100000"
    )
    sync = _run("sync.py", "--records", "2000" if quick else "10000")
    v1 = _run("v1.py", "--seconds", "10" if quick else "30")
    feed = _run("feed.py", "--events", "100000" if quick else "1000000")

    accept, ceiling, reads = api["accept"], api["ceiling"], api["reads"]
    full = sync["full_into_empty_mirror"]
    rows = [
        _row(
            "engine records/s (5 regions, 2 workers)",
            engine["records_per_s"],
            "≥ 45 (90 % of 50)",
            engine["physical_limit_ratio"],
            "ratio to the physical limit 50/s",
        ),
        _row("engine 429s received", engine["http_429_received"], "0", None),
        _row("engine busiest second (requests)", engine["max_requests_in_any_1s"], "≤ 5", None),
        _row("engine fairness max/min", engine["fairness_max_min"], "≤ 1.5", None),
        _row(
            "upstream-style engine records/s",
            upstream["records_per_s"],
            "—",
            engine["records_per_s"] / upstream["records_per_s"],
            "speed-up of ours",
        ),
        _row(
            "accept p50 ms @200/s",
            accept["p50_ms"],
            "—",
            None,
            f"{accept['achieved_rps']} req/s, {accept['errors']} errors",
        ),
        _row("accept p99 ms @200/s", accept["p99_ms"], "≤ 50", accept["p99_ms"] / 50),
        _row(
            "trivial endpoint p99 ms @200/s",
            ceiling["p99_ms"],
            "—",
            accept["p99_ms"] / ceiling["p99_ms"],
            "accept / ceiling",
        ),
        _row(
            "find by email p50 ms",
            reads["find_by_email"]["p50_ms"],
            "≤ 5",
            reads["find_by_email"]["p50_ms"] / 5,
        ),
        _row(
            "find by phone p50 ms",
            reads["find_by_phone"]["p50_ms"],
            "≤ 5",
            reads["find_by_phone"]["p50_ms"] / 5,
        ),
        _row(
            "list page of 100 p50 ms",
            reads["list_page_100"]["p50_ms"],
            "≤ 30",
            reads["list_page_100"]["p50_ms"] / 30,
        ),
        _row(
            "get by id + interactions p50 ms",
            reads["get_with_interactions"]["p50_ms"],
            "—",
            None,
            f"p99 {reads['get_with_interactions']['p99_ms']} ms",
        ),
        _row(
            f"full sync of {sync['records']} records/s",
            full["records_per_s"],
            "limit 500",
            full["ratio_to_limit_time"],
            "time / theoretical time (target ≤ 1.2)",
        ),
        _row("full sync 429s received", full["http_429_received"], "0", None),
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
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "engine": engine,
                "upstream": upstream,
                "api": api,
                "sync": sync,
                "v1": v1,
                "feed": feed,
                "quick": quick,
            },
            indent=2,
        )
    )
    print(f"\nsaved {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
