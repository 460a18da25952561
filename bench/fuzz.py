"""``make fuzz``: schemathesis against the live OpenAPI document of a running server, then the
abusive bodies an attacker would send.

    .venv/bin/python bench/fuzz.py [--max-examples 60] [--seconds 280]

Starts gunicorn on a throw-away database (``BENCH_DATABASE``) and seeds what real callers have:
a region with candidates, interactions, attachments, webhook subscriptions, spare keys and a
mutation; an admin key; candidate sessions. schemathesis (schemathesis.toml applies) then runs
every documented operation with valid and invalid data in all phases, the stateful one walking
the OpenAPI links (create → mutation → candidate). ``bench/fuzz_hooks.py`` picks each
operation's real credential, mostly uses the seeded ids for path parameters, records every
answer and fails any of 1 MB or more. The abusive phase sends every write deeply nested JSON,
huge arrays, 300 000 unknown members and a chunked body. Fails on any 5xx, any answer over
1 MB, or any answer that does not match its documented schema; prints per operation how many
cases got a 2xx and names those that never did. Bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from _setup import ROOT, configure_environment, free_port, setup_django, start_gunicorn

OUT = ROOT / "var" / "fuzz"
PERSON = "fuzz.person@example.com"
MAX_RESPONSE_BYTES = 1_000_000
SPARE_SESSIONS = 200
# Array members the API's bodies define; the abusive phase fills each with 100 000 items.
ARRAY_MEMBERS = ("candidates", "interactions", "curriculumVitae", "otherAttachments", "events")
ENUM_LIST_MEMBERS = ("sectors", "roles", "qualifications")


def seed_database() -> dict[str, Any]:
    """What real callers hold: keys, a session, and ids that exist."""
    from django.utils import timezone

    from candidates.auth.tokens import generate_code, generate_token, hash_code, hash_token
    from candidates.factories import AttachmentFactory, CandidateFactory, InteractionFactory
    from candidates.models import CandidateSession, VerificationCode
    from regions.models import ApiKeyScope
    from regions.services import api_key_create, region_create
    from webhooks.services import subscription_create

    region = region_create(code="fuzz", name="Fuzz")
    spare_region = region_create(code="fuzz-spare", name="Fuzz spare")  # admins may edit this one
    candidates = [CandidateFactory(region=region, email=PERSON)] + [
        CandidateFactory(region=region) for _ in range(2)
    ]
    interactions = [InteractionFactory(candidate=c) for c in candidates]
    attachments = [AttachmentFactory(candidate=c) for c in candidates]
    subscriptions = [
        subscription_create(
            region=region,
            environment="production",
            url=f"http://127.0.0.1:9/fuzz-{i}",
            events=["candidate.created"],
        )
        for i in range(4)
    ]

    def session() -> str:
        token = generate_token()
        CandidateSession.objects.create(
            token_hash=hash_token(token),
            email=PERSON,
            environment="production",
            expires_at=timezone.now() + timedelta(days=1),
        )
        return token

    def emailed_code(index: int) -> dict[str, str]:
        # As if the mail had arrived: one person per code, since each code logs in once.
        email, code = f"fuzz.login{index}@example.com", generate_code()
        VerificationCode.objects.create(
            email=email,
            environment="production",
            code_hash=hash_code(email=email, code=code),
            expires_at=timezone.now() + timedelta(days=1),
            issued_at=timezone.now(),
        )
        return {"email": email, "code": code}

    return {
        "region_key": api_key_create(region=region, name="fuzz").full_key,
        "codes": [emailed_code(i) for i in range(SPARE_SESSIONS)],
        "admin_key": api_key_create(
            region=None, name="fuzz admin", scope=ApiKeyScope.ADMIN
        ).full_key,
        "session": session(),
        "spare_sessions": [session() for _ in range(SPARE_SESSIONS)],
        "path": {
            "candidate_id": [c.record_id for c in candidates],
            "interaction_id": [i.record_id for i in interactions],
            "attachment_id": [a.attachment_id for a in attachments],
            "subscription_id": [str(s.pk) for s in subscriptions],
            "key_id": [
                str(api_key_create(region=region, name=f"spare {i}").api_key.pk) for i in range(8)
            ],
            "region_id": [str(spare_region.pk), spare_region.code],
            "mutation_id": [],
        },
    }


def seed_mutations(base: str, seeds: dict[str, Any]) -> None:
    """Mutations as callers create them: a key's PATCH and the session's consent PATCH."""
    record = seeds["path"]["candidate_id"][0]
    for headers, body in (
        ({"x-api-key": seeds["region_key"]}, {"city": "Utrecht"}),
        ({"Authorization": f"Bearer {seeds['session']}"}, {"privacyConsent": True}),
    ):
        response = requests.patch(
            f"{base}/candidates/{record}", json=body, headers=headers, timeout=30
        )
        response.raise_for_status()
        seeds["path"]["mutation_id"].append(response.json()["data"]["mutationId"])


def caller_headers(operation: dict[str, Any], seeds: dict[str, Any]) -> dict[str, str]:
    security = {name for requirement in operation.get("security", []) for name in requirement}
    if security == {"bearerAuth"}:
        return {"Authorization": f"Bearer {seeds['session']}"}
    if "Admin" in operation.get("tags", []):
        return {"x-api-key": seeds["admin_key"]}
    return {"x-api-key": seeds["region_key"]}


def write_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch", "delete") and "operationId" in operation
    ]


def _resolved(path: str, seeds: dict[str, Any]) -> str:
    for name, values in seeds["path"].items():
        if values:
            path = path.replace("{" + name + "}", values[0])
    return path


def abusive_bodies() -> dict[str, bytes]:
    candidate = {"name": "Ada", "email": "ada@example.com", "privacyConsent": True}
    candidate["sectors"] = ["Primair onderwijs"] * 100_000  # ~20 MB in all: under the limit
    return {
        "nesting 50 000 deep": b'{"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "huge arrays": json.dumps(
            {member: ["x"] * 100_000 for member in ARRAY_MEMBERS}
            | {member: ["x"] * 100_000 for member in ENUM_LIST_MEMBERS}
        ).encode(),
        "10 candidates x 100 000 sectors": json.dumps({"candidates": [candidate] * 10}).encode(),
        "300 000 unknown members": json.dumps({f"m{i:06d}": 1 for i in range(300_000)}).encode(),
    }


def _chunked(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for chunk in (b'{"candidates": [{"name": 1}],', b' "bogus": true}'):
            connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def abusive_phase(port: int, document: dict[str, Any], seeds: dict[str, Any]) -> list[str]:
    base = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    bodies = abusive_bodies()
    worst = Counter[str]()
    for method, path, operation in write_operations(document):
        url_path = _resolved(path, seeds)
        headers = caller_headers(operation, seeds)
        # The hooks take spare sessions from the end of the list; this phase from the front.
        if operation["operationId"] == "auth_session_delete" and seeds["spare_sessions"]:
            headers = {"Authorization": f"Bearer {seeds['spare_sessions'].pop(0)}"}
        results: list[tuple[str, int, int]] = []
        for name, body in bodies.items():
            if name.startswith("10 candidates") and operation["operationId"] != "candidates_create":
                continue
            response = requests.request(
                method,
                base + url_path,
                data=body,
                headers=headers | {"Content-Type": "application/json"},
                timeout=120,
            )
            results.append((name, response.status_code, len(response.content)))
        results.append(("chunked", *_chunked(port, method, url_path, headers)))
        for name, status, size in results:
            worst[name] = max(worst[name], size)
            if status >= 500 or size >= MAX_RESPONSE_BYTES:
                failures.append(f"{method} {path} [{name}]: {status}, {size} bytes")
        statuses = ", ".join(f"{name}: {status}" for name, status, _ in results)
        print(f"abuse  {method:6} {path:55} {statuses}")
    print("abuse  largest answer per case: " + ", ".join(f"{k} {v} B" for k, v in worst.items()))
    return failures


def summarise(document: dict[str, Any], stats_path: Path) -> list[str]:
    """Per operation: cases, 2xx; returns the operations that never got a 2xx."""
    cases: dict[str, Counter[int]] = defaultdict(Counter)
    largest = 0
    for line in stats_path.read_text().splitlines():
        label, status, size = line.split("\t")
        cases[label][int(status)] += 1
        largest = max(largest, int(size))
    labels = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    never = []
    print(f"\n{'operation':62} {'cases':>6} {'2xx':>6}  statuses")
    for label in labels:
        counter = cases.get(label, Counter())
        ok = sum(n for status, n in counter.items() if 200 <= status < 300)
        if not ok:
            never.append(label)
        top = ", ".join(f"{s}×{n}" for s, n in sorted(counter.items()))
        print(f"{label:62} {sum(counter.values()):6} {ok:6}  {top}")
    total = sum(sum(c.values()) for c in cases.values())
    print(f"\n{total} calls; largest answer {largest} bytes")
    print("never a 2xx: " + (", ".join(never) if never else "none"))
    return never


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=280)
    args = parser.parse_args()

    env = configure_environment(
        airtable_url="http://127.0.0.1:9",
        base_id="appFuzzProduct001",
        sandbox_base_id="appFuzzSandbox001",
        extra={
            "CALLBACK_ALLOW_PRIVATE_HOSTS": "true",
            # schemathesis probes with wrong keys on purpose; do not lock the fuzzer out.
            "API_AUTH_FAILURE_BURST": "1000000",
        },
    )
    setup_django()
    seeds = seed_database()
    port = free_port()
    server = start_gunicorn(env, port=port)
    base = f"http://127.0.0.1:{port}/api/v2"
    OUT.mkdir(parents=True, exist_ok=True)
    seeds_path, stats_path = OUT / "seeds.json", OUT / "stats.tsv"
    stats_path.write_text("")
    try:
        seed_mutations(base, seeds)
        seeds_path.write_text(json.dumps(seeds))
        document = requests.get(f"{base}/openapi.json", timeout=30).json()
        command = [
            str(ROOT / ".venv" / "bin" / "schemathesis"),
            "run",
            f"{base}/openapi.json",
            "--max-examples",
            str(args.max_examples),
            "--exclude-checks",
            "positive_data_acceptance",
            "--mode",
            "all",
        ]
        fuzz_env = env | {
            "SCHEMATHESIS_HOOKS": "fuzz_hooks",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), env.get("PYTHONPATH", "")]),
            "FUZZ_SEEDS": str(seeds_path),
            "FUZZ_STATS": str(stats_path),
        }
        started = time.monotonic()
        try:
            returncode = subprocess.run(
                command, cwd=ROOT, env=fuzz_env, timeout=args.seconds
            ).returncode
        except subprocess.TimeoutExpired:
            print(f"fuzz: schemathesis stopped after the {args.seconds}s bound", file=sys.stderr)
            returncode = 0
        print(f"fuzz: schemathesis took {time.monotonic() - started:.0f}s")
        failures = abusive_phase(port, document, seeds)
        summarise(document, stats_path)
        for failure in failures:
            print(f"abuse FAILED: {failure}", file=sys.stderr)
        return returncode or (1 if failures else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
