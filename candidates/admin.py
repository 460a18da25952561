"""The candidate mirror in the back office (SPEC 10).

Airtable is the system of record, so the admin never writes the mirror: an edit, an archive or
a deletion is validated like an API write (``schema.validate_candidate``) and queued for the
Mutation Engine through ``candidates/write_plans.py``. The page then says so and links the mutation;
the mirror shows the change once Airtable has confirmed it.

``CandidateAdmin`` is here; its change form is in admin_form.py, the inlines and the other
candidate admins (interactions, attachments, access log, the region page) in admin_records.py,
and this module registers them all.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from typing import Any

import phonenumbers
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from config.admin_display import colour_label, label, pretty_json
from config.api.environment import PRODUCTION, SANDBOX
from mutations.models import ACTIVE_STATUSES, Mutation
from mutations.registry import operation_label
from regions.admin_scoping import (
    RegionScopedAdminMixin,
    staff_region_ids,
)
from regions.models import Region

from .admin_form import CandidateChangeForm
from .admin_records import (
    AttachmentAdmin,
    AttachmentInline,
    CandidateAccessLogAdmin,
    InteractionAdmin,
    InteractionInline,
    RegionWithSchemaAdmin,
)
from .fields import (
    OTHER_PHASE_COLOUR,
    PHASE_COLOURS,
    phone_digits,
)
from .models import Attachment, Candidate, CandidateAccessLog, Interaction
from .write_plans import (
    WritePlan,
    candidate_archive_plan,
    candidate_delete_plan,
    candidate_key,
    candidate_update_plan,
    candidate_write_request,
)

# Mutations queued by this request, read back when the response is built. The admin instance
# is shared by every thread, so per-request state lives on the request.
_QUEUED_ATTRIBUTE = "_queued_candidate_mutations"
# Spreadsheet programs run a cell that starts like a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _mutation_link(mutation: Mutation) -> SafeString:
    url = reverse("admin:mutations_mutation_change", args=[mutation.pk])
    return format_html('<a href="{}">{}</a>', url, mutation.uuid)


def _queued_message(mutations: list[Mutation]) -> SafeString:
    if len(mutations) == 1:
        return format_html(
            "{} {} — {}",
            _("Queued for Airtable as mutation"),
            _mutation_link(mutations[0]),
            _("this page shows the change once Airtable has confirmed it."),
        )
    url = reverse("admin:mutations_mutation_changelist") + "?status__exact=queued"
    return format_html(
        '{} <a href="{}">{}</a>',
        ngettext(
            "%(count)d change queued for Airtable.",
            "%(count)d changes queued for Airtable.",
            len(mutations),
        )
        % {"count": len(mutations)},
        url,
        _("See the queued mutations."),
    )


class EnvironmentFilter(admin.SimpleListFilter):
    """Production unless staff switch to the sandbox: the two never mix in one list."""

    title = _("environment")
    parameter_name = "environment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [(PRODUCTION, _("Production")), (SANDBOX, _("Sandbox"))]

    def value(self) -> str:
        value = super().value()
        return value if value in (PRODUCTION, SANDBOX) else PRODUCTION

    def choices(self, changelist: Any) -> Any:
        for value, title in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> Any:
        return queryset.filter(environment=self.value())


def readable_phone(phone: str) -> str:
    """E.164 as people write it (+31 6 12345678); anything else as Airtable holds it."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phase_label(phase: str) -> SafeString:
    background, colour = PHASE_COLOURS.get(phase, OTHER_PHASE_COLOUR)
    return colour_label(phase or _("(no phase)"), background, colour)


