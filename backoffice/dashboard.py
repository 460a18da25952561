"""The back-office dashboard (SPEC 10): the admin index, scoped like every admin page.

Reads across apps, so it lives in ``backoffice`` above them. Each panel is shown only to users who
may view the underlying model, and counts only the regions the user may see (superusers: all).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncHour, TruncWeek
from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from airtable.models import SyncState
from candidates.fields import OTHER_PHASE_COLOUR, PHASE_COLOURS, PHASES
from candidates.models import Candidate
from config.admin_display import error_text
from config.api.environment import ENVIRONMENT_CHOICES, ENVIRONMENTS, PRODUCTION
from mutations.models import ACTIVE_STATUSES, Mutation, MutationStatus
from mutations.registry import operation_label
from regions.admin_scoping import scope_queryset, staff_region_ids, visible_regions
from regions.models import ApiKey, ApiKeyScope, Region
from regions.selectors import V1_RECENT_DAYS, api_keys_still_on_v1
from webhooks.models import Subscription

from .charts import Series, column_chart, stacked_rows

WEEKS_SHOWN = 12
HOURS_SHOWN = 24
RECENT_FAILURES_SHOWN = 5
V1_REGIONS_SHOWN = 6
NO_PHASE = ""
# Okabe-Ito: blue for "succeeded", vermillion for "failed" stay apart for colour-blind readers.
SUCCEEDED_COLOUR = "#0072B2"
FAILED_COLOUR = "#D55E00"
NEW_CANDIDATES_COLOUR = "#0072B2"


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str = ""
    alert: bool = False
    url: str = ""


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _environment(request: HttpRequest) -> str:
    value = request.GET.get("environment", PRODUCTION)
    return value if value in ENVIRONMENTS else PRODUCTION


def _candidate_panels(request: HttpRequest, environment: str, now: datetime) -> dict[str, Any]:
    candidates = scope_queryset(
        Candidate.objects.filter(environment=environment), request, "region"
    )
    regions = list(visible_regions(request).order_by("code"))
    by_region: dict[Any, dict[str, int]] = defaultdict(dict)
    archived: dict[Any, int] = defaultdict(int)
    for row in candidates.values("region_id", "phase", "archived").annotate(n=Count("id")):
        if row["archived"]:
            archived[row["region_id"]] += row["n"]
        else:
            phases = by_region[row["region_id"]]
            phases[row["phase"]] = phases.get(row["phase"], 0) + row["n"]
    found = {phase for phases in by_region.values() for phase in phases}
    phase_order = [*PHASES, *sorted(found - set(PHASES))]
    segments = [
        (phase or _("(no phase)"), PHASE_COLOURS.get(phase, OTHER_PHASE_COLOUR)[0])
        for phase in phase_order
    ]
    table: list[dict[str, Any]] = [
        {
            "region": region,
            "counts": [by_region[region.pk].get(phase, 0) for phase in phase_order],
            "total": sum(by_region[region.pk].values()),
            "archived": archived[region.pk],
        }
        for region in regions
    ]
    phase_chart = stacked_rows(
        title=_("Candidates per phase and region"),
        rows=[(row["region"].name, row["counts"]) for row in table],
        segments=segments,
    )

    local_now = timezone.localtime(now)
    this_week = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = [(this_week - timedelta(weeks=n)).date() for n in reversed(range(WEEKS_SHOWN))]
    new_per_week = {
        timezone.localtime(row["week"]).date(): row["n"]
        for row in candidates.filter(airtable_created_at__gte=this_week - timedelta(weeks=11))
        .annotate(week=TruncWeek("airtable_created_at"))
        .values("week")
        .annotate(n=Count("id"))
    }
    weekly = [new_per_week.get(week, 0) for week in weeks]
    weekly_chart = column_chart(
        title=_("New candidates per week"),
        labels=[dateformat.format(week, "j M") for week in weeks],
        series=[Series(_("new candidates"), NEW_CANDIDATES_COLOUR, weekly)],
        label_every=2,
    )
    return {
        "phase_chart": phase_chart,
        "phase_names": [name for name, _colour in segments],
        "phase_table": table,
        "weekly_chart": weekly_chart,
        "active_total": sum(row["total"] for row in table),
        "archived_total": sum(row["archived"] for row in table),
        "new_this_week": weekly[-1],
    }


def _mutation_panels(request: HttpRequest, environment: str, now: datetime) -> dict[str, Any]:
    mutations = scope_queryset(Mutation.objects.filter(environment=environment), request, "region")
    first_hour = timezone.localtime(now - timedelta(hours=HOURS_SHOWN - 1)).replace(
        minute=0, second=0, microsecond=0
    )
    hours = [first_hour + timedelta(hours=n) for n in range(HOURS_SHOWN)]
    finished: dict[tuple[datetime, str], int] = {
        (row["hour"], row["status"]): row["n"]
        for row in mutations.filter(
            finished_at__gte=first_hour,
            status__in=[MutationStatus.SUCCEEDED, MutationStatus.FAILED],
        )
        .annotate(hour=TruncHour("finished_at"))
        .values("hour", "status")
        .annotate(n=Count("sequence"))
    }
    succeeded = [finished.get((hour, MutationStatus.SUCCEEDED), 0) for hour in hours]
    failed = [finished.get((hour, MutationStatus.FAILED), 0) for hour in hours]
    throughput_chart = column_chart(
        title=_("Mutations finished per hour, last 24 hours"),
        labels=[timezone.localtime(hour).strftime("%H:00") for hour in hours],
        series=[
            Series(_("succeeded"), SUCCEEDED_COLOUR, succeeded),
            Series(_("failed"), FAILED_COLOUR, failed),
        ],
        label_every=3,
    )
    active = mutations.filter(status__in=ACTIVE_STATUSES)
    queue = active.aggregate(
        depth=Count("sequence"),
        oldest=Min("created_at", filter=Q(status=MutationStatus.QUEUED)),
    )
    recent_failures = list(
        mutations.filter(status=MutationStatus.FAILED, finished_at__gte=now - timedelta(days=1))
        .select_related("region")
        .order_by("-finished_at")[:RECENT_FAILURES_SHOWN]
    )
    for mutation in recent_failures:
        mutation.operation_label = operation_label(mutation.operation)
        mutation.error_text = error_text(mutation.error)
    return {
        "throughput_chart": throughput_chart,
        "succeeded_24h": sum(succeeded),
        "failed_24h": sum(failed),
        "queue_depth": queue["depth"],
        "oldest_queued": queue["oldest"],
        "oldest_queued_age": timesince(queue["oldest"], now) if queue["oldest"] else "",
        "recent_failures": recent_failures,
    }


def _failing_subscriptions(request: HttpRequest, environment: str) -> QuerySet[Subscription]:
    return (
        scope_queryset(Subscription.objects.filter(environment=environment), request, "region")
        .filter(Q(failing_since__isnull=False) | ~Q(disabled_reason=""))
        .select_related("region")
        .order_by("failing_since", "created_at")
    )


def _keys_on_v1(request: HttpRequest) -> QuerySet[ApiKey]:
    keys = scope_queryset(api_keys_still_on_v1(), request, "region")
    # Admin-scope keys are a superuser matter, as in the API key admin.
    return keys if request.user.is_superuser else keys.exclude(scope=ApiKeyScope.ADMIN)


def _tiles(context: dict[str, Any]) -> list[Tile]:
    tiles = []
    if "candidates" in context:
        c = context["candidates"]
        # The same filters as the candidate list opens with, so the two numbers agree.
        listing = (
            reverse("admin:candidates_candidate_changelist")
            + "?"
            + urlencode({"environment": context["environment"]})
        )
        tiles += [
            Tile(
                _("Candidates"),
                _number(c["active_total"] + c["archived_total"]),
                _("%(count)s archived") % {"count": _number(c["archived_total"])},
                url=listing,
            ),
            Tile(_("New this week"), _number(c["new_this_week"])),
        ]
    if "mutations" in context:
        m = context["mutations"]
        tiles += [
            Tile(
                _("Queue depth"),
                _number(m["queue_depth"]),
                _("oldest queued %(age)s ago") % {"age": m["oldest_queued_age"]}
                if m["oldest_queued"]
                else _("nothing waiting"),
            ),
            Tile(_("Succeeded (24 h)"), _number(m["succeeded_24h"])),
            Tile(
                _("Failed (24 h)"),
                _number(m["failed_24h"]),
                alert=m["failed_24h"] > 0,
                url=reverse("admin:mutations_mutation_changelist")
                + "?"
                + urlencode(
                    {"status__exact": "failed", "environment__exact": context["environment"]}
                ),
            ),
        ]
    if context.get("keys_on_v1"):  # shown only while some key still calls v1
        keys = context["keys_on_v1"]
        codes = sorted({k.region.code for k in keys if k.region is not None})
        tiles.append(
            Tile(
                _("Keys still on API v1 (%(days)d days)") % {"days": V1_RECENT_DAYS},
                _number(len(keys)),
                ", ".join(codes[:V1_REGIONS_SHOWN])
                + (" …" if len(codes) > V1_REGIONS_SHOWN else ""),
                alert=True,
            )
        )
    if "failing_subscriptions" in context:
        count = len(context["failing_subscriptions"])
        tiles.append(Tile(_("Failing webhooks"), _number(count), alert=count > 0))
    return tiles


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """Everything the dashboard template shows, for this user and the chosen environment."""
    user = request.user
    environment = _environment(request)
    now = timezone.now()
    region_ids = staff_region_ids(request)
    context: dict[str, Any] = {
        "environment": environment,
        "environments": ENVIRONMENT_CHOICES,
        "all_regions": region_ids is None,
        "scope_regions": list(visible_regions(request).order_by("code"))
        if region_ids is not None
        else [],
        "region_count": Region.objects.count() if region_ids is None else len(region_ids),
    }
    if user.has_perm("candidates.view_candidate"):
        context["candidates"] = _candidate_panels(request, environment, now)
    if user.has_perm("mutations.view_mutation"):
        context["mutations"] = _mutation_panels(request, environment, now)
    if user.has_perm("regions.view_apikey"):
        context["keys_on_v1"] = list(_keys_on_v1(request))
    if user.has_perm("webhooks.view_subscription"):
        context["failing_subscriptions"] = list(_failing_subscriptions(request, environment))
    if user.has_perm("airtable.view_syncstate"):
        # Bases are shared by every region: a platform concern, not scoped by region.
        context["sync_states"] = list(
            SyncState.objects.filter(environment=environment).order_by("base_id", "table")
        )
    context["tiles"] = _tiles(context)
    return context
