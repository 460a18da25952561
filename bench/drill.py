"""``make drill``: fault drills against a running stack, each ending with the same checks.

(One file of ~870 lines on purpose: it is a program, not a module others import; the private
stack, the nine drills and their shared checks read top to bottom as one script.)

    .venv/bin/python bench/drill.py [--only NAME ...] [--candidates 1000]
                                    [--combined-seconds 300]

The stack is real and private to the drill: gunicorn, two engine workers (``run_engine``), a
Celery worker and beat, a private Redis, a private Postgres (``initdb`` in a temporary
directory, on a free port), the Airtable emulator (5 requests/s) and a callback receiver. The
drills restart only these private servers, never the machine's Postgres or Redis. Each drill
moves ``--candidates`` candidates in writes of 3 (1 000 → 334 writes); the combined drill
overlaps worker kills, a Redis and a Postgres restart, 5xx, timeout and 429 storms for
``--combined-seconds`` (5 compressed minutes). Time is compressed for the drill only: leases
of 10 s instead of 120 s, quarantines of 4 s instead of 120 s, callback retries at 1/100 of the
production schedule. The database is ``ats_drill`` (``DRILL_DATABASE`` overrides it).

After every drill: every accepted write ended exactly once (succeeded), Airtable holds no
duplicate, the mirror equals Airtable, and every callback was delivered exactly once; drills
that write to shared records add their own checks (last write wins, files once, deletes
complete). The table at the end prints each drill's size (writes, candidates) and the counts
behind these checks, cumulative over the run (the database is not emptied between drills).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _setup
import requests
from _setup import (
    ROOT,
    TOKEN,
    configure_environment,
    free_port,
    setup_django,
    start_gunicorn,
    wait_port,
)

SETTLE_TIMEOUT_S = 240
LOG_DIR = ROOT / "var" / "drill-logs"
COMPRESSION = {
    "MUTATION_LEASE_S": "10",
    # The lease covers connect + read timeout + token wait + margin (1 + 2 + 2 + 1 s).
    "AIRTABLE_CONNECT_TIMEOUT_S": "1",
    "MUTATION_TOKEN_WAIT_S": "2",
    "MUTATION_LEASE_MARGIN_S": "1",
    "MUTATION_SETTLE_S": "4",
    "MUTATION_BACKOFF_BASE_S": "0.5",
    "MUTATION_BACKOFF_MAX_S": "5",
    "MUTATION_MAX_ATTEMPTS": "30",
    "AIRTABLE_READ_TIMEOUT_S": "2",
    "WEBHOOK_RETRY_TIME_SCALE": "0.01",
    "API_RATE_LIMIT_PER_S": "100000",
    "API_RATE_LIMIT_BURST": "100000",
    "WORKER_CONCURRENCY": "2",
}


class Receiver:
    """The integrator's callback endpoint; can be taken down (connections refused)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, str]] = []  # (mutationId, status)
        self.arrived_at: dict[str, float] = {}  # mutationId → first arrival (time.time())
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/ats"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver._lock:
                    receiver.received.append((body["mutationId"], body["status"]))
                    receiver.arrived_at.setdefault(body["mutationId"], time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(mutation_id for mutation_id, _ in self.received)


class PrivatePostgres:
    """A throw-away Postgres cluster for the drills (``initdb`` into a temporary directory, run
    as the ``postgres`` user on a free port, fsync off). Restarting it touches nobody else."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("no Postgres server binaries under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="drill-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"),
            "-m", "fast", "-w", action,
        )  # fmt: skip

    def start(self) -> None:
        if not (self.dir / "data").exists():
            self._as_postgres(
                "initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync"
            )
        self._ctl("start")
        wait_port(self.port)

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        try:
            self._ctl("stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Stack:
    def __init__(
        self,
        extra: dict[str, str] | None = None,
        database: str | None = None,
        postgres: PrivatePostgres | None = None,
    ) -> None:
        from airtable.emulator import EmulatorServer

        self.postgres = postgres
        if postgres is not None:
            _setup.PG = postgres.url  # the bench database is created on the private server

        self.emulator = EmulatorServer(port=0, token=TOKEN, rate_limit_per_s=0).start()
        self.base_id = "appDrillProduct01"
        self.redis_port = free_port()
        self.web_port = free_port()
        self.receiver = Receiver()
        self.env = configure_environment(
            airtable_url=self.emulator.url,
            base_id=self.base_id,
            sandbox_base_id="appDrillSandbox01",
            extra={
                **COMPRESSION,
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                **(extra or {}),
            },
            database=database or os.environ.get("DRILL_DATABASE", "ats_drill"),
        )
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.web_workers = 2
        self.engines: list[subprocess.Popen] = []
        self.celery: list[subprocess.Popen] = []
        self.spawned = 0

    def _spawn(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        # Each process's output goes to var/drill-logs/ (a Celery worker that stops consuming
        # after a broker restart is only visible there).
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        words = [a for a in args[1:] if not a.startswith("-")][:3]
        name = "-".join(words).replace("/", "_")
        self.spawned += 1
        with open(LOG_DIR / f"{os.getpid()}-{self.spawned:03d}-{name}.log", "w") as log:
            return subprocess.Popen(
                list(args),
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.redis_port)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
            self.redis = None

    def start_engine(self, env: dict[str, str] | None = None) -> None:
        self.engines.append(self._spawn(sys.executable, "manage.py", "run_engine", env=env))

    def replace_engines(self, count: int, env: dict[str, str] | None = None) -> None:
        for process in self.engines:
            process.terminate()
        for process in self.engines:
            process.wait(timeout=30)
        self.engines = []
        for _ in range(count):
            self.start_engine(env)

    def start(self) -> None:
        from airtable.gateway import gateway_for_environment
        from airtable.layout import layout_bootstrap
        from candidates.airtable_layout import build_base_layout

        self.start_redis()
        for environment in ("production", "sandbox"):
            layout_bootstrap(gateway_for_environment(environment), build_base_layout())
        self.emulator.set_config(rate_limit_per_s=5, penalty_s=30)
        self.receiver.up()
        self.web = start_gunicorn(
            self.env, port=self.web_port, workers=self.web_workers, log_level="error"
        )
        for _ in range(2):
            self.start_engine()
        self.celery = [
            self._spawn(
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--queues",
                "celery",
                "--concurrency",
                "2",
                "--loglevel",
                "ERROR",
            ),
            self._spawn(
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "ERROR",
                "--schedule",
                str(Path("var") / "drill-celerybeat"),
            ),
        ]

    def stop(self) -> None:
        for process in [*self.engines, *self.celery, self.web]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.engines, *self.celery, self.web]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stop_redis()
        self.receiver.down()
        self.emulator.stop()


class Submitter:
    """Posts candidates with idempotency keys, retrying through outages (a client would)."""

    def __init__(self, stack: Stack, key: str) -> None:
        self.stack = stack
        self.key = key
        self.accepted: set[str] = set()
        self.candidates = 0
        self.size = 1000  # candidates per drill (--candidates)
        # Extra verifications of drills that write to shared records: each returns problems.
        self.checks: list[Callable[[], list[str]]] = []

    def write(self, method: str, path: str, body: dict | None, tag: str) -> str:
        """One write (any route) with an idempotency key and callback; returns its mutation id."""
        url = f"http://127.0.0.1:{self.stack.web_port}/api/v2{path}"
        headers = {"x-api-key": self.key, "Idempotency-Key": tag}
        params = {"callbackUrl": self.stack.receiver.url}
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.request(
                    method, url, json=body, params=params, headers=headers, timeout=10
                )
                if response.status_code == 202:
                    mutation_id = response.json()["data"]["mutationId"]
                    self.accepted.add(mutation_id)
                    return mutation_id
                if response.status_code < 500 and response.status_code != 429:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not submit {tag}")
            time.sleep(0.5)

    def submit(self, tag: str, count: int, per_request: int = 3) -> None:
        url = f"http://127.0.0.1:{self.stack.web_port}/api/v2/candidates"
        for start in range(0, count, per_request):
            size = min(per_request, count - start)
            body = {
                "candidates": [
                    {
                        "name": f"Drill {tag} {start + i}",
                        "privacyConsent": True,
                        "email": f"{tag}-{start + i}@drill.example.nl",
                    }
                    for i in range(size)
                ],
                "idempotencyKey": f"{tag}-{start}",
                "callbackUrl": self.stack.receiver.url,
            }
            deadline = time.monotonic() + 60
            while True:
                try:
                    response = requests.post(
                        url, json=body, timeout=10, headers={"x-api-key": self.key}
                    )
                    if response.status_code == 202:
                        self.accepted.add(response.json()["data"]["mutationId"])
                        self.candidates += size
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"could not submit {tag}-{start}")
                time.sleep(0.5)

    def in_background(self, tag: str, count: int) -> threading.Thread:
        thread = threading.Thread(target=self.submit, args=(tag, count), daemon=True)
        thread.start()
        return thread


def _settle(stack: Stack, submitter: Submitter) -> str | None:
    from django.db import close_old_connections

    from mutations.models import Mutation
    from webhooks.models import Delivery

    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        close_old_connections()
        try:
            open_mutations = Mutation.objects.filter(status__in=["queued", "processing"]).count()
            pending = Delivery.objects.filter(status="pending").count()
        except Exception:  # the database may be restarting
            time.sleep(1)
            continue
        delivered = stack.receiver.counts()
        if not open_mutations and not pending and submitter.accepted <= set(delivered):
            return None
        time.sleep(1)
    return f"not settled after {SETTLE_TIMEOUT_S}s"


def _verify(stack: Stack, submitter: Submitter) -> tuple[list[str], dict[str, str]]:
    """The checks after a drill, over everything the run has sent so far: the problems found,
    and the counts behind each check for the table."""
    from django.db import close_old_connections

    from candidates.models import Candidate
    from mutations.models import Mutation

    close_old_connections()
    problems = []
    accepted = len(submitter.accepted)
    statuses = Counter(Mutation.objects.values_list("status", flat=True))
    if set(statuses) != {"succeeded"} or sum(statuses.values()) != accepted:
        problems.append(f"mutations {dict(statuses)} for {accepted} accepted")
    records = stack.emulator.records(stack.base_id, "Kandidaten")
    keys = Counter(r["fields"].get("API Mutation Key") for r in records)
    if len(records) != submitter.candidates:
        problems.append(f"Airtable holds {len(records)} records, {submitter.candidates} sent")
    duplicated = sum(1 for n in keys.values() if n > 1)
    if duplicated:
        problems.append(f"{duplicated} duplicated mutation keys")
    airtable = {r["id"]: (r["fields"].get("Naam"), r["fields"].get("E-mail")) for r in records}
    mirror = {
        c.record_id: (c.name, c.email) for c in Candidate.objects.filter(environment="production")
    }
    if airtable != mirror:
        problems.append(f"mirror differs from Airtable ({len(mirror)} vs {len(airtable)} rows)")
    counts = stack.receiver.counts()
    missing = submitter.accepted - set(counts)
    doubled = [m for m, n in counts.items() if n > 1]
    if missing or doubled:
        problems.append(f"callbacks: {len(missing)} missing, {len(doubled)} delivered twice")
    once = sum(1 for m in submitter.accepted if counts.get(m) == 1)
    facts = {
        "succeeded": f"{statuses.get('succeeded', 0)}/{accepted}",
        "dup keys": str(duplicated),
        "mirror=AT": f"{len(mirror)}={len(airtable)}" if airtable == mirror else "differs",
        "callbacks 1×": f"{once}/{accepted}",
    }
    for check in submitter.checks:
        problems += check()
    return problems, facts


def drill_worker_sigkill_loop(stack: Stack, submitter: Submitter) -> None:
    thread = submitter.in_background("sigkill", submitter.size)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline or thread.is_alive():
        time.sleep(1.5)
        victim = random.choice(stack.engines)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        stack.engines.remove(victim)
        stack.start_engine()
    thread.join()


def drill_redis_restart(stack: Stack, submitter: Submitter) -> None:
    thread = submitter.in_background("redis", submitter.size)
    time.sleep(2)
    stack.stop_redis()
    time.sleep(8)
    stack.start_redis()
    thread.join()


def drill_postgres_restart(stack: Stack, submitter: Submitter) -> None:
    """Restarts the drill's private Postgres (never the machine's)."""
    assert stack.postgres is not None
    thread = submitter.in_background("postgres", submitter.size)
    time.sleep(2)
    stack.postgres.restart()
    thread.join()


# The lease-expiry drill's own timing: a 4 s lease (0.5 + 1.5 + 1 + 0.5 s, the least the engine
# accepts) and requests held 2.5 s (past their 2 s deadline) in waves, so requests time out and
# land late, and stalled workers lose their leases while their requests are in flight.
SHORT_LEASE = {
    "MUTATION_LEASE_S": "4",
    "AIRTABLE_CONNECT_TIMEOUT_S": "0.5",
    "AIRTABLE_READ_TIMEOUT_S": "1.5",
    "MUTATION_TOKEN_WAIT_S": "1",
    "MUTATION_LEASE_MARGIN_S": "0.5",
    "MUTATION_SETTLE_S": "4",
}
HELD_MS = 2500
SHARED_RECORDS = 6
DELETED_RECORDS = 2


def _wait_for_results(mutation_ids: list[str], timeout_s: float = 120) -> dict[str, dict]:
    from django.db import close_old_connections

    from mutations.models import Mutation

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        close_old_connections()
        done = {
            str(m.uuid): m.result
            for m in Mutation.objects.filter(uuid__in=mutation_ids, status="succeeded")
        }
        if len(done) == len(mutation_ids):
            return done
        time.sleep(0.5)
    raise RuntimeError(f"set-up writes not done after {timeout_s}s")


def _hostile_timing(stack: Stack, stop: threading.Event) -> None:
    """Waves of held requests; now and then a worker stalls past its lease (SIGSTOP) with a
    request in flight, or is killed and replaced."""
    wave = 0
    while not stop.is_set():
        wave += 1
        stack.emulator.set_faults(stack.base_id, latency_ms=HELD_MS)
        victim = random.choice(stack.engines)
        if wave % 3 == 0:
            time.sleep(0.3)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            stack.engines.remove(victim)
            stack.start_engine(SHORT_LEASE)
        else:
            time.sleep(0.3)
            victim.send_signal(signal.SIGSTOP)
            time.sleep(float(SHORT_LEASE["MUTATION_LEASE_S"]) + 1)
            victim.send_signal(signal.SIGCONT)
        stack.emulator.clear_faults()
        stop.wait(3)
    stack.emulator.clear_faults()


def drill_lease_expiry_in_flight(stack: Stack, submitter: Submitter) -> None:
    """Three workers on a short lease; creates, patches, uploads, interactions and deletes on
    shared records while requests are held and workers stall or die, beside the drill's
    ``submitter.size`` candidates created in writes of 3."""
    tag = f"lease{random.randrange(10**6)}"
    stack.replace_engines(3, SHORT_LEASE)
    creates = [
        submitter.write(
            "POST",
            "/candidates",
            {
                "candidates": [
                    {
                        "name": f"Gedeeld {tag} {n}",
                        "email": f"{tag}-{n}@drill.example.nl",
                        "privacyConsent": True,
                    }
                ]
            },
            f"{tag}-create-{n}",
        )
        for n in range(SHARED_RECORDS)
    ]
    submitter.candidates += SHARED_RECORDS
    results = _wait_for_results(creates)
    record_ids = [results[m]["recordIds"][0] for m in creates]
    stop = threading.Event()
    chaos = threading.Thread(target=_hostile_timing, args=(stack, stop), daemon=True)
    chaos.start()
    bulk = threading.Thread(target=submitter.submit, args=(f"{tag}-bulk", submitter.size))
    bulk.start()
    new_candidates = 0  # counted here: the bulk thread updates submitter.candidates meanwhile
    expected: dict[str, dict] = {}
    interaction_writes: dict[str, list[str]] = {r: [] for r in record_ids}
    try:
        for round_ in range(3):
            for n, record_id in enumerate(record_ids):
                path = f"/candidates/{record_id}"
                phase = ("matchen", "oriënteren", "voorbereiden")[(n + round_) % 3]
                city = f"Plaats {round_}"
                submitter.write(
                    "PATCH", path, {"phase": phase, "city": city}, f"{tag}-p{round_}-{n}"
                )
                expected[record_id] = {"Fase": phase, "Plaats": city}
                cv = {
                    "filename": f"cv-{round_}.txt",
                    "contentType": "text/plain",
                    "base64": "ZHJpbGw=",
                }
                submitter.write(
                    "POST", f"{path}/attachments", {"curriculumVitae": [cv]}, f"{tag}-a{round_}-{n}"
                )
                interaction_writes[record_id].append(
                    submitter.write(
                        "POST",
                        f"{path}/interactions",
                        {
                            "interactions": [
                                {"type": "Telefonisch", "performedAt": "2026-11-01T10:00:00Z"}
                            ]
                        },
                        f"{tag}-i{round_}-{n}",
                    )
                )
            # A few new candidates too, so creates run beside the writes to shared records.
            submitter.write(
                "POST",
                "/candidates",
                {
                    "candidates": [
                        {
                            "name": f"Nieuw {tag} {round_}",
                            "email": f"{tag}-new-{round_}@drill.example.nl",
                            "privacyConsent": True,
                        }
                    ]
                },
                f"{tag}-new-{round_}",
            )
            new_candidates += 1
        deleted = record_ids[:DELETED_RECORDS]
        for record_id in deleted:
            submitter.write("DELETE", f"/candidates/{record_id}", None, f"{tag}-d-{record_id}")
        new_candidates -= len(deleted)
        bulk.join()
        time.sleep(20)  # let the chaos play over the queue for a while
    finally:
        stop.set()
        chaos.join()
        bulk.join()
    submitter.candidates += new_candidates
    stack.replace_engines(2)
    submitter.checks.append(
        lambda: _shared_record_problems(stack, expected, deleted, interaction_writes)
    )


def _shared_record_problems(
    stack: Stack,
    expected: dict[str, dict],
    deleted: list[str],
    interaction_writes: dict[str, list[str]],
) -> list[str]:
    """Last write wins per record, each file once, deleted candidates leave nothing behind,
    and the mirror holds what Airtable holds for these records."""
    from django.db import close_old_connections

    from candidates.models import Candidate, Interaction
    from mutations.models import Mutation

    close_old_connections()
    problems = []
    candidates = {r["id"]: r for r in stack.emulator.records(stack.base_id, "Kandidaten")}
    interactions = stack.emulator.records(stack.base_id, "Interacties")
    created_interactions = {
        record_id: [
            rid
            for m in Mutation.objects.filter(uuid__in=ids)
            for rid in (m.result or {}).get("recordIds", [])
        ]
        for record_id, ids in interaction_writes.items()
    }
    for record_id in deleted:
        linked = [i for i in interactions if record_id in (i["fields"].get("Kandidaat") or [])]
        leftovers = set(created_interactions[record_id]) & {i["id"] for i in interactions}
        if record_id in candidates or linked or leftovers:
            problems.append(f"deleted {record_id} left data behind")
        if Candidate.objects.filter(record_id=record_id).exists():
            problems.append(f"deleted {record_id} still mirrored")
        if Interaction.objects.filter(record_id__in=created_interactions[record_id]).exists():
            problems.append(f"interactions of deleted {record_id} still mirrored")
    for record_id, fields in expected.items():
        if record_id in deleted:
            continue
        record = candidates.get(record_id)
        if record is None:
            problems.append(f"{record_id} missing from Airtable")
            continue
        got = {name: record["fields"].get(name) for name in fields}
        if got != fields:
            problems.append(f"{record_id}: Airtable has {got}, last write was {fields}")
        files = Counter(f["filename"] for f in record["fields"].get("CV") or [])
        if set(files) != {"cv-0.txt", "cv-1.txt", "cv-2.txt"} or max(files.values()) > 1:
            problems.append(f"{record_id}: files {dict(files)}")
        mirrored = Candidate.objects.filter(record_id=record_id).first()
        if mirrored is None or (mirrored.phase, mirrored.city) != (
            fields["Fase"],
            fields["Plaats"],
        ):
            problems.append(f"{record_id}: mirror differs from Airtable")
        elif sorted(a.filename for a in mirrored.attachments.all()) != sorted(files.elements()):
            problems.append(f"{record_id}: mirrored files differ from Airtable")
        linked = {
            i["id"] for i in interactions if record_id in (i["fields"].get("Kandidaat") or [])
        }
        if linked != set(created_interactions[record_id]):
            problems.append(f"{record_id}: interactions {len(linked)} in Airtable")
    return problems


def _emulator_storm(**faults: object) -> Callable[[Stack, Submitter], None]:
    def drill(stack: Stack, submitter: Submitter) -> None:
        stack.emulator.set_faults(stack.base_id, **faults)
        submitter.submit(f"storm{random.randrange(10**6)}", submitter.size)
        time.sleep(10)
        stack.emulator.clear_faults()

    return drill


def drill_receiver_down(stack: Stack, submitter: Submitter) -> None:
    """Ten minutes down at production speed; 6 s at the drill's 1/100 compression."""
    stack.receiver.down()
    submitter.submit("receiver", submitter.size)
    time.sleep(6)
    stack.receiver.up()


