from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from config.admin_display import error_text, label, pretty_json
from config.admin_mixins import ViewOnlyDetailMixin
from regions.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin

from . import services
from .models import Mutation, MutationAttempt, MutationStatus
from .registry import operation_label


class MutationAttemptInline(RegionScopedInlineMixin, TabularInline):
    model = MutationAttempt
    extra = 0
    can_delete = False
    verbose_name_plural = _("Airtable requests (timeline)")
    fields = (
        "created_at",
        "action",
        "table",
        "record_count",
        "status_code",
        "duration_ms",
        "error_kind",
        "error_type",
        "error_message",
        "worker",
    )
    readonly_fields = fields
    ordering = ("created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


STATUS_TONES: dict[str, str] = {
    MutationStatus.QUEUED: "info",
    MutationStatus.PROCESSING: "warning",
    MutationStatus.SUCCEEDED: "success",
    MutationStatus.FAILED: "danger",
    MutationStatus.CANCELLED: "muted",
}


def mutation_status_label(mutation: Mutation) -> SafeString:
    return label(mutation.get_status_display(), STATUS_TONES.get(mutation.status, "muted"))


@admin.register(Mutation)
class MutationAdmin(ViewOnlyDetailMixin, RegionScopedAdminMixin, ModelAdmin):
    list_display = (
        "short_id",
        "operation_name",
        "status_badge",
        "attempts",
        "age",
        "region",
    )
    list_display_links = ("short_id", "operation_name")
    list_filter = ("status", "operation", "environment", "region")
    search_fields = ("=uuid", "=idempotency_key", "target_ids")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("region",)
    inlines = [MutationAttemptInline]
    actions = ["retry", "cancel"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "uuid",
                    "operation_name",
                    "status",
                    "region",
                    "environment",
                    "api_key",
                    "target_ids",
                    "idempotency_key",
                    "callback_url",
                )
            },
        ),
        (
            _("Progress"),
            {
                "fields": (
                    "attempts",
                    "next_attempt_at",
                    "lease_owner",
                    "lease_expires_at",
                    "created_at",
                    "started_at",
                    "finished_at",
                )
            },
        ),
        (_("Payload and outcome"), {"fields": ("payload_pretty", "result_pretty", "error_pretty")}),
        (_("Callbacks"), {"fields": ("callback_deliveries_links",)}),
    )
    readonly_fields = (
        "uuid",
        "operation_name",
        "status",
        "region",
        "environment",
        "api_key",
        "target_ids",
        "idempotency_key",
        "callback_url",
        "attempts",
        "next_attempt_at",
        "lease_owner",
        "lease_expires_at",
        "created_at",
        "started_at",
        "finished_at",
        "payload_pretty",
        "result_pretty",
        "error_pretty",
        "callback_deliveries_links",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the mutation log is the audit trail

    @admin.display(description=_("id"), ordering="sequence")
    def short_id(self, obj: Mutation) -> SafeString:
        return format_html('<code title="{}">{}</code>', obj.uuid, str(obj.uuid)[:8])

    @admin.display(description=_("operation"), ordering="operation")
    def operation_name(self, obj: Mutation) -> str:
        return operation_label(obj.operation)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Mutation) -> str:
        return mutation_status_label(obj)

    @admin.display(description=_("age"), ordering="-created_at")
    def age(self, obj: Mutation) -> str:
        return format_html(
            '<span title="{}">{}</span>',
            date_format(timezone.localtime(obj.created_at), "DATETIME_FORMAT"),
            _("%(age)s ago") % {"age": timesince(obj.created_at)},
        )

    @staticmethod
    def _pretty(value: Any) -> str:
        return pretty_json(value)

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Mutation) -> str:
        return self._pretty(obj.payload)

    @admin.display(description=_("result"))
    def result_pretty(self, obj: Mutation) -> str:
        return self._pretty(obj.result)

    @admin.display(description=_("error"))
    def error_pretty(self, obj: Mutation) -> str:
        if not obj.error:
            return self._pretty(obj.error)
        return format_html("<p>{}</p>{}", error_text(obj.error), self._pretty(obj.error))

    @admin.display(description=_("callback deliveries"))
    def callback_deliveries_links(self, obj: Mutation) -> str:
        # The reverse relation and the admin URL name: the engine does not import webhooks.
        deliveries = obj.callback_deliveries.order_by("created_at")
        if not deliveries:
            return str(_("None: this mutation has no callback URL, or it has not ended yet."))
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> · {} · {}',
            (
                (
                    reverse("admin:webhooks_delivery_change", args=[d.pk]),
                    d.pk,
                    d.get_status_display(),
                    d.url,
                )
                for d in deliveries
            ),
        )

    @admin.action(
        description=_("Retry the selected failed or cancelled mutations"), permissions=["change"]
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[Mutation]) -> None:
        retried = [
            m
            for m in queryset
            if services.mutation_retry(mutation=m).status == MutationStatus.QUEUED
        ]
        self.message_user(
            request,
            _("%(n)d mutation(s) queued again.") % {"n": len(retried)},
            messages.SUCCESS if retried else messages.WARNING,
        )

    @admin.action(description=_("Cancel the selected queued mutations"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Mutation]) -> None:
        cancelled = [
            m
            for m in queryset
            if services.mutation_cancel(mutation=m).status == MutationStatus.CANCELLED
        ]
        self.message_user(
            request,
            _("%(n)d mutation(s) cancelled.") % {"n": len(cancelled)},
            messages.SUCCESS if cancelled else messages.WARNING,
        )
