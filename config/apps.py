from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the back-office site (dashboard as its index) as ``admin.site``."""

    default_site = "config.admin_site.BackOfficeSite"
