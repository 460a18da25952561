"""Sync bookkeeping in the back office: read-only, the jobs own these rows."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from config.admin_mixins import ReadOnlyAdminMixin

from .models import SyncLock, SyncRun, SyncState


class _ReadOnlyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    pass


@admin.register(SyncState)
class SyncStateAdmin(_ReadOnlyAdmin):
    list_display = (
        "base_id",
        "table",
        "environment",
        "watermark",
        "last_mode",
        "last_finished_at",
        "last_duration_s",
        "last_records_changed",
        "last_records_deleted",
        "has_error",
        "last_full_success_at",
    )
    list_filter = ("environment", "table", "last_mode")
    search_fields = ("base_id", "table", "last_error")

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, obj: SyncState) -> bool:
        return bool(obj.last_error)


@admin.register(SyncRun)
class SyncRunAdmin(_ReadOnlyAdmin):
    list_display = (
        "started_at",
        "base_id",
        "environment",
        "mode",
        "status",
        "duration_s",
        "requests",
        "records_seen",
        "records_changed",
        "records_deleted",
        "events",
        "restarts",
    )
    list_filter = ("status", "mode", "environment")
    search_fields = ("base_id", "error", "owner")
    date_hierarchy = "started_at"
    exclude = ("cursor",)  # progress bookkeeping, meaningless to staff
    readonly_fields = ("unplaced_records",)

    @admin.display(description=_("records that could not be placed"))
    def unplaced_records(self, obj: SyncRun) -> str:
        """The sync's report of Airtable records it could not mirror as they are (no or an
        unknown region, an unknown phase option), for staff to fix in Airtable."""
        report = (obj.cursor or {}).get("unplaced") or {}
        lines = [f"{u['table']} {u['id']}: {u['reason']}" for u in report.get("records", [])]
        more = report.get("count", 0) - len(lines)
        if more > 0:
            lines.append(f"… and {more} more")
        return "\n".join(lines) or "-"


@admin.register(SyncLock)
class SyncLockAdmin(_ReadOnlyAdmin):
    list_display = ("base_id", "owner", "acquired_at", "expires_at")
