"""Change feed and region lookup through gunicorn (SPEC 6.4, 15): GET /events pages of 100 on a
1 000 000-event feed, and GET /regions/lookup?postcode= against a realistic coverage table.

    .venv/bin/python bench/feed.py [--events 1000000] [--requests 500] [--json]

The events are written with COPY (under a minute for a million) into their own database
(``<BENCH_DATABASE>_feed``: the other benchmarks flush theirs), so a second run reuses them.
Latencies come from ``hey`` (one connection, sequential requests), like bench/api.py.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
import uuid

from _setup import BENCH_DB, configure_environment, free_port, setup_django, start_gunicorn
from api import _hey

FEED_DB = f"{BENCH_DB}_feed"
REGION_CODE = "bench-feed"
LOOKUP_REGIONS = 40  # about the number of Dutch education regions
RANGES_PER_REGION = 12
COPY_CHUNK = 100_000
EVENT_TYPES = ("candidate.created", "candidate.updated", "interaction.created")


def _seed_events(region, count: int) -> None:
    from django.db import connection

    from webhooks.models import Event, EventSequence

    existing = Event.objects.filter(region=region, environment="production").count()
    if existing >= count:
        return
    print(f"writing {count - existing} feed events with COPY …", flush=True)
    started = time.perf_counter()
    occurred = time.strftime("%Y-%m-%d %H:%M:%S+00")
    columns = (
        "uuid, region_id, environment, position, type, source, occurred_at, candidate_id, "
        "interaction_id, mutation_id, data"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        for start in range(existing + 1, count + 1, COPY_CHUNK):
            end = min(count, start + COPY_CHUNK - 1)
            with raw.copy(f"COPY webhooks_event ({columns}) FROM STDIN") as copy:
                for position in range(start, end + 1):
                    copy.write_row(
                        (
                            uuid.uuid4(),
                            region.pk,
                            "production",
                            position,
                            EVENT_TYPES[position % 3],
                            "api",
                            occurred,
                            f"rec{position:014d}",
                            "",
                            "",
                            '{"changedFields": ["phase"]}',
                        )
                    )
    EventSequence.objects.update_or_create(
        region=region, environment="production", defaults={"last_position": count}
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_event")
    print(f"  … in {time.perf_counter() - started:.1f} s", flush=True)


def _seed_coverage() -> None:
    from django.db import transaction

    from regions.coverage import PostcodeRange, region_coverage_replace
    from regions.models import Region
    from regions.services import region_create

    rng = random.Random(15)
    with transaction.atomic():
        for index in range(LOOKUP_REGIONS):
            code = f"bench-lookup-{index:02d}"
            region = Region.objects.filter(code=code).first() or region_create(
                code=code, name=f"Regio {index}", website=f"https://regio{index}.example.nl"
            )
            # Each region: a band of the postcode space cut into ranges, some shared.
            base = 1000 + index * 220
            ranges = []
            for part in range(RANGES_PER_REGION):
                start = base + part * 20 + rng.randint(0, 3)
                ranges.append(PostcodeRange(start, min(9999, start + 15)))
            region_coverage_replace(
                region=region, postcode_ranges=ranges, municipalities=[f"GM{index:04d}"]
            )


def _p50_ms(call, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 3)


def _in_process(region, events: int, times: int) -> dict:
    """The same work without HTTP, auth and rate limiting: what the feature itself costs."""
    from regions.coverage import regions_serving
    from webhooks.feed import feed_read
    from webhooks.feed_apis import feed_item

    def page() -> None:
        read = feed_read(region=region, environment="production", after=events // 2, page_size=100)
        [feed_item(event) for event in read.events]

    return {
        "feed_page_100_middle_p50_ms": _p50_ms(page, times),
        "lookup_p50_ms": _p50_ms(lambda: regions_serving(postcode=3511), times * 4),
    }


def run(events: int, requests: int) -> dict:
    env = configure_environment(
        airtable_url="http://127.0.0.1:9",
        base_id="appBenchProduct01",
        sandbox_base_id="appBenchSandbox01",
        database=FEED_DB,
    )
    setup_django(fresh=False)

    from regions.models import Region
    from regions.services import api_key_create, region_create

    region = Region.objects.filter(code=REGION_CODE).first() or region_create(
        code=REGION_CODE, name="Bench feed"
    )
    key = api_key_create(region=region, name="bench").full_key
    _seed_events(region, events)
    _seed_coverage()
    in_process = _in_process(region, events, times=200)

    if shutil.which("hey") is None:
        raise SystemExit("hey is not installed: apt-get install -y hey")
    port = free_port()
    server = start_gunicorn(env, port=port, workers=2)
    try:
        base = f"http://127.0.0.1:{port}/api/v2"
        _hey(f"{base}/regions/me", key=key, requests=200, concurrency=2)  # warm up
        print("feed and lookup reads …", flush=True)
        result = {
            "events": events,
            "in_process": in_process,
            "feed_page_100_start": _hey(
                f"{base}/events?after=0&pageSize=100", key=key, requests=requests
            ),
            "feed_page_100_middle": _hey(
                f"{base}/events?after={events // 2}&pageSize=100", key=key, requests=requests
            ),
            "feed_page_100_filtered": _hey(
                f"{base}/events?after={events // 2}&pageSize=100&types=interaction.created",
                key=key,
                requests=requests,
            ),
            "feed_empty_tail": _hey(f"{base}/events?after={events}", key=key, requests=requests),
            "lookup_postcode": _hey(
                f"{base}/regions/lookup?postcode=3511AB", key=key, requests=requests
            ),
            "lookup_uncovered": _hey(
                f"{base}/regions/lookup?postcode=9999ZZ", key=key, requests=requests
            ),
            "trivial_regions_me": _hey(f"{base}/regions/me", key=key, requests=requests),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.events, args.requests)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
