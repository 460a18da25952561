"""The staff back office (SPEC 10): Django's admin site with a dashboard as its index."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .dashboard import dashboard_context


class BackOfficeSite(admin.AdminSite):
    site_header = _("Onderwijsregio back office")
    site_title = _("Onderwijsregio back office")
    index_title = _("Dashboard")
    index_template = "admin/dashboard.html"
    site_url = None  # there is no public site to go back to

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard_context(request), **(extra_context or {})})


class ReadOnlyAdminMixin:
    """For records written elsewhere (the mirror, the engine, sync): staff look, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
