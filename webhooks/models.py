from __future__ import annotations

from uuid import uuid4

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.environment import ENVIRONMENT_CHOICES

# SPEC 6.3 event names a subscription may ask for. ``ping`` is sent only by POST
# /webhooks/{id}/test and cannot be subscribed to.
EVENT_TYPES = (
    "candidate.created",
    "candidate.updated",
    "candidate.archived",
    "candidate.deleted",
    "interaction.created",
    "mutation.failed",
)
PING_EVENT = "ping"


class DeliveryKind(models.TextChoices):
    CALLBACK = "callback", _("Mutation callback")
    EVENT = "event", _("Event")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class DisabledReason(models.TextChoices):
    GONE = "gone", _("Receiver answered 410 Gone")
    FAILING = "failing", _("Failing for 3 days")


class Subscription(models.Model):
    """A region's URL for webhook events in one environment (SPEC 6.3)."""

    id = models.UUIDField(primary_key=True, default=uuid4, editable=False)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    environment = models.CharField(max_length=10, choices=ENVIRONMENT_CHOICES)
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=10, choices=DisabledReason.choices, blank=True
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current unbroken run of failed attempts; any 2xx clears it.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        indexes = [
            models.Index(
                fields=["region", "environment", "created_at", "id"], name="subscription_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One message to one URL — a mutation callback or an event — with its retry state.

    Rows are the outbox: created in the transaction that produced the message, sent by
    workers after commit, and swept by beat when a wake-up was lost.
    """

    id = models.UUIDField(primary_key=True, default=uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    environment = models.CharField(max_length=10, choices=ENVIRONMENT_CHOICES)
    # The mutations app reads this reverse relation without importing webhooks.
    mutation = models.ForeignKey(
        "mutations.Mutation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callback_deliveries",
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    event = models.CharField(max_length=40, blank=True)
    url = models.URLField(max_length=2000)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time while pending; also the claim lease while an attempt is in flight.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DeliveryKind.CALLBACK) | Q(mutation__isnull=False),
                name="delivery_callback_has_mutation",
            ),
            models.CheckConstraint(
                condition=~Q(kind=DeliveryKind.EVENT) | ~Q(event=""),
                name="delivery_event_has_type",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(
                fields=["subscription", "created_at", "id"], name="delivery_subscription_idx"
            ),
        ]

    def __str__(self) -> str:
        label = self.event or self.kind
        return f"{label} → {self.url}"


class DeliveryAttempt(models.Model):
    """One POST made for a delivery: what came back, how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    address = models.CharField(max_length=64, blank=True, help_text=_("IP address connected to"))
    response_body = models.TextField(blank=True, help_text=_("Truncated"))
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.status_code or self.error}"
