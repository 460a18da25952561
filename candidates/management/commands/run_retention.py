from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from candidates.auth.services import sessions_cleanup
from candidates.retention import retention_run


class Command(BaseCommand):
    help = (
        "Retention (daily in beat): scrub personal data from mutation and delivery logs older "
        "than RETENTION_PERSONAL_DATA_DAYS, queue archive mutations for stale candidates, "
        "delete old access-log rows and expired codes and sessions. Prints one summary line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sessions-only",
            action="store_true",
            help="Only delete expired codes and sessions (the hourly job).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sessions_only"]:
            result = sessions_cleanup()
            self.stdout.write(
                f"sessions: deleted {result.codes} codes and {result.sessions} sessions"
            )
            return
        self.stdout.write(retention_run().line())
