from __future__ import annotations

import signal
import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.api.environment import ENVIRONMENTS
from mutations.engine import check_lease_timing, engine_tick, worker_id
from mutations.waiting import engine_idle_wait

IDLE_SLEEP_S = 0.5


class Command(BaseCommand):
    help = (
        "Run the Mutation Engine in the foreground (an alternative to Celery workers, e.g. for "
        "operators and drills). Safe to run many at once on Postgres."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--environment", choices=[*ENVIRONMENTS, "all"], default="all")
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="Exit once nothing is due (instead of waiting for work).",
        )
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=0,
            help="Stop after this long (0: run until interrupted).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_lease_timing()
        except ImproperlyConfigured as exc:
            raise CommandError(f"refusing to start: {exc}") from None
        environments = (
            ENVIRONMENTS if options["environment"] == "all" else (options["environment"],)
        )
        owner = worker_id()
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        started = time.monotonic()
        records = requests = 0
        while not stopping:
            if options["max_seconds"] and time.monotonic() - started > options["max_seconds"]:
                break
            waits, idle = [], True
            for environment in environments:
                result = engine_tick(environment=environment, owner=owner)
                records += result.records
                requests += int(result.sent)
                idle = idle and result.idle
                if result.wait_s:
                    waits.append(result.wait_s)
            if idle and options["until_idle"]:
                break
            if idle:
                # An accepted write nudges us (mutations.waiting): start within a round trip.
                engine_idle_wait(environments, min([IDLE_SLEEP_S, *waits]))
            elif waits and len(waits) == len(environments):
                time.sleep(min([IDLE_SLEEP_S, *waits]))
        self.stdout.write(f"engine {owner}: {requests} requests, {records} records")
