"""The read mirror of Airtable's candidates, interactions and attachments (SPEC 1, 4.1–4.3).

Airtable is the system of record; these rows are what it last told us, per environment. The
API's ``id`` is the Airtable record id, never the surrogate key. Text columns are unbounded
because staff type into Airtable directly: the mirror stores what Airtable holds, and the API's
length limits apply to input only.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.environment import ENVIRONMENT_CHOICES, PRODUCTION
from regions.models import Region

RECORD_ID_LENGTH = 17  # "rec" / "att" + 14 characters
_LISTING_ORDER = ["airtable_created_at", "record_id"]


class MirrorRecord(models.Model):
    """What every mirrored Airtable record has: its record id in one environment's base."""

    record_id = models.CharField(_("Airtable record id"), max_length=RECORD_ID_LENGTH)
    environment = models.CharField(
        max_length=10,
        choices=ENVIRONMENT_CHOICES,
        default=PRODUCTION,
        verbose_name=_("environment"),
    )

    class Meta:
        abstract = True


class Candidate(MirrorRecord):
    # Not indexed alone: every composite index below starts with the region.
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="candidates",
        db_index=False,
        verbose_name=_("region"),
    )

    name = models.TextField(_("name"), blank=True)
    email = models.TextField(_("email"), blank=True, help_text=_("Stored lower-cased."))
    phone = models.TextField(_("phone"), blank=True, help_text=_("E.164 when it parses."))
    phone_digits = models.CharField(
        max_length=32, blank=True, editable=False, verbose_name=_("phone digits")
    )
    privacy_consent = models.BooleanField(_("privacy consent"), default=False)
    phase = models.TextField(_("phase"), blank=True)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    roles = models.JSONField(_("roles"), default=list, blank=True)
    qualifications = models.JSONField(_("qualifications"), default=list, blank=True)
    prior_education = models.TextField(_("prior education"), blank=True)
    linkedin = models.TextField("LinkedIn", blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    exit_reason = models.TextField(_("exit reason"), blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.TextField(_("city"), blank=True)
    postal_code = models.TextField(_("postal code"), blank=True)
    source = models.TextField(_("source"), blank=True)
    external_id = models.TextField(_("external id"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    mutation_key = models.TextField(
        blank=True, help_text=_("Airtable's 'API Mutation Key'."), verbose_name=_("mutation key")
    )
    airtable_created_at = models.DateTimeField(_("created in Airtable"))
    airtable_modified_at = models.DateTimeField(_("last modified in Airtable"))
    mirrored_at = models.DateTimeField(_("mirrored"), default=timezone.now)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "record_id"], name="candidate_record_per_environment"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "environment", "email"], name="candidate_email_idx"),
            models.Index(
                fields=["region", "environment", "phone_digits"], name="candidate_phone_idx"
            ),
            models.Index(
                fields=["region", "environment", *_LISTING_ORDER], name="candidate_listing_idx"
            ),
            models.Index(
                fields=["region", "environment", "airtable_modified_at"],
                name="candidate_modified_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email or '?'} ({self.record_id})"


class Interaction(MirrorRecord):
    # Follows the candidate's region; kept here so reads are scoped without a join.
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,
        verbose_name=_("region"),
    )
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,
        verbose_name=_("candidate"),
    )

    type = models.TextField(_("type"), blank=True)
    subject = models.TextField(_("subject"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    performed_by = models.TextField(_("performed by"), blank=True)
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)
    duration_minutes = models.IntegerField(_("duration (minutes)"), null=True, blank=True)

    mutation_key = models.TextField(blank=True, verbose_name=_("mutation key"))
    airtable_created_at = models.DateTimeField(_("created in Airtable"))
    airtable_modified_at = models.DateTimeField(_("last modified in Airtable"))
    mirrored_at = models.DateTimeField(_("mirrored"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "record_id"], name="interaction_record_per_environment"
            ),
        ]
        indexes = [
            models.Index(
                fields=["candidate", "airtable_created_at", "record_id"],
                name="interaction_listing_idx",
            ),
            models.Index(
                fields=["region", "environment", "airtable_modified_at"],
                name="interaction_modified_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type or '?'} ({self.record_id})"


class AttachmentField(models.TextChoices):
    CURRICULUM_VITAE = "curriculumVitae", _("CV")
    OTHER_ATTACHMENTS = "otherAttachments", _("Other attachments")


class Attachment(models.Model):
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.CASCADE,
        related_name="attachments",
        db_index=False,
        verbose_name=_("candidate"),
    )
    attachment_id = models.CharField(max_length=RECORD_ID_LENGTH, verbose_name=_("attachment id"))
    field = models.CharField(
        max_length=20, choices=AttachmentField.choices, verbose_name=_("field")
    )
    filename = models.TextField(blank=True, verbose_name=_("filename"))
    content_type = models.TextField(blank=True, verbose_name=_("content type"))
    size = models.BigIntegerField(null=True, blank=True, verbose_name=_("size"))
    url = models.TextField(blank=True, verbose_name=_("URL"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["field", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "field", "attachment_id"], name="attachment_once_per_field"
            ),
        ]

    def __str__(self) -> str:
        return self.filename or self.attachment_id


# --- candidate sessions and the access log (SPEC 7) ---------------------------------------------


class VerificationCode(models.Model):
    """One ``POST /auth/verification``: a row for every accepted request, known email or not.

    The request only inserts this row; a worker decides whether a candidate has the email,
    and only then generates the code, stores its HMAC and mails it. So the request does the
    same work for every address, and the plain code exists only in the worker and the email.
    """

    email = models.TextField(_("email"), help_text=_("Lower-cased, as typed in the form."))
    environment = models.CharField(
        max_length=10,
        choices=ENVIRONMENT_CHOICES,
        default=PRODUCTION,
        verbose_name=_("environment"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("region"),
    )
    # HMAC-SHA256 (hex) of the code; empty until a code was issued, and for unknown emails.
    code_hash = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("code hash")
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("failed attempts"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"),
    )
    issued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("issued at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    invalidated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("invalidated at"))

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [
            models.Index(
                fields=["email", "environment", "created_at"], name="verification_email_idx"
            ),
            models.Index(fields=["created_at"], name="verification_created_idx"),
        ]

    def __str__(self) -> str:
        return f"verification {self.pk}"


class CandidateSession(models.Model):
    """A bearer session of one person (an email address), across regions. The token is stored
    only as its SHA-256 hash; logging out deletes the row."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("token hash")
    )
    email = models.TextField(_("email"))
    environment = models.CharField(
        max_length=10,
        choices=ENVIRONMENT_CHOICES,
        default=PRODUCTION,
        verbose_name=_("environment"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"),
    )

    class Meta:
        verbose_name = _("candidate session")
        verbose_name_plural = _("candidate sessions")
        indexes = [models.Index(fields=["expires_at"], name="candidate_session_expiry_idx")]

    def __str__(self) -> str:
        return f"session {self.pk}"


class CandidateAccessLog(models.Model):
    """Who read which candidate through the API: one row per candidate per request.

    Holds ids only — never request bodies or query values such as an email searched for.
    """

    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    route = models.CharField(_("route"), max_length=100)
    environment = models.CharField(
        max_length=10,
        choices=ENVIRONMENT_CHOICES,
        default=PRODUCTION,
        verbose_name=_("environment"),
    )
    record_id = models.CharField(_("candidate record id"), max_length=RECORD_ID_LENGTH)
    # Plain ids rather than foreign keys: the log must outlive revoked keys and ended sessions.
    region_id = models.UUIDField(_("acting region"), null=True, blank=True)
    api_key_id = models.UUIDField(_("API key"), null=True, blank=True)
    session_id = models.UUIDField(_("candidate session"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("candidate access")
        verbose_name_plural = _("candidate access log")
        indexes = [
            models.Index(fields=["record_id", "created_at"], name="access_log_record_idx"),
            models.Index(fields=["created_at"], name="access_log_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.record_id}"
