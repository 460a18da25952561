"""Back-office additions to app admins that need more than one app: the candidate timeline.

Registered here, above every app, the way candidates/admin.py adds the JSON Schema preview to
the region page: the candidate admin itself stays within its app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from candidates.admin import CandidateAdmin
from candidates.models import Candidate

from .timeline import candidate_timeline


class CandidateWithTimelineAdmin(CandidateAdmin):
    change_form_after_template = "backoffice/candidate_timeline.html"

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        obj = kwargs.get("obj")
        if obj is not None:
            context["timeline"] = candidate_timeline(obj)
        return super().render_change_form(request, context, *args, **kwargs)


admin.site.unregister(Candidate)
admin.site.register(Candidate, CandidateWithTimelineAdmin)
