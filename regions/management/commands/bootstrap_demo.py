from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from config.env import VAR_DIR
from regions.models import ApiKey, Region
from regions.services import api_key_create, region_create

DEMO_REGION_CODE = "demo"
CREDENTIALS_FILE = VAR_DIR / "demo-credentials.json"


class Command(BaseCommand):
    help = (
        "Local stack only: create a demo region, an API key and a superuser if none exist, and "
        "print how to use them. The credentials are kept in var/demo-credentials.json (git-"
        "ignored) so later runs can print them again; never run this against production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        saved = self._load()
        region = Region.objects.filter(code=DEMO_REGION_CODE).first() or region_create(
            code=DEMO_REGION_CODE, name="Demo-onderwijsregio", contact_email="demo@example.nl"
        )
        key = saved.get("api_key", "")
        prefix = key.removeprefix("ork_").split(".")[0]
        if not ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).exists():
            key = api_key_create(region=region, name="demo website").full_key
        User = get_user_model()
        password = saved.get("admin_password", "")
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "admin@example.nl", password)
        self._save({"api_key": key, "admin_password": password})
        base = options["base_url"]
        shown_password = password or "<unchanged>"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Onderwijsregio ATS — local stack",
                    f"  Admin:    {base}/admin/  (user: admin, password: {shown_password})",
                    f"  API docs: {base}/api/docs/",
                    f"  Region:   {region.code}",
                    f"  API key:  {key}",
                    "  Try:",
                    f"    curl -s -H 'x-api-key: {key}' {base}/api/v2/regions/me",
                    "",
                ]
            )
        )

    def _load(self) -> dict[str, str]:
        path = Path(CREDENTIALS_FILE)
        return json.loads(path.read_text()) if path.is_file() else {}

    def _save(self, data: dict[str, str]) -> None:
        path = Path(CREDENTIALS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        path.chmod(0o600)
        assert settings.DEBUG, "bootstrap_demo is for the local stack only"
