from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from . import coverage, services
from .admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin
from .models import ApiKey, ApiKeyScope, CustomField, Region, RegionCoverage, StaffMembership
from .selectors import V1_RECENT_DAYS, v1_recent_since


class ApiKeyInline(RegionScopedInlineMixin, TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("name", "scope", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return _without_admin_keys(super().get_queryset(request), request)


def _without_admin_keys(queryset: QuerySet[ApiKey], request: HttpRequest) -> QuerySet[ApiKey]:
    """Admin-scope keys act for every region: only superusers see or manage them (SPEC 10)."""
    if request.user.is_superuser:
        return queryset
    return queryset.exclude(scope=ApiKeyScope.ADMIN)


class CustomFieldInline(RegionScopedInlineMixin, TabularInline):
    # The region's JSON Schema follows these rows on its own: its cache key is derived from
    # their count and latest updated_at (candidates/schema/compiled.py), so no hook is needed here.
    model = CustomField
    extra = 0
    fields = (
        "key",
        "label",
        "type",
        "options",
        "required",
        "airtable_column",
        "position",
        "description",
    )


class CoverageFormSet(forms.BaseInlineFormSet):
    """No overlaps within the region (regions/coverage.py); other regions may overlap."""

    def clean(self) -> None:
        super().clean()
        ranges, municipalities = [], []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("municipality_code"):
                municipalities.append(data["municipality_code"].strip().upper())
            elif data.get("postcode_from") is not None:
                start = data["postcode_from"]
                ranges.append(coverage.PostcodeRange(start, data.get("postcode_to") or start))
        problems = coverage.coverage_problems(ranges, municipalities)
        if problems:
            raise forms.ValidationError([problem.message for problem in problems])


class RegionCoverageInline(RegionScopedInlineMixin, TabularInline):
    model = RegionCoverage
    formset = CoverageFormSet
    extra = 0
    fields = ("postcode_from", "postcode_to", "municipality_code")
    verbose_name = _("postcode range or municipality")
    verbose_name_plural = _("coverage (postcode ranges and/or CBS municipality codes)")


@admin.register(Region)
class RegionAdmin(RegionScopedAdminMixin, ModelAdmin):
    region_lookup = "pk"
    list_display = ("code", "name", "contact_email", "active", "retention_months", "created_at")
    list_filter = ("active",)
    search_fields = ("code", "name", "contact_email")
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "previous_signing_secret_expires_at",
        "coverage_shared_with",
    )
    exclude = ("signing_secret", "previous_signing_secret")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [CustomFieldInline, RegionCoverageInline, ApiKeyInline]
    actions = ["rotate_signing_secret"]

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        if change:
            services.region_update(
                region=obj,
                **{
                    f: form.cleaned_data[f]
                    for f in form.changed_data
                    if f in {"name", "contact_email", "website", "active", "retention_months"}
                },
            )
        else:
            created = services.region_create(
                code=obj.code,
                name=obj.name,
                contact_email=obj.contact_email,
                website=obj.website,
                active=obj.active,
                retention_months=obj.retention_months,
            )
            if not request.user.is_superuser:
                # Otherwise the region would vanish from its creator's own back office.
                services.staff_membership_grant(user=request.user, region=created)
            obj.pk = created.pk
            obj._state.adding = False

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> Any:
        return (*self.readonly_fields, "code") if obj else self.readonly_fields

    def delete_model(self, request: HttpRequest, obj: Region) -> None:
        super().delete_model(request, obj)
        coverage.coverage_changed()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        coverage.coverage_changed()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is RegionCoverage and formset.has_changed():
            coverage.coverage_changed()

    @admin.display(description=_("postcodes shared with other regions"))
    def coverage_shared_with(self, obj: Region) -> str:
        spans = coverage.overlaps_with_other_regions(obj) if obj.pk else []
        overview = reverse("admin:regions_region_coverage_overview")
        rows = format_html_join(
            ", ",
            "{}–{} ({})",
            (
                (s.start, s.end, ", ".join(c for c in s.region_codes if c != obj.code))
                for s in spans
            ),
        )
        link = format_html('<a href="{}">{}</a>', overview, _("coverage overview"))
        return format_html("{} · {}", rows or _("none"), link)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.coverage_overview_view)
        return [
            path("coverage/", view, name="regions_region_coverage_overview"),
            *super().get_urls(),
        ]

    def coverage_overview_view(self, request: HttpRequest) -> HttpResponse:
        """Postcode ranges no active region covers, and ranges two or more regions share,
        among the regions this user may see."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        regions = self.get_queryset(request).filter(active=True)
        gaps, shared = coverage.coverage_overview(regions=regions)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Coverage overview"),
            "gaps": gaps,
            "shared": shared,
            "regions": regions.order_by("code"),
        }
        return TemplateResponse(request, "admin/regions/coverage_overview.html", context)

    @admin.action(
        description=_("Rotate the callback signing secret (24 h overlap)"), permissions=["change"]
    )
    def rotate_signing_secret(self, request: HttpRequest, queryset: Any) -> None:
        for region in queryset:
            services.region_rotate_signing_secret(region=region)
        self.message_user(request, _("Signing secret rotated; the old one signs for 24 h more."))


class ApiKeyCreateForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("region", "name", "scope")


class ApiV1UsageFilter(admin.SimpleListFilter):
    """Which keys still call the deprecated API v1 (SPEC 14), to chase their migration."""

    title = _("API v1 use")
    parameter_name = "api_v1"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("recent", _("In the last %(days)d days") % {"days": V1_RECENT_DAYS}),
            ("ever", _("Ever")),
            ("never", _("Never")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        match self.value():
            case "recent":
                return queryset.filter(v1_last_used_at__gte=v1_recent_since())
            case "ever":
                return queryset.filter(v1_last_used_at__isnull=False)
            case "never":
                return queryset.filter(v1_last_used_at__isnull=True)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(RegionScopedAdminMixin, ModelAdmin):
    list_display = (
        "name",
        "display_prefix",
        "region",
        "scope",
        "created_at",
        "last_used_at",
        "v1_last_used_at",
        "revoked_at",
    )
    list_filter = (
        "scope",
        "region",
        ApiV1UsageFilter,
        ("revoked_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("name", "prefix", "region__code")
    readonly_fields = (
        "id",
        "prefix",
        "created_at",
        "last_used_at",
        "v1_last_used_at",
        "revoked_at",
    )
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return _without_admin_keys(super().get_queryset(request), request)

    def in_scope(self, request: HttpRequest, obj: Any) -> bool:
        if obj is not None and obj.scope == ApiKeyScope.ADMIN and not request.user.is_superuser:
            return False
        return super().in_scope(request, obj)

    @admin.display(description=_("prefix"))
    def display_prefix(self, obj: ApiKey) -> str:
        return f"ork_{obj.prefix}"

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and not request.user.is_superuser:
            # Admin-scope keys act for every region: a superuser power.
            form.base_fields["region"].required = True
        return form

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "scope" and not request.user.is_superuser:
            kwargs["choices"] = [(ApiKeyScope.REGION, ApiKeyScope.REGION.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is None:
            return ("region", "name", "scope")
        return (
            "id",
            "region",
            "name",
            "scope",
            "prefix",
            "created_at",
            "last_used_at",
            "v1_last_used_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return (*self.readonly_fields, "region", "scope") if obj else ()

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        created = services.api_key_create(region=obj.region, name=obj.name, scope=obj.scope)
        obj.pk = created.api_key.pk
        obj._state.adding = False
        messages.warning(
            request,
            _("The new key is shown only this once; store it now: %(key)s")
            % {"key": created.full_key},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are revoked, never deleted, so their use stays traceable

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, _("Keys revoked; they are refused from the next request on."))


# --- who sees which region: superusers only ------------------------------------------------------


class _SuperuserOnly:
    """Deciding who sees which region is a superuser power, whatever a group grants."""

    def _superuser(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)


@admin.register(StaffMembership)
class StaffMembershipAdmin(_SuperuserOnly, ModelAdmin):
    list_display = ("user", "region", "created_at")
    list_filter = ("region",)
    search_fields = ("user__username", "user__email", "region__code", "region__name")
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "region")


class StaffMembershipInline(_SuperuserOnly, TabularInline):
    model = StaffMembership
    extra = 0
    fields = ("region", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("region",)
    verbose_name_plural = _("regions this user works for")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class BackOfficeUserAdmin(UserAdmin, ModelAdmin):
    """Django's user admin, plus the regions each staff user is a member of."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm

    inlines = [*UserAdmin.inlines, StaffMembershipInline]
    list_display = (*UserAdmin.list_display, "region_codes")  # type: ignore[misc]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("region_memberships__region")

    @admin.display(description=_("regions"))
    def region_codes(self, user: Any) -> str:
        return ", ".join(m.region.code for m in user.region_memberships.all())


admin.site.unregister(Group)


@admin.register(Group)
class BackOfficeGroupAdmin(GroupAdmin, ModelAdmin):
    """Django's group admin on the back-office theme."""
