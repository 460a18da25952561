from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from candidates.sync import STATUS_FAILED, STATUS_SKIPPED, sync_full, sync_incremental
from config.api.environment import ENVIRONMENTS


class Command(BaseCommand):
    help = (
        "Pull Airtable into the mirror: what changed since the watermark (default, what beat "
        "runs every minute) or, with --full, every record: repair drift and remove records "
        "deleted in Airtable (nightly). One sync per base at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Full reconcile.")
        parser.add_argument("--environment", choices=[*ENVIRONMENTS, "all"], default="all")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Wait this long for a sync of the same base to finish (default: skip at once).",
        )
        parser.add_argument(
            "--allow-mass-delete",
            action="store_true",
            help="Let a full reconcile delete more than AIRTABLE_SYNC_MAX_DELETE_FRACTION of "
            "the mirror.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        environments = (
            ENVIRONMENTS if options["environment"] == "all" else (options["environment"],)
        )
        failed = []
        for environment in environments:
            with tqdm(
                desc=f"{environment} records",
                unit="rec",
                disable=options["no_progress"] or options["verbosity"] == 0,
                file=sys.stderr,  # the raw stream: tqdm redraws with "\r"
                leave=False,
            ) as bar:
                if options["full"]:
                    result = sync_full(
                        environment=environment,
                        progress=bar.update,
                        wait_s=options["wait"],
                        allow_mass_delete=options["allow_mass_delete"],
                    )
                else:
                    result = sync_incremental(
                        environment=environment, progress=bar.update, wait_s=options["wait"]
                    )
            style = {STATUS_FAILED: self.style.ERROR, STATUS_SKIPPED: self.style.WARNING}.get(
                result.status, self.style.SUCCESS
            )
            self.stdout.write(style(result.summary()))
            for line in result.unplaced_lines():
                self.stdout.write(line)
            if result.status == STATUS_FAILED:
                failed.append(environment)
        if failed:
            raise CommandError(f"sync failed for {', '.join(failed)}")
