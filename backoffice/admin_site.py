"""The staff back office (SPEC 10): the admin site on the Unfold theme, dashboard as its index."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from .dashboard import dashboard_context


class BackOfficeSite(UnfoldAdminSite):
    site_header = _("Onderwijsregio back office")
    site_title = _("Onderwijsregio back office")
    index_title = _("Dashboard")
    index_template = "admin/dashboard.html"
    site_url = None  # there is no public site to go back to

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard_context(request), **(extra_context or {})})

    def extra_urls(self) -> list[URLPattern]:
        from . import board  # the board's views need the registered model admins

        return [
            path("board/", self.admin_view(board.board_view), name="board"),
            path(
                "board/<int:candidate_id>/move/",
                self.admin_view(board.move_view),
                name="board_move",
            ),
            path(
                "board/<int:candidate_id>/card/",
                self.admin_view(board.card_view),
                name="board_card",
            ),
        ]
