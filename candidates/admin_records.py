"""The candidate admins besides the candidate itself: the read-only mirror of interactions and
attachments (inlines on the candidate page, and lists of their own), the superuser-only access
log, and the region page with its JSON Schema preview. Registered by admin.py, the module
Django's autodiscovery imports."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from config.admin_mixins import ReadOnlyAdminMixin
from regions.admin import RegionAdmin
from regions.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin
from regions.models import Region

from .models import Attachment, Interaction
from .schema import candidate_json_schema


class _ReadOnlyInline(ReadOnlyAdminMixin, RegionScopedInlineMixin, TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields


class InteractionInline(_ReadOnlyInline):
    model = Interaction
    fields = (
        "record_id",
        "type",
        "subject",
        "performed_by",
        "performed_at",
        "duration_minutes",
        "summary",
    )
    ordering = ("airtable_created_at", "record_id")


class AttachmentInline(_ReadOnlyInline):
    model = Attachment
    fields = ("field", "position", "filename", "content_type", "size", "url")


class _ReadOnlyAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, ModelAdmin):
    show_full_result_count = False


class InteractionAdmin(_ReadOnlyAdmin):
    """Interactions as the mirror holds them; they are written through the API or Airtable."""

    list_display = (
        "record_id",
        "type",
        "subject",
        "candidate",
        "region",
        "environment",
        "performed_at",
    )
    list_filter = ("type", "region", "environment")
    search_fields = ("=record_id", "=candidate__record_id", "subject")
    list_select_related = ("candidate", "region")
    ordering = ("-id",)


class AttachmentAdmin(_ReadOnlyAdmin):
    region_lookup = "candidate__region"
    list_display = ("filename", "field", "content_type", "size", "candidate")
    list_filter = ("field", "candidate__region", "candidate__environment")
    search_fields = ("=attachment_id", "=candidate__record_id", "filename")
    list_select_related = ("candidate",)
    ordering = ("-id",)


class CandidateAccessLogAdmin(ModelAdmin):
    """Who read which candidate through the API. Superusers only: the log itself says whom a
    region is interested in, so region staff do not see it; nobody edits it."""

    list_display = ("created_at", "route", "record_id", "api_key_id", "session_id", "environment")
    list_filter = ("route", "environment")
    search_fields = ("=record_id", "=request_id")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- the region page, with its candidate JSON Schema ---------------------------------------------


class RegionWithSchemaAdmin(RegionAdmin):
    """The region page plus a read-only preview of its candidate JSON Schema. It is added here
    rather than in regions/admin.py because the schema belongs to candidates, the layer above
    regions (the same way an app extends Django's user admin)."""

    schema_fields = ("create_schema", "update_schema")

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return (*fields, *self.schema_fields) if obj else fields

    def get_fieldsets(self, request: HttpRequest, obj: Region | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        (name, options), *rest = fieldsets
        main = [f for f in options["fields"] if f not in self.schema_fields]
        preview = {
            "fields": self.schema_fields,
            "classes": ("collapse",),
            "description": _(
                "What integrators get from GET /schema, generated from the shared fields and "
                "this region's custom fields."
            ),
        }
        return [
            (name, {**options, "fields": main}),
            *rest,
            (_("Candidate JSON Schema (preview)"), preview),
        ]

    @staticmethod
    def _schema(region: Region, operation: str) -> str:
        schema = candidate_json_schema(region=region, operation=operation)
        return format_html(
            "<pre class='json-schema' style='white-space:pre;overflow:auto;max-height:32em;"
            "margin:0'>{}</pre>",
            json.dumps(schema, indent=2, ensure_ascii=False),
        )

    @admin.display(description=_("create (POST /candidates)"))
    def create_schema(self, obj: Region) -> str:
        return self._schema(obj, "create")

    @admin.display(description=_("update (PATCH /candidates/{id})"))
    def update_schema(self, obj: Region) -> str:
        return self._schema(obj, "update")
