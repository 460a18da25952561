from __future__ import annotations

from uuid import uuid4

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.environment import ENVIRONMENT_CHOICES


class MutationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (MutationStatus.QUEUED, MutationStatus.PROCESSING)
FINAL_STATUSES = (MutationStatus.SUCCEEDED, MutationStatus.FAILED, MutationStatus.CANCELLED)


class Mutation(models.Model):
    """One accepted write: the transactional outbox the engine works from (SPEC 5)."""

    # The auto-incremented key is the acceptance order: later mutations on the same record
    # never overtake earlier ones. The public id (``mutationId``) is the UUID.
    sequence = models.BigAutoField(primary_key=True, verbose_name=_("sequence"))
    uuid = models.UUIDField(unique=True, default=uuid4, editable=False, verbose_name=_("UUID"))
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="mutations",
        verbose_name=_("region"),
    )
    environment = models.CharField(
        max_length=10, choices=ENVIRONMENT_CHOICES, verbose_name=_("environment")
    )
    api_key = models.ForeignKey(
        "regions.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API key"),
    )
    # Who asked, when not an API key: an opaque "<kind>:<id>" (e.g. "session:<uuid>") set by
    # the domain, so that requester can read the mutation back; the engine never interprets it.
    requested_by = models.CharField(
        max_length=80, blank=True, default="", verbose_name=_("requested by")
    )
    # Who asked for the write, the ``source`` of the events it produces: "api" (a key),
    # "staff" (back office), "candidate" (a session), "retention" (the retention job).
    origin = models.CharField(max_length=10, default="api", verbose_name=_("origin"))
    operation = models.CharField(max_length=40, verbose_name=_("operation"))
    target_ids = models.JSONField(default=list, blank=True, verbose_name=_("target ids"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))
    # NULL, not "": the unique constraint applies only to mutations that carry a key.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True, verbose_name=_("idempotency key")
    )
    payload_hash = models.CharField(max_length=64, verbose_name=_("payload hash"))
    callback_url = models.URLField(max_length=2000, blank=True, verbose_name=_("callback URL"))
    # Keys of records this mutation touches, kept so a staff retry restores its place in order.
    ordering_keys = models.JSONField(default=list, blank=True, verbose_name=_("ordering keys"))
    # Files staged in Django storage at accept time; deleted once the mutation ends.
    staged_files = models.JSONField(default=list, blank=True, verbose_name=_("staged files"))

    status = models.CharField(
        max_length=12,
        choices=MutationStatus.choices,
        default=MutationStatus.QUEUED,
        verbose_name=_("status"),
    )
    # Requests sent to Airtable for this mutation (SPEC 5.5): >= 1 once anything was sent.
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    # The current step's retry budget: failed or unknown-outcome tries of the step now running
    # (a reclaimed lease is one); reset when a step succeeds. MUTATION_MAX_ATTEMPTS caps it.
    step_failures = models.PositiveIntegerField(default=0, verbose_name=_("step failures"))
    # Requests whose outcome was never learned (timeouts, lost connections, reclaimed leases);
    # a non-idempotent step (upload) re-reads the record first when this grew.
    unknown_outcomes = models.PositiveIntegerField(default=0, verbose_name=_("unknown outcomes"))
    # Its records' quarantine after an unknown outcome: nothing more is sent to them before.
    quarantined_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("quarantined until")
    )
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    lease_owner = models.CharField(max_length=100, blank=True, verbose_name=_("lease owner"))
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("lease expires at")
    )
    # Progress between Airtable requests (which items are done, records returned so far).
    state = models.JSONField(default=dict, blank=True, verbose_name=_("state"))
    result = models.JSONField(null=True, blank=True, verbose_name=_("result"))
    error = models.JSONField(null=True, blank=True, verbose_name=_("error"))

    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    scrubbed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("scrubbed at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mutation")
        verbose_name_plural = _("mutations")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "environment", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="mutation_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["environment", "status", "next_attempt_at"], name="mutation_due_idx"
            ),
            models.Index(
                fields=["region", "environment", "created_at", "sequence"],
                name="mutation_region_list_idx",
            ),
            models.Index(fields=["status", "finished_at"], name="mutation_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.uuid}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class MutationKey(models.Model):
    """A record (or lookup value) a mutation touches. Mutations sharing a key run in order.

    Rows exist while the mutation is active, and after it ended until ``held_until`` when it
    ended inside a quarantine (a write of it may still land on Airtable).
    """

    mutation = models.ForeignKey(
        Mutation, on_delete=models.CASCADE, related_name="keys", verbose_name=_("mutation")
    )
    key = models.CharField(max_length=300, verbose_name=_("key"))
    sequence = models.BigIntegerField(verbose_name=_("sequence"))
    held_until = models.DateTimeField(null=True, blank=True, verbose_name=_("held until"))

    class Meta:
        indexes = [models.Index(fields=["key", "sequence"], name="mutation_key_seq_idx")]

    def __str__(self) -> str:
        return self.key


class MutationAttempt(models.Model):
    """One Airtable request made for a mutation (several mutations may share a request)."""

    mutation = models.ForeignKey(
        Mutation, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("mutation")
    )
    request_id = models.UUIDField(
        verbose_name=_("request id"),
    )
    action = models.CharField(max_length=20, verbose_name=_("action"))
    table = models.CharField(max_length=100, verbose_name=_("table"))
    record_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("record count"))
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("status code")
    )
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration (ms)"))
    error_kind = models.CharField(max_length=20, blank=True, verbose_name=_("error kind"))
    error_type = models.CharField(max_length=100, blank=True, verbose_name=_("error type"))
    error_message = models.TextField(blank=True, verbose_name=_("error message"))
    worker = models.CharField(max_length=100, blank=True, verbose_name=_("worker"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["mutation", "created_at"], name="attempt_mutation_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.table} → {self.status_code or self.error_kind}"
