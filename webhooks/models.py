from __future__ import annotations

from uuid import uuid4

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.environment import ENVIRONMENT_CHOICES

# SPEC 6.3/6.4 event names: a subscription may ask for them and the change feed carries them.
# ``ping`` is sent only by POST /webhooks/{id}/test, cannot be subscribed to and is no feed row.
EVENT_TYPES = (
    "candidate.created",
    "candidate.updated",
    "candidate.archived",
    "candidate.unarchived",
    "candidate.deleted",
    "interaction.created",
    "interaction.updated",
    "interaction.deleted",
    "attachment.added",
    "attachment.removed",
    "mutation.failed",
)
PING_EVENT = "ping"


class EventSource(models.TextChoices):
    """Who made the change an event stands for."""

    API = "api", _("API key")
    STAFF = "staff", _("Staff in the back office")
    AIRTABLE = "airtable", _("Staff in Airtable (found by sync)")
    CANDIDATE = "candidate", _("The candidate (session)")
    RETENTION = "retention", _("Retention job")


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


class EventSequence(models.Model):
    """The feed's counter for one region and environment (SPEC 6.4).

    ``last_position`` is bumped with an UPDATE that row-locks the counter until the inserting
    transaction ends, so positions are handed out in commit order (see feed.py).
    ``pruned_through`` is the highest position retention deleted: a reader behind it missed
    events and must resync.
    """

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=10, choices=ENVIRONMENT_CHOICES)
    last_position = models.BigIntegerField(default=0)
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region", "environment"], name="event_sequence_per_environment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.environment}@{self.last_position}"


class Event(models.Model):
    """One row of the change feed; the webhook deliveries of the event point at it.

    Ids, field names and provenance only — the reader fetches the record itself.
    """

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid4, editable=False)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=10, choices=ENVIRONMENT_CHOICES)
    position = models.BigIntegerField()
    type = models.CharField(max_length=40)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    candidate_id = models.CharField(max_length=20, blank=True)
    interaction_id = models.CharField(max_length=20, blank=True)
    mutation_id = models.CharField(max_length=36, blank=True)
    # The rest of the webhook ``data``: changedFields, attachmentIds, operation, error...
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["region", "environment", "position"]
        verbose_name = _("feed event")
        verbose_name_plural = _("feed events")
        constraints = [
            # Also the index every feed read walks.
            models.UniqueConstraint(
                fields=["region", "environment", "position"], name="event_position_unique"
            ),
        ]
        indexes = [models.Index(fields=["occurred_at"], name="event_occurred_idx")]

    def __str__(self) -> str:
        return f"#{self.position} {self.type}"


class Subscription(models.Model):
    """A region's URL for webhook events in one environment (SPEC 6.3)."""

    id = models.UUIDField(primary_key=True, default=uuid4, editable=False, verbose_name=_("ID"))
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("region"),
    )
    environment = models.CharField(
        max_length=10, choices=ENVIRONMENT_CHOICES, verbose_name=_("environment")
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=10, choices=DisabledReason.choices, blank=True
    )
    disabled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("disabled at"))
    # Start of the current unbroken run of failed attempts; any 2xx clears it.
    failing_since = models.DateTimeField(null=True, blank=True, verbose_name=_("failing since"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    id = models.UUIDField(primary_key=True, default=uuid4, editable=False, verbose_name=_("ID"))
    kind = models.CharField(max_length=10, choices=DeliveryKind.choices, verbose_name=_("kind"))
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="webhook_deliveries",
        verbose_name=_("region"),
    )
    environment = models.CharField(
        max_length=10, choices=ENVIRONMENT_CHOICES, verbose_name=_("environment")
    )
    # The mutations app reads this reverse relation without importing webhooks.
    mutation = models.ForeignKey(
        "mutations.Mutation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callback_deliveries",
        verbose_name=_("mutation"),
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.CharField(max_length=40, blank=True, verbose_name=_("event"))
    # The feed row this event delivery was made from (SPEC 6.4); gone once retention prunes it.
    feed_event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("feed event"),
    )
    url = models.URLField(max_length=2000, verbose_name=_("URL"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    status = models.CharField(
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        verbose_name=_("status"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # Due time while pending; also the claim lease while an attempt is in flight.
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, default=timezone.now, verbose_name=_("next attempt at")
    )
    last_status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("last status code")
    )
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    resend_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resends",
        verbose_name=_("resend of"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveSmallIntegerField(
        verbose_name=_("number"),
    )
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("status code")
    )
    address = models.CharField(
        max_length=64, blank=True, help_text=_("IP address connected to"), verbose_name=_("address")
    )
    response_body = models.TextField(
        blank=True, help_text=_("Truncated"), verbose_name=_("response body")
    )
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        ordering = ["started_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.status_code or self.error}"
