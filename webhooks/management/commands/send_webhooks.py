from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from webhooks.services import delivery_send_due

IDLE_SLEEP_S = 1.0


class Command(BaseCommand):
    help = (
        "Send due callback and event deliveries in the foreground (what the beat sweep hands "
        "to workers). Safe to run next to workers: every attempt is claimed first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-idle", action="store_true", help="Exit once nothing is due.")
        parser.add_argument(
            "--max-seconds", type=float, default=0, help="Stop after this long (0: no limit)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        attempts = 0
        while True:
            if options["max_seconds"] and time.monotonic() - started > options["max_seconds"]:
                break
            sent = delivery_send_due()
            attempts += sent
            if not sent:
                if options["until_idle"]:
                    break
                time.sleep(IDLE_SLEEP_S)
        self.stdout.write(f"{attempts} delivery attempts made.")
