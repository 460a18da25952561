from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regions.models import Region
from regions.services import region_create


class Command(BaseCommand):
    help = "Create a region (prints its id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--contact-email", default="")
        parser.add_argument(
            "--if-missing", action="store_true", help="Succeed without change when the code exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = Region.objects.filter(code=options["code"]).first()
        if existing:
            if options["if_missing"]:
                self.stdout.write(str(existing.pk))
                return
            raise CommandError(f"Region {options['code']!r} exists.")
        region = region_create(
            code=options["code"], name=options["name"], contact_email=options["contact_email"]
        )
        self.stdout.write(str(region.pk))