@admin.register(Candidate)
class CandidateAdmin(RegionScopedAdminMixin, ModelAdmin):
    form = CandidateChangeForm
    change_form_template = "admin/candidates/candidate/change_form.html"
    list_before_template = "admin/candidates/candidate/environment_switch.html"
    list_display = (
        "name_and_state",
        "email",
        "phone_display",
        "phase_badge",
        "source",
        "region",
        "created",
        "updated",
    )
    list_display_links = ("name_and_state",)
    list_filter = (EnvironmentFilter, "phase", "region", "archived")
    search_fields = ("=record_id", "name", "email", "phone", "phone_digits")
    search_help_text = _("Name, email, phone number (any notation) or Airtable record id.")
    list_select_related = ("region",)
    ordering = ("-id",)  # newest mirrored first, straight off the primary key
    show_full_result_count = False  # COUNT(*) over the whole mirror on every page is costly
    inlines = [InteractionInline, AttachmentInline]
    actions = ["archive", "unarchive", "export_csv"]
    readonly_fields = (
        "pending_changes",
        "record_id",
        "region",
        "environment",
        "archived_state",
        "privacy_consent",
        "custom_fields_pretty",
        "airtable_created_at",
        "airtable_modified_at",
        "mirrored_at",
        "mutation_key",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "pending_changes",
                    "record_id",
                    "region",
                    "environment",
                    "archived_state",
                )
            },
        ),
        (
            _("Person"),
            {
                "fields": (
                    "name",
                    "email",
                    "phone",
                    "date_of_birth",
                    "address",
                    "postal_code",
                    "city",
                    "linkedin",
                )
            },
        ),
        (
            _("Journey"),
            {
                "fields": (
                    "privacy_consent",
                    "phase",
                    "sectors",
                    "roles",
                    "qualifications",
                    "prior_education",
                    "motivation",
                    "notes",
                    "exit_reason",
                    "source",
                    "external_id",
                    "custom_fields_pretty",
                )
            },
        ),
        (
            _("Sync"),
            {
                "fields": (
                    "airtable_created_at",
                    "airtable_modified_at",
                    "mirrored_at",
                    "mutation_key",
                )
            },
        ),
    )

    # --- list and search ---------------------------------------------------------------------

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A phone number in any notation finds the candidate, as GET /candidates/find does.
        key = phone_digits(search_term) if search_term.strip() else None
        if key:
            results |= queryset.filter(phone_digits=key)
        return results, may_have_duplicates

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion is queued one candidate at a time
        return actions

    @admin.display(description=_("name"), ordering="name")
    def name_and_state(self, obj: Candidate) -> SafeString:
        if obj.archived:
            return format_html("{} {}", obj.name or "–", label(_("Archived"), "muted"))
        return format_html("{}", obj.name or "–")

    @admin.display(description=_("archived"))
    def archived_state(self, obj: Candidate) -> SafeString:
        if obj.archived:
            return label(_("Archived"), "muted")
        return label(_("Active"), "success")

    @admin.display(description=_("phase"), ordering="phase")
    def phase_badge(self, obj: Candidate) -> SafeString:
        return phase_label(obj.phase)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, obj: Candidate) -> SafeString:
        return format_html('<span class="bo-nowrap">{}</span>', readable_phone(obj.phone))

    @admin.display(description=_("created"), ordering="airtable_created_at")
    def created(self, obj: Candidate) -> str:
        return date_format(timezone.localtime(obj.airtable_created_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("updated"), ordering="airtable_modified_at")
    def updated(self, obj: Candidate) -> str:
        return date_format(timezone.localtime(obj.airtable_modified_at), "SHORT_DATETIME_FORMAT")

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)
        region_ids = staff_region_ids(request)
        if region_ids is not None and len(region_ids) <= 1:
            return tuple(c for c in columns if c != "region")  # one region: the column says nothing
        return columns

    # --- detail ------------------------------------------------------------------------------

    @admin.display(description=_("waiting for Airtable"))
    def pending_changes(self, obj: Candidate) -> str:
        pending = Mutation.objects.filter(
            keys__key=candidate_key(obj.environment, obj.record_id),
            status__in=ACTIVE_STATUSES,
        ).order_by("sequence")
        if not pending:
            return str(_("Nothing: the page shows what Airtable holds."))
        return format_html_join(
            mark_safe("<br>"),
            "{} · {} · {}",
            (
                (operation_label(m.operation), m.get_status_display(), _mutation_link(m))
                for m in pending
            ),
        )

    @admin.display(description=_("custom fields"))
    def custom_fields_pretty(self, obj: Candidate) -> str:
        return pretty_json(obj.custom_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # candidates come from the API and from Airtable

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        context.update(show_save_and_continue=False, show_save_and_add_another=False)
        obj = kwargs.get("obj")
        if obj is not None:
            context["can_archive"] = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, *args, **kwargs)

    # --- writes: queued for the engine, never saved to the mirror ----------------------------

    def _queue(self, request: HttpRequest, candidate: Candidate, plan: WritePlan) -> Mutation:
        mutation = candidate_write_request(candidate=candidate, plan=plan).mutation
        queued = getattr(request, _QUEUED_ATTRIBUTE, [])
        setattr(request, _QUEUED_ATTRIBUTE, [*queued, mutation])
        return mutation

    def save_model(self, request: HttpRequest, obj: Candidate, form: Any, change: bool) -> None:
        # ``obj`` carries the edited values in memory only; the plan is built from the mirror
        # row as it is, so its ordering keys name the record's current email and phone.
        if form.update_fields:
            current = Candidate.objects.select_related("region").get(pk=obj.pk)
            self._queue(request, current, candidate_update_plan(current, form.update_fields))

    def response_change(self, request: HttpRequest, obj: Candidate) -> HttpResponse:
        queued = getattr(request, _QUEUED_ATTRIBUTE, [])
        if queued:
            self.message_user(request, _queued_message(queued), messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing changed, so nothing was queued."), messages.INFO)
        # Stay on the candidate: it shows the change once Airtable has confirmed it.
        return HttpResponseRedirect(request.path)

    def delete_model(self, request: HttpRequest, obj: Candidate) -> None:
        self._queue(request, obj, candidate_delete_plan(obj))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> Any:
        queued = getattr(request, _QUEUED_ATTRIBUTE, [])
        self.message_user(request, _queued_message(queued), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:candidates_candidate_changelist"))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """What the engine will delete in Airtable: the record, its interactions and files.
        Only the candidate's own delete permission counts; the engine does the rest."""
        summary: list[Any] = []
        counts: Counter[str] = Counter()
        for candidate in objs:
            related = [*candidate.interactions.all(), *candidate.attachments.all()]
            summary += [
                f"{capfirst(Candidate._meta.verbose_name)}: {candidate}",
                [f"{capfirst(r._meta.verbose_name)}: {r}" for r in related],
            ]
            counts.update(str(m._meta.verbose_name_plural) for m in (candidate, *related))
        return summary, dict(counts), set(), []

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/archive/",
                view(self.archive_view),
                {"archived": True},
                name="{}_{}_archive".format(*info),
            ),
            path(
                "<path:object_id>/unarchive/",
                view(self.archive_view),
                {"archived": False},
                name="{}_{}_unarchive".format(*info),
            ),
            *super().get_urls(),
        ]

    def archive_view(self, request: HttpRequest, object_id: str, archived: bool) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        candidate = self.get_object(request, unquote(object_id))
        if candidate is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, candidate):
            raise PermissionDenied
        mutation = self._queue(
            request, candidate, candidate_archive_plan(candidate, archived=archived)
        )
        self.message_user(request, _queued_message([mutation]), messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:candidates_candidate_change", args=[candidate.pk])
        )

    def _archive_selected(
        self, request: HttpRequest, queryset: QuerySet[Candidate], *, archived: bool
    ) -> None:
        queued = [
            self._queue(request, candidate, candidate_archive_plan(candidate, archived=archived))
            for candidate in queryset.select_related("region")
            if candidate.archived != archived
        ]
        if queued:
            self.message_user(request, _queued_message(queued), messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing to do: no candidate changes."), messages.INFO)

    @admin.action(description=_("Archive the selected candidates (queued)"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._archive_selected(request, queryset, archived=True)

    @admin.action(
        description=_("Unarchive the selected candidates (queued)"), permissions=["change"]
    )
    def unarchive(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._archive_selected(request, queryset, archived=False)

    @admin.action(description=_("Export the selected candidates (CSV)"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="candidates.csv"'
        writer = csv.writer(response)
        writer.writerow(EXPORT_COLUMNS)
        for c in queryset.select_related("region").order_by("pk"):
            row = [
                c.record_id,
                c.name,
                c.email,
                c.phone,  # E.164 or as Airtable holds it (staff type there)
                c.phase,
                c.region.code,
                c.environment,
                c.archived,
                c.airtable_modified_at.isoformat(),
            ]
            # Every cell: any column may carry text a staff member typed in Airtable.
            writer.writerow([export_cell(value) for value in row])
        return response


EXPORT_COLUMNS = (
    "id",
    "name",
    "email",
    "phone",
    "phase",
    "region",
    "environment",
    "archived",
    "updatedAt",
)
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*")


def export_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never evaluates (OWASP CSV injection): a cell
    starting with a formula character gets a leading quote. A plain signed number such as an
    E.164 phone number (+31612345678) stays as it is: it can only ever be a number."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


# The other candidate admins live in admin_records.py; this module, which Django's
# autodiscovery imports, registers them all.
admin.site.register(Interaction, InteractionAdmin)
admin.site.register(Attachment, AttachmentAdmin)
admin.site.register(CandidateAccessLog, CandidateAccessLogAdmin)
admin.site.unregister(Region)
admin.site.register(Region, RegionWithSchemaAdmin)
