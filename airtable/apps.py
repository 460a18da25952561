from __future__ import annotations

from django.apps import AppConfig


class AirtableConfig(AppConfig):
    name = "airtable"
    default_auto_field = "django.db.models.BigAutoField"
