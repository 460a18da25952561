"""Back-office additions to app admins that need more than one app: the candidate timeline.

Registered here, above every app, the way candidates/admin.py adds the JSON Schema preview to
the region page: the candidate admin itself stays within its app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from candidates.admin import CandidateAdmin
from candidates.models import Candidate
from mutations.admin import MutationAdmin
from mutations.models import Mutation

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


class MutationWithCandidateAdmin(MutationAdmin):
    """The mutation list names the candidate a mutation is about (the engine itself knows no
    candidates, so the column is added here)."""

    list_display = (
        "short_id",
        "operation_name",
        "candidate_link",
        "status_badge",
        "attempts",
        "age",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mutation]:
        candidate = Candidate.objects.filter(
            region_id=OuterRef("region_id"),
            environment=OuterRef("environment"),
            record_id=OuterRef("first_target"),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(first_target=KT("target_ids__0"))
            .annotate(
                candidate_pk=Subquery(candidate.values("pk")[:1]),
                candidate_name=Subquery(candidate.values("name")[:1]),
            )
        )

    @admin.display(description=_("candidate"))
    def candidate_link(self, obj: Mutation) -> str:
        pk = getattr(obj, "candidate_pk", None)
        if pk is None:
            return "–"
        url = reverse("admin:candidates_candidate_change", args=[pk])
        return format_html('<a href="{}">{}</a>', url, getattr(obj, "candidate_name", "") or "–")


admin.site.unregister(Mutation)
admin.site.register(Mutation, MutationWithCandidateAdmin)
