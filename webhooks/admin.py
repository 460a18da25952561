"""Deliveries (read-only log with resend) and subscriptions in the back office (SPEC 10).

Every change goes through webhooks.services, so a staff edit gets the same SSRF guard and
event validation as an API write.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from config.admin_display import label, pretty_json
from config.admin_mixins import ViewOnlyDetailMixin
from regions.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin

from . import services
from .http import UnsafeUrl, check_url
from .models import EVENT_TYPES, Delivery, DeliveryAttempt, DeliveryStatus, Subscription


class DeliveryAttemptInline(RegionScopedInlineMixin, TabularInline):
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


STATUS_TONES: dict[str, str] = {
    DeliveryStatus.PENDING: "info",
    DeliveryStatus.DELIVERED: "success",
    DeliveryStatus.FAILED: "danger",
    DeliveryStatus.CANCELLED: "muted",
}
# What a coordinator can act on, matched against the error text webhooks/http.py stores.
_ERROR_EXPLANATIONS = (
    (re.compile(r"refused|Errno 111", re.I), _("The receiver refused the connection.")),
    (re.compile(r"timed out|timeout", re.I), _("The receiver did not answer in time.")),
    (
        re.compile(r"Name or service not known|nodename|getaddrinfo|Errno -[235]", re.I),
        _("The receiver's address does not exist (DNS)."),
    ),
    (re.compile(r"certificate|SSL", re.I), _("The receiver's HTTPS certificate was refused.")),
    (re.compile(r"Redirect", re.I), _("The receiver answered with a redirect, never followed.")),
    (re.compile(r"private|loopback|not allowed|unsafe", re.I), _("The URL is not allowed.")),
)


def delivery_error_text(status_code: int | None, error: str) -> str:
    """A delivery's last failure in words, without Python's exception text."""
    if error:
        for pattern, explanation in _ERROR_EXPLANATIONS:
            if pattern.search(error):
                return str(explanation)
        return str(_("The delivery failed: %(error)s")) % {"error": error}
    if status_code and not 200 <= status_code < 300:
        return str(_("The receiver answered HTTP %(code)d.")) % {"code": status_code}
    return ""


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyDetailMixin, RegionScopedAdminMixin, ModelAdmin):
    list_display = (
        "url_short",
        "event_name",
        "status_badge",
        "attempts",
        "next_try",
        "error_text",
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
        "error_text",
        "delivered_at",
        "created_at",
        "payload_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the delivery log is the audit trail

    @admin.display(description=_("URL"), ordering="url")
    def url_short(self, obj: Delivery) -> SafeString:
        return format_html('<span class="bo-url" title="{}">{}</span>', obj.url, obj.url)

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj: Delivery) -> str:
        return obj.event or str(_("mutation callback"))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Delivery) -> str:
        return label(obj.get_status_display(), STATUS_TONES.get(obj.status, "muted"))

    @admin.display(description=_("next try"), ordering="next_attempt_at")
    def next_try(self, obj: Delivery) -> str:
        if obj.status != DeliveryStatus.PENDING or obj.next_attempt_at is None:
            return "–"
        if obj.next_attempt_at <= timezone.now():
            return str(_("now"))
        return str(_("in %(time)s")) % {"time": timeuntil(obj.next_attempt_at)}

    @admin.display(description=_("last error"))
    def error_text(self, obj: Delivery) -> str:
        return delivery_error_text(obj.last_status_code, obj.last_error) or "–"

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Delivery) -> str:
        return pretty_json(obj.payload)

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
        super().clean()
        data = self.cleaned_data
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
class SubscriptionAdmin(RegionScopedAdminMixin, ModelAdmin):
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
