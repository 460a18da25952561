from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidates")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .operations import register_operations

        register_operations()
