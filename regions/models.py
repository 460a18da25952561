from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_RETENTION_MONTHS = 24


class Region(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    retention_months = models.PositiveSmallIntegerField(
        _("retention (months)"),
        default=DEFAULT_RETENTION_MONTHS,
        help_text=_("Candidates untouched for longer than this are archived."),
    )
    # HMAC secrets must be readable to sign callbacks, so they cannot be hashed. The previous
    # secret keeps signing in parallel until it expires (SPEC 6.2 rotation overlap).
    signing_secret = models.CharField(max_length=100, blank=True, verbose_name=_("signing secret"))
    previous_signing_secret = models.CharField(
        max_length=100, blank=True, verbose_name=_("previous signing secret")
    )
    previous_signing_secret_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("previous signing secret expires at")
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["created_at", "id"], name="region_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ApiKeyScope(models.TextChoices):
    REGION = "region", _("Region")
    ADMIN = "admin", _("Admin")


class ApiKey(models.Model):
    """An API credential. The secret is stored only as a SHA-256 hash (see regions/keys.py)."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        related_name="api_keys",
        null=True,
        blank=True,
        help_text=_("Admin keys may have no home region; they act for one via x-region-id."),
        verbose_name=_("region"),
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(
        _("scope"), max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.REGION
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False, verbose_name=_("prefix"))
    hashed_secret = models.CharField(max_length=64, editable=False, verbose_name=_("hashed secret"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )
    v1_last_used_at = models.DateTimeField(
        _("last used API v1"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The last call to the deprecated API v1 with this key."),
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("revoked at")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope=ApiKeyScope.ADMIN) | Q(region__isnull=False),
                name="api_key_region_scope_has_region",
            ),
        ]
        indexes = [models.Index(fields=["region", "created_at", "id"], name="api_key_region_idx")]

    def __str__(self) -> str:
        return f"{self.name} (ork_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_admin(self) -> bool:
        return self.scope == ApiKeyScope.ADMIN


class CustomFieldType(models.TextChoices):
    STRING = "string", _("Text")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    ENUM = "enum", _("Choice")
    ENUM_LIST = "enum[]", _("Multiple choice")


_CAMEL_CASE = r"^[a-z][a-zA-Z0-9]{0,49}$"


class CustomField(models.Model):
    """A region-specific candidate field (SPEC 4.4), edited by staff in the admin.

    It appears under ``customFields`` in that region's JSON Schema and nowhere else, and is
    stored in its own Airtable column of the shared base.
    """

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="custom_fields", verbose_name=_("region")
    )
    key = models.CharField(
        _("key"),
        max_length=50,
        validators=[RegexValidator(_CAMEL_CASE, _("Use camelCase: letters and digits."))],
    )
    label = models.CharField(_("label"), max_length=200)
    type = models.CharField(_("type"), max_length=10, choices=CustomFieldType.choices)
    options = models.JSONField(
        _("options"),
        default=list,
        blank=True,
        help_text=_("Choices for the choice types, as a JSON list."),
    )
    required = models.BooleanField(_("required on create"), default=False)
    description = models.TextField(_("description"), blank=True)
    airtable_column = models.CharField(_("Airtable column"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["region", "position", "key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["region", "key"], name="custom_field_key_per_region"),
            models.UniqueConstraint(
                fields=["region", "airtable_column"], name="custom_field_column_per_region"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.code}.{self.key}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        is_choice = self.type in {CustomFieldType.ENUM, CustomFieldType.ENUM_LIST}
        if is_choice and (
            not isinstance(self.options, list)
            or not self.options
            or not all(isinstance(o, str) and o for o in self.options)
        ):
            raise ValidationError({"options": _("Choice fields need a list of text options.")})
        if not is_choice and self.options:
            raise ValidationError({"options": _("Only choice fields have options.")})


class StaffMembership(models.Model):
    """A back-office user's access to one region (SPEC 10).

    Superusers see every region; every other staff user sees exactly the regions they are a
    member of (``regions/admin_scoping.py``), whatever their group permissions allow.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="region_memberships",
        verbose_name=_("user"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("region"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        ordering = ["region", "user"]
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="staff_membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region.code}"


POSTCODE_MIN, POSTCODE_MAX = 1000, 9999
MUNICIPALITY_CODE_PATTERN = r"^GM[0-9]{4}$"


class RegionCoverage(models.Model):
    """One piece of a region's coverage (SPEC 15): a range of Dutch 4-digit postcodes, or a CBS
    municipality code (``GMxxxx``). Overlaps within a region are refused (regions/coverage.py);
    overlaps between regions are allowed and reported."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="coverage")
    postcode_from = models.PositiveSmallIntegerField(
        _("postcode from"),
        null=True,
        blank=True,
        validators=[MinValueValidator(POSTCODE_MIN), MaxValueValidator(POSTCODE_MAX)],
    )
    postcode_to = models.PositiveSmallIntegerField(
        _("postcode to"),
        null=True,
        blank=True,
        validators=[MinValueValidator(POSTCODE_MIN), MaxValueValidator(POSTCODE_MAX)],
    )
    municipality_code = models.CharField(
        _("municipality (CBS code)"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(MUNICIPALITY_CODE_PATTERN, _("Use GM and four digits."))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region", "postcode_from", "municipality_code"]
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        postcode_from__isnull=False,
                        postcode_to__isnull=False,
                        municipality_code="",
                        postcode_from__gte=POSTCODE_MIN,
                        postcode_from__lte=F("postcode_to"),
                        postcode_to__lte=POSTCODE_MAX,
                    )
                    | Q(postcode_from__isnull=True, postcode_to__isnull=True)
                    & ~Q(municipality_code="")
                ),
                name="coverage_range_or_municipality",
            ),
            models.UniqueConstraint(
                fields=["region", "municipality_code"],
                condition=~Q(municipality_code=""),
                name="coverage_municipality_once_per_region",
            ),
        ]
        indexes = [models.Index(fields=["postcode_from", "postcode_to"], name="coverage_range_idx")]

    def __str__(self) -> str:
        if self.municipality_code:
            return self.municipality_code
        return f"{self.postcode_from}–{self.postcode_to}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        has_range = self.postcode_from is not None or self.postcode_to is not None
        if has_range and self.municipality_code:
            raise ValidationError(_("A row is either a postcode range or a municipality."))
        if not has_range and not self.municipality_code:
            raise ValidationError(_("Give a postcode range or a municipality code."))
        if has_range:
            if self.postcode_from is None:
                raise ValidationError({"postcode_from": _("Give the first postcode.")})
            if self.postcode_to is None:
                self.postcode_to = self.postcode_from
            if self.postcode_from > self.postcode_to:
                raise ValidationError({"postcode_to": _("Must not be before 'postcode from'.")})
