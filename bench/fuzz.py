"""``make fuzz``: schemathesis against the live OpenAPI document of a running server.

    .venv/bin/python bench/fuzz.py [--max-examples 60] [--seconds 280]

Starts gunicorn on a throw-away database with a region key, runs every documented operation
with valid and invalid data (schemathesis.toml at the repository root applies), and fails on
any 5xx or any response that does not match its documented schema. Bounded in time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _setup import ROOT, configure_environment, free_port, setup_django, start_gunicorn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=280)
    args = parser.parse_args()

    env = configure_environment(
        airtable_url="http://127.0.0.1:9",
        base_id="appFuzzProduct001",
        sandbox_base_id="appFuzzSandbox001",
        extra={"CALLBACK_ALLOW_PRIVATE_HOSTS": "true"},
    )
    setup_django()
    from regions.services import api_key_create, region_create

    key = api_key_create(region=region_create(code="fuzz", name="Fuzz"), name="fuzz").full_key
    port = free_port()
    server = start_gunicorn(env, port=port)
    try:
        command = [
            str(ROOT / ".venv" / "bin" / "schemathesis"),
            "run",
            f"http://127.0.0.1:{port}/api/v2/openapi.json",
            "--header",
            f"x-api-key: {key}",
            "--max-examples",
            str(args.max_examples),
            "--exclude-checks",
            "positive_data_acceptance",
            "--mode",
            "all",
        ]
        try:
            return subprocess.run(command, cwd=ROOT, env=env, timeout=args.seconds).returncode
        except subprocess.TimeoutExpired:
            print(f"fuzz: stopped after the {args.seconds}s bound", file=sys.stderr)
            return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
