from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from candidates.sync import STATUS_FAILED, SyncError, sandbox_wipe


class Command(BaseCommand):
    help = (
        "Empty the sandbox: delete every record of the sandbox Airtable base (batches of 10 "
        "through the rate limiter) and the sandbox mirror. The mutation log is kept. Beat "
        "runs it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Wait this long for a sync of the sandbox base to finish (default: skip).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        base_id = settings.AIRTABLE_SANDBOX_BASE_ID
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Pass --yes to wipe without a prompt.")
            answer = input(f"Delete every record of the sandbox base {base_id}? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                self.stdout.write("Nothing deleted.")
                return
        with tqdm(
            desc="sandbox records deleted",
            unit="rec",
            disable=options["no_progress"] or options["verbosity"] == 0,
            file=sys.stderr,  # the raw stream: tqdm redraws with "\r"
            leave=False,
        ) as bar:
            try:
                result = sandbox_wipe(progress=bar.update, wait_s=options["wait"])
            except SyncError as error:
                raise CommandError(str(error)) from error
        if result.status == STATUS_FAILED:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
