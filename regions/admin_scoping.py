"""Region scoping for the back office (SPEC 10), written once and mixed into every admin.

Superusers see every region. Every other staff user sees the regions they are a member of
(:class:`~regions.models.StaffMembership`) — whatever their groups allow them to *do* there.

Everything hangs off ``get_queryset``: Django's admin builds the change list, search, filters,
date hierarchy, actions, exports, autocomplete and the change/delete/history pages from it, so
one filter covers them all. On top of that the mixin

* limits foreign-key choices (and region filter choices) to the user's regions,
* checks object permissions against the object's region,
* answers an object outside the user's regions exactly like a missing one: a 404 page saying
  it does not exist, so a URL with another region's id reveals nothing,
* refuses (403) an action posted with ids the user cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .models import Region, StaffMembership

_CACHE_ATTRIBUTE = "_staff_region_ids"


def staff_region_ids(request: HttpRequest) -> frozenset[Any] | None:
    """The ids of the regions this request's user may see; ``None`` means every region."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return None
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(
            StaffMembership.objects.filter(user=user).values_list("region_id", flat=True)
        )
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def scope_queryset(queryset: QuerySet[Any], request: HttpRequest, lookup: str) -> QuerySet[Any]:
    """``queryset`` limited to the user's regions; ``lookup`` is the path to the region."""
    region_ids = staff_region_ids(request)
    if region_ids is None:
        return queryset
    return queryset.filter(**{f"{lookup}__in": region_ids})


def region_id_of(obj: Model, lookup: str) -> Any:
    """Follow ``lookup`` (``region``, ``candidate__region``, ``pk``) from ``obj`` to a region id."""
    *path, last = lookup.split("__")
    for step in path:
        obj = getattr(obj, step)
        if obj is None:
            return None
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id")


def visible_regions(request: HttpRequest) -> QuerySet[Region]:
    return scope_queryset(Region.objects.all(), request, "pk")


def _scoped_related_queryset(
    model_admin: admin.options.BaseModelAdmin, db: str | None, db_field: Any, request: HttpRequest
) -> QuerySet[Any] | None:
    """The choices for a relation: the related admin's (scoped) queryset, in its ordering."""
    related_admin = model_admin.admin_site._registry.get(db_field.remote_field.model)
    if not isinstance(related_admin, RegionScopedAdminMixin):
        return None
    queryset = related_admin.get_queryset(request).using(db)
    ordering = related_admin.get_ordering(request)
    return queryset.order_by(*ordering) if ordering else queryset


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter offering only the related objects the user may see."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        related_admin = model_admin.admin_site._registry.get(field.remote_field.model)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if not isinstance(related_admin, RegionScopedAdminMixin):
            return field.get_choices(include_blank=False, ordering=ordering)
        visible = related_admin.get_queryset(request).values("pk")
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"pk__in": visible}
        )


if TYPE_CHECKING:  # the mixins are only ever mixed into these Django classes
    _AdminBase = admin.ModelAdmin
    _InlineBase = admin.options.InlineModelAdmin
else:
    _AdminBase = _InlineBase = object


class RegionScopedAdminMixin(_AdminBase):
    """Put first in the bases of a ``ModelAdmin`` whose rows belong to a region."""

    #: Path from the model to its region: ``region``, ``candidate__region``; ``pk`` for Region.
    region_lookup: str = "region"
    not_found_template = "admin/object_not_found.html"

    # --- rows --------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_queryset(super().get_queryset(request), request, self.region_lookup)

    def in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return True
        region_ids = staff_region_ids(request)
        return region_ids is None or region_id_of(obj, self.region_lookup) in region_ids

    # --- permissions by object ---------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    # --- choices -----------------------------------------------------------------------------

    def get_field_queryset(self, db: str | None, db_field: Any, request: HttpRequest) -> Any:
        scoped = _scoped_related_queryset(self, db, db_field, request)
        return scoped if scoped is not None else super().get_field_queryset(db, db_field, request)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry: Any) -> Any:
        if not isinstance(entry, str) or "__" in entry:
            return entry
        field = self.model._meta.get_field(entry)
        if field.is_relation and field.many_to_one:
            return (entry, ScopedRelatedFieldListFilter)
        return entry

    # --- objects outside the user's regions --------------------------------------------------

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Django redirects to the index with a warning here; a 404 with the same words is what
        # a foreign id must get (STYLE 1), and a missing id gets exactly the same page.
        message = _("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?") % {
            "name": opts.verbose_name,
            "key": unquote(object_id),
        }
        context = {
            **self.admin_site.each_context(request),
            "title": _("Not found"),
            "message": message,
            "opts": opts,
        }
        return TemplateResponse(request, self.not_found_template, context, status=404)

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        selected = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        across = request.POST.get("select_across") in ("1", "True")
        # Measured against every row the user may see, not the filtered list, so a row that
        # left the filter since the page was drawn is not mistaken for a foreign one.
        if (
            selected
            and not across
            and _count_visible(self.get_queryset(request), selected) != len(selected)
        ):
            raise PermissionDenied
        return super().response_action(request, queryset)


def _count_visible(queryset: QuerySet[Any], selected: Iterable[str]) -> int:
    try:
        return queryset.filter(pk__in=selected).count()
    except (ValidationError, ValueError):
        return -1


class RegionScopedInlineMixin(_InlineBase):
    """For inlines: foreign-key choices limited like the parent admin's."""

    def get_field_queryset(self, db: str | None, db_field: Any, request: HttpRequest) -> Any:
        scoped = _scoped_related_queryset(self, db, db_field, request)
        return scoped if scoped is not None else super().get_field_queryset(db, db_field, request)
