from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regions.models import ApiKey
from regions.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (with or without 'ork_'). Takes effect at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].removeprefix("ork_").split(".")[0]
        api_key = ApiKey.objects.filter(prefix=prefix).first()
        if api_key is None:
            raise CommandError(f"No key with prefix {prefix!r}.")
        api_key = api_key_revoke(api_key=api_key)
        revoked = f"{api_key.revoked_at:%Y-%m-%d %H:%M:%S}"
        self.stdout.write(f"Revoked ork_{api_key.prefix} at {revoked}.")
