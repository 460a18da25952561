from __future__ import annotations

import socket
import time
import urllib.parse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from airtable.gateway import AirtableError, base_id_for_environment, gateway_for_environment
from airtable.layout import layout_bootstrap
from candidates.airtable_layout import LayoutConflictError, build_base_layout
from candidates.layout_check import check_layout, missing_platform_columns
from candidates.layout_file import LayoutConfig, LayoutFileError, load_layout
from config.api.environment import ENVIRONMENTS

ALL_ENVIRONMENTS = "all"
WAIT_POLL_S = 0.25
PROBE_TIMEOUT_S = 1.0
DEFAULT_PORTS = {"http": 80, "https": 443}
BOOTSTRAP_SPACING_FACTOR = 1.25


class Command(BaseCommand):
    help = (
        "Create the tables and columns the system expects in each environment's Airtable base "
        "through the metadata API (SPEC 11). Idempotent: existing tables and columns are left "
        "alone. Drift it cannot repair (wrong types, missing select options) is printed and "
        "makes the command exit non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--environment", choices=[*ENVIRONMENTS, ALL_ENVIRONMENTS], default=ALL_ENVIRONMENTS
        )
        parser.add_argument(
            "--wait-s",
            type=float,
            default=0.0,
            help="keep trying to reach AIRTABLE_API_URL for up to this many "
            "seconds (for a local emulator that is still starting)",
        )
        parser.add_argument(
            "--layout",
            default=None,
            help="layout file of an existing base (default: AIRTABLE_LAYOUT_FILE, if set): "
            "only the missing API Mutation Key columns are added, nothing renamed or deleted",
        )

    def handle(
        self, *args: Any, environment: str, wait_s: float, layout: str | None, **options: Any
    ) -> None:
        layout_path = layout if layout is not None else settings.AIRTABLE_LAYOUT_FILE
        try:
            expected = build_base_layout()
            config = load_layout(layout_path) if layout_path else None
        except (LayoutConflictError, LayoutFileError) as exc:
            raise CommandError(str(exc)) from exc
        if config is not None:
            self._adopt(config, expected, environment, wait_s)
            return
        layout_ = expected
        if wait_s > 0:
            _wait_until_reachable(settings.AIRTABLE_API_URL, wait_s)
        # Stay under Airtable's per-base limit (a sliding one-second window, so exact 1/rate
        # spacing can still put six requests in one window); bootstrap is a one-off and does
        # not go through the engine's shared limiter.
        min_interval_s = BOOTSTRAP_SPACING_FACTOR / settings.AIRTABLE_REQUESTS_PER_S
        incomplete = 0
        done: set[str] = set()
        for env in ENVIRONMENTS if environment == ALL_ENVIRONMENTS else (environment,):
            base_id = base_id_for_environment(env)
            if base_id in done:  # both environments on one base: bootstrap it once
                continue
            done.add(base_id)
            try:
                summary = layout_bootstrap(
                    gateway_for_environment(env), layout_, min_interval_s=min_interval_s
                )
            except AirtableError as exc:
                raise CommandError(f"{env} ({base_id}): {exc.error_type}: {exc.message}") from exc
            created = [*summary.created_tables, *summary.created_fields]
            self.stdout.write(
                f"{env} ({base_id}): created {', '.join(created) if created else 'nothing'}"
            )
            for line in [*summary.failed, *(str(d) for d in summary.remaining)]:
                self.stdout.write(f"  {line}")
            if not summary.complete:
                incomplete += 1
        if incomplete:
            raise CommandError(
                f"{incomplete} base(s) still differ from the expected layout; "
                f"fix the lines above in Airtable."
            )

    def _adopt(self, config: LayoutConfig, expected: Any, environment: str, wait_s: float) -> None:
        """An existing base: add the missing ``API Mutation Key`` columns, then report what
        only a human can fix (missing select options, types) like ``airtable_check``."""
        if wait_s > 0:
            _wait_until_reachable(settings.AIRTABLE_API_URL, wait_s)
        blocked = 0
        done: set[str] = set()
        for env in ENVIRONMENTS if environment == ALL_ENVIRONMENTS else (environment,):
            base_id = base_id_for_environment(env)
            if base_id in done:
                continue
            done.add(base_id)
            gateway = gateway_for_environment(env)
            try:
                schema = gateway.schema()
                created = []
                for table_id, name in missing_platform_columns(config, schema):
                    gateway.create_field(
                        table_id,
                        name,
                        "singleLineText",
                        description="<mutationId>:<index> of the API write that created the "
                        "row. Hide it in your views.",
                    )
                    created.append(name)
                report = check_layout(config, expected, gateway.schema() if created else schema)
            except AirtableError as exc:
                raise CommandError(f"{env} ({base_id}): {exc.error_type}: {exc.message}") from exc
            self.stdout.write(
                f"{env} ({base_id}): created {', '.join(created) if created else 'nothing'}"
            )
            for line in report.lines():
                if line.startswith("BLOCKER"):
                    self.stdout.write(f"  {line}")
            blocked += 0 if report.ok else 1
        if blocked:
            raise CommandError(
                f"{blocked} base(s) still have blockers; fix the lines above in Airtable "
                "(select options and types cannot be changed through the API)."
            )


def _wait_until_reachable(url: str, wait_s: float) -> None:
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise CommandError(f"Airtable at {url} not reachable within {wait_s:g} s") from None
            time.sleep(WAIT_POLL_S)
