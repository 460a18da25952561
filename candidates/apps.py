from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidates")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from airtable.gateway import register_mapping_loader

        from .layout_file import mapping_for_file
        from .operations import register_operations

        register_operations()
        register_mapping_loader(mapping_for_file)
