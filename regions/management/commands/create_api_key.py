from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regions.models import ApiKeyScope, Region
from regions.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key. The full key is the last line of stdout, shown only this once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help="Region code (optional for --admin).")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", action="store_true", help="Create an admin-scope key.")

    def handle(self, *args: Any, **options: Any) -> None:
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"No region with code {options['region']!r}.")
        elif not options["admin"]:
            raise CommandError("--region is required for region keys.")
        created = api_key_create(
            region=region,
            name=options["name"],
            scope=ApiKeyScope.ADMIN if options["admin"] else ApiKeyScope.REGION,
        )
        self.stderr.write(f"Created key ork_{created.api_key.prefix}… ({created.api_key.scope}).")
        self.stdout.write(created.full_key)
