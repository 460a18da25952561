from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AirtableConfig(AppConfig):
    verbose_name = _("Airtable sync")
    name = "airtable"
    default_auto_field = "django.db.models.BigAutoField"
