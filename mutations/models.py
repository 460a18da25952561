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
    sequence = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, default=uuid4, editable=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="mutations")
    environment = models.CharField(max_length=10, choices=ENVIRONMENT_CHOICES)
    api_key = models.ForeignKey(
        "regions.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who asked, when not an API key: an opaque "<kind>:<id>" (e.g. "session:<uuid>") set by
    # the domain, so that requester can read the mutation back; the engine never interprets it.
    requested_by = models.CharField(max_length=80, blank=True, default="")

    # Who asked for the write, the ``source`` of the events it produces: "api" (a key),
    # "staff" (back office), "candidate" (a session), "retention" (the retention job).
    origin = models.CharField(max_length=10, default="api")
    operation = models.CharField(max_length=40)
    target_ids = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # NULL, not "": the unique constraint applies only to mutations that carry a key.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    payload_hash = models.CharField(max_length=64)
    callback_url = models.URLField(max_length=2000, blank=True)
    # Keys of records this mutation touches, kept so a staff retry restores its place in order.
    ordering_keys = models.JSONField(default=list, blank=True)
    # Files staged in Django storage at accept time; deleted once the mutation ends.
    staged_files = models.JSONField(default=list, blank=True)

    status = models.CharField(
        max_length=12, choices=MutationStatus.choices, default=MutationStatus.QUEUED
    )
    # Requests sent to Airtable for this mutation (SPEC 5.5): >= 1 once anything was sent.
    attempts = models.PositiveIntegerField(default=0)
    # The current step's retry budget: failed or unknown-outcome tries of the step now running
    # (a reclaimed lease is one); reset when a step succeeds. MUTATION_MAX_ATTEMPTS caps it.
    step_failures = models.PositiveIntegerField(default=0)
    # Requests whose outcome was never learned (timeouts, lost connections, reclaimed leases);
    # a non-idempotent step (upload) re-reads the record first when this grew.
    unknown_outcomes = models.PositiveIntegerField(default=0)
    # Its records' quarantine after an unknown outcome: nothing more is sent to them before.
    quarantined_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Progress between Airtable requests (which items are done, records returned so far).
    state = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)

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

    mutation = models.ForeignKey(Mutation, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=300)
    sequence = models.BigIntegerField()
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["key", "sequence"], name="mutation_key_seq_idx")]

    def __str__(self) -> str:
        return self.key


class MutationAttempt(models.Model):
    """One Airtable request made for a mutation (several mutations may share a request)."""

    mutation = models.ForeignKey(Mutation, on_delete=models.CASCADE, related_name="attempt_log")
    request_id = models.UUIDField()
    action = models.CharField(max_length=20)
    table = models.CharField(max_length=100)
    record_count = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error_kind = models.CharField(max_length=20, blank=True)
    error_type = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["mutation", "created_at"], name="attempt_mutation_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.table} → {self.status_code or self.error_kind}"
