from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from airtable.gateway import AirtableError, base_id_for_environment, gateway_for_environment
from airtable.layout import layout_drift
from candidates.airtable_layout import LayoutConflictError, build_base_layout
from candidates.layout_check import check_layout
from candidates.layout_file import LayoutFileError, load_layout
from config.api.environment import ENVIRONMENTS

ALL_ENVIRONMENTS = "all"


class Command(BaseCommand):
    help = (
        "Compare each environment's Airtable base with the layout the system expects (SPEC 11) "
        "and print one line per problem. Exits non-zero when anything drifted. Uses one "
        "metadata request per base. With --layout (or AIRTABLE_LAYOUT_FILE), checks an "
        "existing base against its layout file: one line per mapped field."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--environment", choices=[*ENVIRONMENTS, ALL_ENVIRONMENTS], default=ALL_ENVIRONMENTS
        )
        parser.add_argument(
            "--layout",
            default=None,
            help="layout file of an existing base (default: AIRTABLE_LAYOUT_FILE, if set)",
        )

    def handle(self, *args: Any, environment: str, layout: str | None, **options: Any) -> None:
        layout_path = layout if layout is not None else settings.AIRTABLE_LAYOUT_FILE
        try:
            expected = build_base_layout()
            config = load_layout(layout_path) if layout_path else None
        except (LayoutConflictError, LayoutFileError) as exc:
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
            if config is not None:
                report = check_layout(config, expected, schema)
                verdict = "ok" if report.ok else "BLOCKED"
                self.stdout.write(f"{env} ({base_id}) with layout {layout_path}: {verdict}")
                for line in report.lines():
                    self.stdout.write(f"  {line}")
                problems += 0 if report.ok else 1
                continue
            drift = layout_drift(expected, schema)
            if not drift:
                self.stdout.write(f"{env} ({base_id}): no drift")
                continue
            problems += len(drift)
            self.stdout.write(f"{env} ({base_id}): {len(drift)} problem(s)")
            for item in drift:
                hint = "" if item.fixable else "  [fix in Airtable]"
                self.stdout.write(f"  {item.message}{hint}")
        if problems and config is not None:
            raise CommandError(
                f"{problems} base(s) cannot be used with {layout_path}: fix the BLOCKER lines "
                "(in Airtable or in the layout file)."
            )
        if problems:
            raise CommandError(
                f"Airtable layout drift: {problems} problem(s). Missing tables "
                f"and columns can be created with `manage.py airtable_bootstrap`."
            )