def drill_combined(stack: Stack, submitter: Submitter) -> None:
    """Everything at once for ``submitter.combined_s`` seconds (5 compressed minutes): writes
    arrive all along while engines are killed every 7 % of the span, Redis restarts at 20 %,
    Postgres at 45 %, a 5xx storm runs from 30 % to 60 %, timeouts after write from 50 % to
    75 % and a 429 storm starts at 65 % (the storms overlap each other and the restarts)."""
    span = submitter.combined_s
    started = time.monotonic()
    stop = threading.Event()
    # Two feeders spread ``submitter.size`` candidates evenly over the span, 30 per round.
    chunk = 30
    rounds = max(1, -(-submitter.size // (2 * chunk)))

    def feed(tag: str) -> None:
        for round_ in range(rounds):
            if stop.is_set():
                return
            submitter.submit(f"{tag}-{round_}", chunk)
            stop.wait(max(0.0, started + span * (round_ + 1) / rounds - time.monotonic()))

    feeders = [threading.Thread(target=feed, args=(f"combined{n}",), daemon=True) for n in (1, 2)]
    for feeder in feeders:
        feeder.start()

    def at(fraction: float) -> None:
        delay = started + span * fraction - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    events = [
        (0.20, lambda: (stack.stop_redis(), time.sleep(span * 0.03), stack.start_redis())),
        (0.30, lambda: stack.emulator.set_faults(stack.base_id, error_rate=0.3, seed=11)),
        (0.45, lambda: stack.postgres.restart()),
        (
            0.50,
            lambda: stack.emulator.set_faults(
                stack.base_id, error_rate=0.3, timeout_after_write_rate=0.2, timeout_s=3, seed=13
            ),
        ),
        (
            0.60,
            lambda: stack.emulator.set_faults(
                stack.base_id, timeout_after_write_rate=0.2, timeout_s=3, seed=17
            ),
        ),
        (
            0.65,
            lambda: stack.emulator.set_faults(
                stack.base_id,
                timeout_after_write_rate=0.2,
                timeout_s=3,
                seed=19,
                rate_limit_storm_s=max(5, span * 0.05),
            ),
        ),
        (0.75, lambda: stack.emulator.clear_faults()),
    ]
    kills = [round(0.07 * k, 2) for k in range(1, 14)]
    timeline = sorted([*events, *[(k, None) for k in kills]], key=lambda e: e[0])
    for fraction, action in timeline:
        at(fraction)
        if action is None:
            victim = random.choice(stack.engines)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            stack.engines.remove(victim)
            stack.start_engine()
        else:
            action()
    at(1.0)
    stop.set()
    for feeder in feeders:
        feeder.join()
    stack.emulator.clear_faults()


DRILLS: dict[str, Callable[[Stack, Submitter], None]] = {
    "worker SIGKILL loop": drill_worker_sigkill_loop,
    "Redis restart": drill_redis_restart,
    "Postgres restart": drill_postgres_restart,
    "emulator 5xx storm (30 %)": _emulator_storm(error_rate=0.3, seed=3),
    "emulator timeouts after write (20 %)": _emulator_storm(
        timeout_after_write_rate=0.2, timeout_s=3, seed=5
    ),
    "emulator 429 storm (10 s)": _emulator_storm(rate_limit_storm_s=10),
    "callback receiver down 10 min (compressed)": drill_receiver_down,
    "lease expiry with requests in flight": drill_lease_expiry_in_flight,
    "combined: kills, Redis + Postgres restarts, 5xx/timeout/429 storms": drill_combined,
}


def _selects(part: str, name: str) -> bool:
    """``--only`` matches a drill by substring, but a part that is exactly a drill's name
    selects only that drill ("Postgres restart" is also part of the combined drill's name)."""
    if any(part.lower() == other.lower() for other in DRILLS):
        return part.lower() == name.lower()
    return part.lower() in name.lower()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="substrings of drill names to run")
    parser.add_argument("--candidates", type=int, default=1000, help="per drill, in writes of 3")
    parser.add_argument("--combined-seconds", type=float, default=300)
    args = parser.parse_args()
    # A terminated drill still stops its stack and private servers (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    postgres = PrivatePostgres()
    postgres.start()
    stack = Stack(postgres=postgres)
    setup_django()
    from regions.services import api_key_create, region_create

    key = api_key_create(region=region_create(code="drill", name="Drill"), name="d").full_key
    submitter = Submitter(stack, key)
    submitter.size = args.candidates
    submitter.combined_s = args.combined_seconds
    results = []
    stack.start()
    try:
        for name, drill in DRILLS.items():
            if args.only and not any(_selects(part, name) for part in args.only):
                continue
            print(f"drill: {name} …", flush=True)
            started = time.monotonic()
            writes_before, candidates_before = len(submitter.accepted), submitter.candidates
            drill(stack, submitter)
            unsettled = _settle(stack, submitter)
            problems, facts = _verify(stack, submitter)
            problems = [unsettled, *problems] if unsettled else problems
            results.append(
                {
                    "drill": name,
                    "result": "PASS" if not problems else "FAIL",
                    "time": f"{time.monotonic() - started:.0f}s",
                    "writes": str(len(submitter.accepted) - writes_before),
                    "candidates": str(submitter.candidates - candidates_before),
                    **facts,
                    "details": "; ".join(problems),
                }
            )
            print(" ".join(results[-1].values()), flush=True)
    finally:
        stack.stop()
        postgres.stop()
    _print_table(results)
    print(
        f"\n{len(submitter.accepted)} writes accepted, {submitter.candidates} candidates; the "
        "checks count everything sent since the run began (earlier drills included)"
    )
    return 0 if all(r["result"] == "PASS" for r in results) else 1


def _print_table(results: list[dict[str, str]]) -> None:
    if not results:
        return
    columns = list(results[0])
    widths = {c: max(len(c), *(len(r[c]) for r in results)) for c in columns}
    print()
    for row in [{c: c for c in columns}, *results]:
        print("  ".join(row[c].ljust(widths[c]) for c in columns).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
