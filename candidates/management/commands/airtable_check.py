from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from airtable.gateway import AirtableError, base_id_for_environment, gateway_for_environment
from airtable.layout import layout_drift
from candidates.airtable_layout import LayoutConflictError, build_base_layout
from config.api.environment import ENVIRONMENTS

ALL_ENVIRONMENTS = "all"


class Command(BaseCommand):
    help = (
        "Compare each environment's Airtable base with the layout the system expects (SPEC 11) "
        "and print one line per problem. Exits non-zero when anything drifted. Uses one "
        "metadata request per base."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--environment", choices=[*ENVIRONMENTS, ALL_ENVIRONMENTS], default=ALL_ENVIRONMENTS
        )

    def handle(self, *args: Any, environment: str, **options: Any) -> None:
        try:
            layout = build_base_layout()
        except LayoutConflictError as exc:
            raise CommandError(str(exc)) from exc
        problems = 0
        checked: set[str] = set()
        for env in ENVIRONMENTS if environment == ALL_ENVIRONMENTS else (environment,):
            base_id = base_id_for_environment(env)
            if base_id in checked:  # both environments on one base: check it once
                continue
            checked.add(base_id)
            try:
                schema = gateway_for_environment(env).schema()
            except AirtableError as exc:
                raise CommandError(
                    f"{env} ({base_id}): cannot read the base schema: "
                    f"{exc.error_type}: {exc.message}"
                ) from exc
            drift = layout_drift(layout, schema)
            if not drift:
                self.stdout.write(f"{env} ({base_id}): no drift")
                continue
            problems += len(drift)
            self.stdout.write(f"{env} ({base_id}): {len(drift)} problem(s)")
            for item in drift:
                hint = "" if item.fixable else "  [fix in Airtable]"
                self.stdout.write(f"  {item.message}{hint}")
        if problems:
            raise CommandError(
                f"Airtable layout drift: {problems} problem(s). Missing tables "
                f"and columns can be created with `manage.py airtable_bootstrap`."
            )
