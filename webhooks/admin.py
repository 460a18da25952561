"""Deliveries (read-only log with resend) and subscriptions in the back office (SPEC 10).

Every change goes through webhooks.services, so a staff edit gets the same SSRF guard and
event validation as an API write.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from regions.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin

from . import services
from .http import UnsafeUrl, check_url
from .models import EVENT_TYPES, Delivery, DeliveryAttempt, DeliveryStatus, Subscription


class DeliveryAttemptInline(RegionScopedInlineMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    verbose_name_plural = _("attempts")
    fields = (
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "address",
        "error",
        "response_body",
    )
    readonly_fields = fields
    ordering = ("number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "event",
        "status_badge",
        "region",
        "environment",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "kind", "region", "environment", "event")
    search_fields = ("=id", "=mutation__uuid", "url")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("region",)
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    fields = (
        "id",
        "kind",
        "event",
        "status",
        "region",
        "environment",
        "mutation",
        "subscription",
        "resend_of",
        "url",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the delivery log is the audit trail

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Delivery) -> str:
        colours = {
            DeliveryStatus.DELIVERED: "#1a7f37",
            DeliveryStatus.FAILED: "#cf222e",
            DeliveryStatus.CANCELLED: "#6e7781",
        }
        return format_html(
            '<strong style="color:{}">{}</strong>',
            colours.get(obj.status, "#0969da"),
            obj.get_status_display(),
        )

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Delivery) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap'>{}</pre>",
            json.dumps(obj.payload, indent=2, ensure_ascii=False),
        )

    @admin.action(description=_("Resend selected deliveries"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset:
            services.delivery_resend(delivery=delivery)
            count += 1
        self.message_user(request, _("%d deliveries queued again.") % count, messages.SUCCESS)


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ("region", "environment", "url", "events", "description", "active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except UnsafeUrl as exc:
            raise forms.ValidationError(str(exc)) from None
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance._state.adding and data.get("region") and data.get("environment"):
            existing = Subscription.objects.filter(
                region=data["region"], environment=data["environment"]
            ).count()
            if existing >= services.MAX_SUBSCRIPTIONS_PER_ENVIRONMENT:
                raise forms.ValidationError(
                    _("This region has the maximum number of subscriptions here.")
                )
        return data


@admin.register(Subscription)
class SubscriptionAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "url",
        "region",
        "environment",
        "active",
        "disabled_reason",
        "failing_since",
        "created_at",
    )
    list_filter = ("active", "environment", "region", "disabled_reason")
    search_fields = ("url", "description")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)
    readonly_fields = ("disabled_reason", "disabled_at", "failing_since", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Subscription | None = None) -> Any:
        if obj is not None:
            return (*self.readonly_fields, "region", "environment")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {k: data[k] for k in ("url", "events", "description", "active")}
            saved = services.subscription_update(subscription=obj, **changes)
        else:
            saved = services.subscription_create(
                region=data["region"],
                environment=data["environment"],
                url=data["url"],
                events=data["events"],
                description=data["description"],
                active=data["active"],
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        services.subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            services.subscription_delete(subscription=subscription)
