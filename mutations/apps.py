from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutationsConfig(AppConfig):
    verbose_name = _("Mutation Engine")
    name = "mutations"
    default_auto_field = "django.db.models.BigAutoField"
