"""Sync bookkeeping: where each base's sync stands, its run history and its lock (SPEC 9).

Domain-free on purpose: rows name bases and tables, never what the records mean. The sync
services that fill them live with the domain (``candidates/sync/``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from config.api.environment import ENVIRONMENT_CHOICES

BASE_ID_LENGTH = 64  # Airtable ids are 17 characters; settings may hold hand-written ones
TABLE_NAME_LENGTH = 255
RECORD_ID_LENGTH = 32


class SyncMode(models.TextChoices):
    INCREMENTAL = "incremental", _("Incremental")
    FULL = "full", _("Full reconcile")
    WIPE = "wipe", _("Sandbox wipe")


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")  # or crashed: the base lock tells which
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # a full reconcile resumes from its cursor
    ABANDONED = "abandoned", _("Abandoned")  # too old to resume; a new run started over


class SyncState(models.Model):
    """One table of one base: the incremental watermark and the last run's figures."""

    base_id = models.CharField(_("base"), max_length=BASE_ID_LENGTH)
    table = models.CharField(_("table"), max_length=TABLE_NAME_LENGTH)
    environment = models.CharField(
        max_length=10, choices=ENVIRONMENT_CHOICES, verbose_name=_("environment")
    )
    # Every change made before ``watermark`` minus the overlap is in the mirror.
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    last_mode = models.CharField(
        max_length=12, choices=SyncMode.choices, blank=True, verbose_name=_("last mode")
    )
    last_started_at = models.DateTimeField(_("last run started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last run finished"), null=True, blank=True)
    last_duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    last_records_seen = models.PositiveIntegerField(_("records seen"), default=0)
    last_records_changed = models.PositiveIntegerField(_("records changed"), default=0)
    last_records_deleted = models.PositiveIntegerField(_("records deleted"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_full_success_at = models.DateTimeField(_("last full reconcile"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")
        ordering = ["environment", "base_id", "table"]
        constraints = [
            models.UniqueConstraint(fields=["base_id", "table"], name="sync_state_per_table"),
        ]

    def __str__(self) -> str:
        return f"{self.base_id}/{self.table}"


class SyncRun(models.Model):
    """One sync of one base. A full reconcile keeps its progress in ``cursor`` (and the record
    ids it has listed in :class:`SyncRunRecord`) so a crash resumes instead of starting over."""

    base_id = models.CharField(_("base"), max_length=BASE_ID_LENGTH)
    environment = models.CharField(
        max_length=10, choices=ENVIRONMENT_CHOICES, verbose_name=_("environment")
    )
    mode = models.CharField(max_length=12, choices=SyncMode.choices, verbose_name=_("mode"))
    status = models.CharField(
        max_length=10,
        choices=SyncRunStatus.choices,
        default=SyncRunStatus.RUNNING,
        verbose_name=_("status"),
    )
    owner = models.CharField(max_length=200, blank=True, verbose_name=_("owner"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    requests = models.PositiveIntegerField(_("Airtable requests"), default=0)
    records_seen = models.PositiveIntegerField(_("records seen"), default=0)
    records_changed = models.PositiveIntegerField(_("records changed"), default=0)
    records_deleted = models.PositiveIntegerField(_("records deleted"), default=0)
    events = models.PositiveIntegerField(_("events"), default=0)
    # Listings started over: an expired Airtable iterator, or a resumption after a crash.
    restarts = models.PositiveIntegerField(_("restarts"), default=0)
    cursor = models.JSONField(default=dict, blank=True, verbose_name=_("cursor"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["base_id", "mode", "status"], name="sync_run_resume_idx"),
            models.Index(fields=["started_at"], name="sync_run_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.base_id} {self.started_at:%Y-%m-%d %H:%M:%S}"


class SyncRunRecord(models.Model):
    """A record id a full reconcile has listed. What is in the mirror but not here once the
    listing is complete was deleted in Airtable. Removed when the run ends."""

    run = models.ForeignKey(
        SyncRun, on_delete=models.CASCADE, related_name="seen_records", verbose_name=_("run")
    )
    record_id = models.CharField(max_length=RECORD_ID_LENGTH, verbose_name=_("Airtable record id"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "record_id"], name="sync_run_record_once"),
        ]

    def __str__(self) -> str:
        return self.record_id


class SyncLock(models.Model):
    """At most one sync (or wipe) per base: a row claimed by a conditional UPDATE, with a lease
    renewed while the holder works, so a killed holder frees the base when it lapses."""

    base_id = models.CharField(_("base"), max_length=BASE_ID_LENGTH, primary_key=True)
    owner = models.CharField(max_length=200, blank=True, verbose_name=_("owner"))
    acquired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acquired at"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("sync lock")
        verbose_name_plural = _("sync locks")

    def __str__(self) -> str:
        return f"{self.base_id}: {self.owner or 'free'}"
