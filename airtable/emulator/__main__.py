"""Command line: ``python -m airtable.emulator --port 8765 --data var/airtable.json``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .persistence import SAVE_DEBOUNCE_S
from .ratelimit import DEFAULT_RATE_LIMIT_PER_S, RATE_LIMIT_PENALTY_S
from .server import DEFAULT_HOST, EmulatorServer

DEFAULT_PORT = 8765


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airtable.emulator",
        description="Local Airtable Web API emulator (no network, stdlib only).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 = pick a free port")
    parser.add_argument(
        "--data", default=None, help="JSON file to load and persist state to (default: in-memory)"
    )
    parser.add_argument(
        "--token", default=None, help="required bearer token (default: accept any non-empty token)"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_RATE_LIMIT_PER_S,
        help="requests per second per base; 0 = unlimited",
    )
    parser.add_argument(
        "--penalty",
        type=float,
        default=RATE_LIMIT_PENALTY_S,
        help="seconds every request to a base gets 429 after exceeding the limit",
    )
    parser.add_argument(
        "--save-debounce",
        type=float,
        default=SAVE_DEBOUNCE_S,
        help="seconds to coalesce writes before saving the data file",
    )
    parser.add_argument(
        "--unknown-table-status",
        type=int,
        choices=(403, 404),
        default=403,
        help="answer an unknown table with 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND or "
        "404 TABLE_NOT_FOUND (real Airtable has answered both ways)",
    )
    parser.add_argument("--verbose", action="store_true", help="print an access log")
    return parser


def _raise_keyboard_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    server = EmulatorServer(
        args.host,
        args.port,
        token=args.token,
        data_path=args.data,
        rate_limit_per_s=args.rate_limit,
        penalty_s=args.penalty,
        save_debounce_s=args.save_debounce,
        verbose=args.verbose,
        unknown_table_status=args.unknown_table_status,
    )
    # SIGTERM (docker stop, honcho) should flush the data file like Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    server.start()
    print(
        f"Airtable emulator listening on {server.url} (data: {args.data or 'in-memory'})",
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
