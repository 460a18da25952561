from __future__ import annotations

from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = "Kandidaten"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .operations import register_operations

        register_operations()
