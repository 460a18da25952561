"""The pipeline board (SPEC 10): a column per phase, a card per candidate of one region.

Moving a card is a staff edit like any other: the phase is validated with the region's JSON
Schema and queued as a ``candidate.update`` through the same write plan the candidate page uses
(``candidates/write_plans.py``); nothing here writes Airtable or the mirror. Until Airtable
confirms, the card sits in its new column marked pending (it polls its own state); if the
mutation fails it goes back to the column the mirror holds, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from candidates.fields import OTHER_PHASE_COLOUR, PHASE_COLOURS, PHASES
from candidates.models import Candidate
from candidates.schema import validate_candidate
from candidates.write_plans import candidate_update_plan, candidate_write_request
from config.admin_display import error_text
from config.api.environment import ENVIRONMENTS, PRODUCTION
from config.api.errors import ValidationFailed
from mutations.models import ACTIVE_STATUSES, Mutation, MutationStatus
from regions.admin_scoping import visible_regions

CARDS_PER_COLUMN = 60
FAILURE_SHOWN_FOR = timedelta(hours=24)
PENDING_POLL_S = 2


@dataclass
class Card:
    candidate: Candidate
    column: str  # the phase whose column shows the card
    pending: Mutation | None = None
    failed: Mutation | None = None

    @property
    def failure_text(self) -> str:
        return error_text(self.failed.error) if self.failed else ""

    @property
    def failed_phase(self) -> str:
        return self.failed.payload["fields"]["phase"] if self.failed else ""


def _candidate_admin() -> Any:
    return admin.site._registry[Candidate]


def _phase_moves(candidates: QuerySet[Candidate] | list[Candidate]) -> dict[str, Mutation]:
    """The latest phase change per record id that is still running or failed recently."""
    by_record = {c.record_id: c for c in candidates}
    if not by_record:
        return {}
    first = next(iter(by_record.values()))
    moves = (
        Mutation.objects.filter(
            region_id=first.region_id,
            environment=first.environment,
            operation="candidate.update",
            payload__fields__has_key="phase",
        )
        .filter(
            Q(status__in=ACTIVE_STATUSES)
            | Q(
                status=MutationStatus.FAILED,
                finished_at__gte=timezone.now() - FAILURE_SHOWN_FOR,
            )
        )
        .order_by("sequence")
    )
    latest: dict[str, Mutation] = {}
    for mutation in moves:
        for record_id in mutation.target_ids:
            if record_id in by_record:
                latest[record_id] = mutation
    return latest


def _card(candidate: Candidate, move: Mutation | None) -> Card:
    if move is not None and move.status in ACTIVE_STATUSES:
        return Card(candidate, move.payload["fields"]["phase"], pending=move)
    failed = move if move is not None and move.status == MutationStatus.FAILED else None
    if failed is not None and failed.finished_at and failed.finished_at < candidate.mirrored_at:
        failed = None  # the mirror has moved on since (a later edit, a sync)
    return Card(candidate, candidate.phase, failed=failed)


def _colour(phase: str) -> tuple[str, str]:
    return PHASE_COLOURS.get(phase, OTHER_PHASE_COLOUR)


def _card_context(request: HttpRequest, card: Card) -> dict[str, Any]:
    return {
        "card": card,
        "phases": PHASES,
        "colour": _colour(card.column),
        "poll_s": PENDING_POLL_S,
        "can_move": _candidate_admin().has_change_permission(request, card.candidate),
    }


def _environment(request: HttpRequest) -> str:
    value = request.GET.get("environment", PRODUCTION)
    return value if value in ENVIRONMENTS else PRODUCTION


def _candidate(request: HttpRequest, candidate_id: int) -> Candidate:
    model_admin = _candidate_admin()
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    candidate = (
        model_admin.get_queryset(request).select_related("region").filter(pk=candidate_id).first()
    )
    if candidate is None:
        raise Http404
    return candidate


@require_GET
def board_view(request: HttpRequest) -> HttpResponse:
    model_admin = _candidate_admin()
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    regions = list(visible_regions(request).filter(active=True).order_by("name"))
    region = next((r for r in regions if str(r.pk) == request.GET.get("region")), None)
    region = region or (regions[0] if regions else None)
    environment = _environment(request)
    columns: list[dict[str, Any]] = []
    if region is not None:
        candidates = list(
            model_admin.get_queryset(request)
            .filter(region=region, environment=environment, archived=False)
            .select_related("region")
            .order_by("-airtable_modified_at", "-pk")
        )
        moves = _phase_moves(candidates)
        cards = [_card(c, moves.get(c.record_id)) for c in candidates]
        extra = sorted({card.column for card in cards} - set(PHASES))
        for phase in (*PHASES, *extra):
            in_column = [card for card in cards if card.column == phase]
            columns.append(
                {
                    "phase": phase,
                    "label": phase or _("(no phase)"),
                    "slug": f"phase-{(PHASES + tuple(extra)).index(phase)}",
                    "colour": _colour(phase),
                    "count": len(in_column),
                    "cards": [_card_context(request, c) for c in in_column[:CARDS_PER_COLUMN]],
                    "more": max(len(in_column) - CARDS_PER_COLUMN, 0),
                    "list_url": reverse("admin:candidates_candidate_changelist")
                    + "?"
                    + urlencode(
                        {
                            "region__id__exact": region.pk,
                            "environment__exact": environment,
                            "phase": phase,
                        }
                    ),
                }
            )
    context = {
        **admin.site.each_context(request),
        "title": _("Pipeline board"),
        "regions": regions,
        "region": region,
        "environment": environment,
        "columns": columns,
    }
    return render(request, "backoffice/board.html", context)


@require_GET
def card_view(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = _candidate(request, candidate_id)
    card = _card(candidate, _phase_moves([candidate]).get(candidate.record_id))
    return render(request, "backoffice/board_card.html", _card_context(request, card))


@require_POST
def move_view(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Queue the phase change; answer htmx with the card (pending), a form post with a redirect."""
    candidate = _candidate(request, candidate_id)
    if not _candidate_admin().has_change_permission(request, candidate):
        raise PermissionDenied
    phase = request.POST.get("phase", "")
    error = ""
    if phase != candidate.phase:
        try:
            fields = validate_candidate(
                region=candidate.region, operation="update", payload={"phase": phase}
            )
        except ValidationFailed as exc:
            error = "; ".join(_(detail.message) for detail in exc.details) or exc.message
        else:
            candidate_write_request(
                candidate=candidate, plan=candidate_update_plan(candidate, fields)
            )
    if request.htmx:  # type: ignore[attr-defined]
        card = _card(candidate, _phase_moves([candidate]).get(candidate.record_id))
        context = {**_card_context(request, card), "refused": error}
        return render(request, "backoffice/board_card.html", context)
    if error:
        messages.error(
            request,
            _("%(name)s was not moved: %(error)s") % {"name": candidate.name, "error": error},
        )
    elif phase == candidate.phase:
        messages.info(request, _("Nothing changed, so nothing was queued."))
    else:
        messages.success(
            request,
            _(
                "%(name)s is being moved to “%(phase)s”; the card is pending until Airtable "
                "confirms."
            )
            % {"name": candidate.name, "phase": phase},
        )
    query = urlencode({"region": candidate.region_id, "environment": candidate.environment})
    return HttpResponseRedirect(f"{reverse('admin:board')}?{query}")
