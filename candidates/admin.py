"""The candidate mirror in the back office: read-only for now.

Airtable is the system of record, so edits must go through the Mutation Engine (SPEC 10); until
that is wired here, staff can look but not change, add or delete.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .fields import phone_digits
from .models import Attachment, Candidate, CandidateAccessLog, Interaction


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "phase",
        "region",
        "environment",
        "archived",
        "airtable_modified_at",
    )
    list_filter = ("phase", "region", "environment", "archived")
    search_fields = ("=record_id", "name", "email", "phone", "phone_digits")
    list_select_related = ("region",)
    ordering = ("-id",)  # newest mirrored first, straight off the primary key
    show_full_result_count = False  # COUNT(*) over the whole mirror on every page is costly
    inlines = [InteractionInline, AttachmentInline]
    fieldsets = (
        (None, {"fields": ("record_id", "region", "environment", "archived")}),
        (
            _("Person"),
            {
                "fields": (
                    "name",
                    "email",
                    "phone",
                    "date_of_birth",
                    "address",
                    "postal_code",
                    "city",
                    "linkedin",
                )
            },
        ),
        (
            _("Journey"),
            {
                "fields": (
                    "privacy_consent",
                    "phase",
                    "sectors",
                    "roles",
                    "qualifications",
                    "prior_education",
                    "motivation",
                    "notes",
                    "exit_reason",
                    "source",
                    "external_id",
                    "custom_fields",
                )
            },
        ),
        (
            _("Sync"),
            {
                "fields": (
                    "airtable_created_at",
                    "airtable_modified_at",
                    "mirrored_at",
                    "mutation_key",
                )
            },
        ),
    )

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A phone number in any notation finds the candidate, as GET /candidates/find does.
        key = phone_digits(search_term) if search_term.strip() else None
        if key:
            results |= queryset.filter(phone_digits=key)
        return results, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CandidateAccessLog)
class CandidateAccessLogAdmin(admin.ModelAdmin):
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
