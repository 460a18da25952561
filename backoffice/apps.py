from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the back-office site (dashboard as its index) as ``admin.site``."""

    default_site = "backoffice.admin_site.BackOfficeSite"


class BackOfficeConfig(AppConfig):
    """The staff back office above every app: dashboard, charts, pipeline board, theme."""

    name = "backoffice"
    verbose_name = _("Back office")
