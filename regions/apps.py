from __future__ import annotations

from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = "Regio's"
    default_auto_field = "django.db.models.BigAutoField"
