from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.environment import request_environment
from config.api.errors import BadRequest, ErrorDetail, NotFound
from config.api.openapi import CURSOR_PARAMETERS, envelope
from config.api.pagination import paginate, parse_page_size
from regions.apis import KeyView

from .. import selectors
from ..auth.selectors import candidate_get_for_person
from ..authentication import (
    CandidateSessionAllowed,
    allow_candidate_session,
    is_candidate_session,
    session_principal,
)
from ..fields import PHASES
from ..schema import CREATE, OPERATIONS, candidate_json_schema
from ..serializers import (
    SELECTABLE_FIELDS,
    SHARED_OUTPUT_FIELDS,
    CandidateRenderer,
    CandidateSerializer,
    InteractionSerializer,
    SchemaEnvelopeSerializer,
    interaction_data,
)

_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise BadRequest(
            f"{name} must be true or false.",
            details=[ErrorDetail(name, f"Expected true/false/1/0, got {raw!r}.")],
        )
    return value in _TRUE


def _renderer(request: Request) -> CandidateRenderer:
    """The output selection from ``fields`` (repeated or comma-separated), ``includeCustomFields``
    and ``includeInteractions``; without ``fields``, every shared field."""
    requested = [
        name.strip()
        for value in request.query_params.getlist("fields")
        for name in value.split(",")
    ]
    if "" in requested:
        raise BadRequest(
            "fields may not be empty.", details=[ErrorDetail("fields", "Empty field name.")]
        )
    unknown = sorted(set(requested) - set(SELECTABLE_FIELDS))
    if unknown:
        raise BadRequest(
            f"Unknown field name(s): {', '.join(unknown)}. "
            f"Allowed: {', '.join(SELECTABLE_FIELDS)}.",
            details=[ErrorDetail("fields", f"Unknown field {name!r}.") for name in unknown],
        )
    selected = set(requested or SHARED_OUTPUT_FIELDS)
    if _bool_param(request, "includeCustomFields"):
        selected.add("customFields")
    if _bool_param(request, "includeInteractions"):
        selected.add("interactions")
    return CandidateRenderer(selected)


def _since(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = parse_datetime(raw.strip())
    except ValueError:
        value = None
    if value is not None:
        try:
            # In UTC: the database refuses offsets beyond ±15:59 that Python accepts.
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except OverflowError:
            pass
    raise BadRequest(
        f"{name} must be an ISO 8601 date-time.",
        details=[ErrorDetail(name, "Expected e.g. 2025-01-31T14:00:00Z.")],
    )


def _since_parameters(what: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "createdSince",
            OpenApiTypes.DATETIME,
            description=f"Only {what} created at or after this time.",
        ),
        OpenApiParameter(
            "updatedSince",
            OpenApiTypes.DATETIME,
            description=f"Only {what} changed (or created) at or after this time.",
        ),
    ]


def _phase(request: Request) -> str | None:
    raw = request.query_params.get("phase")
    if raw is None:
        return None
    if raw not in PHASES:
        raise BadRequest(
            f"phase must be one of: {', '.join(PHASES)}.",
            details=[ErrorDetail("phase", f"Unknown phase {raw!r}.")],
        )
    return raw


def _bool_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.BOOL, description=f"{description} true/false/1/0.")


FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    str,
    many=True,
    explode=True,
    enum=list(SELECTABLE_FIELDS),
    description=(
        "Repeat to select output fields (`?fields=name&fields=email`); `id` is always returned. "
        "Default: every shared field (not `customFields`, not `interactions`). An unknown name "
        "is a 400."
    ),
)
INCLUDE_PARAMETERS = [
    _bool_parameter("includeInteractions", "Embed the candidate's interactions."),
    _bool_parameter("includeCustomFields", "Add the region's custom fields."),
]
INCLUDE_ARCHIVED = _bool_parameter("includeArchived", "Also return archived candidates.")


class SchemaApi(KeyView):
    @extend_schema(
        tags=["Schema"],
        operation_id="schema_get",
        summary="The region's JSON Schema for candidate payloads",
        parameters=[
            OpenApiParameter(
                "operation",
                str,
                enum=list(OPERATIONS),
                default=CREATE,
                description="Which payload: `create` (POST /candidates) or `update` (PATCH).",
            )
        ],
        responses={200: SchemaEnvelopeSerializer},
    )
    def get(self, request: Request) -> Response:
        operation = request.query_params.get("operation", CREATE)
        if operation not in OPERATIONS:
            raise BadRequest(
                "operation must be create or update.",
                details=[ErrorDetail("operation", f"Unknown operation {operation!r}.")],
            )
        return ok(request, candidate_json_schema(region=self.region, operation=operation))


class CandidateListApi(KeyView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_list",
        summary="List the region's candidates (oldest first)",
        parameters=[
            *CURSOR_PARAMETERS,
            FIELDS_PARAMETER,
            *INCLUDE_PARAMETERS,
            OpenApiParameter("phase", str, enum=list(PHASES), description="Only this phase."),
            *_since_parameters("candidates"),
            INCLUDE_ARCHIVED,
        ],
        responses={200: envelope(CandidateSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        renderer = _renderer(request)
        queryset = selectors.candidate_list(
            region=self.region,
            environment=request_environment(request),
            phase=_phase(request),
            created_since=_since(request, "createdSince"),
            updated_since=_since(request, "updatedSince"),
            include_archived=_bool_param(request, "includeArchived"),
            include_attachments=renderer.needs_attachments,
            include_interactions=renderer.needs_interactions,
        )
        page = paginate(
            queryset,
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"candidates:{self.region.pk}:{request_environment(request)}",
            created_field="airtable_created_at",
            id_field="record_id",
        )
        return ok(request, renderer.render_many(page.items), cursor=page.next_cursor)


class CandidateFindApi(KeyView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_find",
        summary="Find candidates by email or phone",
        description=(
            "At least one of `email` and `phone`; the email wins when both are given. Email is "
            "case-insensitive; phone matches every notation of the same number "
            "(`+31 6-1234 5678`, `0031612345678`, `06 12345678`). Always a list (at most 100), "
            "never a 404."
        ),
        parameters=[
            OpenApiParameter("email", str, description="Email address, any case."),
            OpenApiParameter("phone", str, description="Phone number, any notation."),
            FIELDS_PARAMETER,
            *INCLUDE_PARAMETERS,
            INCLUDE_ARCHIVED,
        ],
        responses={200: envelope(CandidateSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        email = (request.query_params.get("email") or "").strip()
        phone = (request.query_params.get("phone") or "").strip()
        if not email and not phone:
            raise BadRequest(
                "Send email or phone (or both; the email wins).",
                details=[
                    ErrorDetail("email", "Send email or phone."),
                    ErrorDetail("phone", "Send email or phone."),
                ],
            )
        renderer = _renderer(request)
        candidates = selectors.candidate_find(
            region=self.region,
            environment=request_environment(request),
            email=email or None,
            phone=None if email else phone,
            include_archived=_bool_param(request, "includeArchived"),
            include_attachments=renderer.needs_attachments,
            include_interactions=renderer.needs_interactions,
        )
        return ok(request, renderer.render_many(candidates), cursor=None)


class CandidateDetailApi(CandidateSessionAllowed, KeyView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_get",
        summary="One candidate",
        description="With a candidate session: only the session's own records (else 404).",
        parameters=[FIELDS_PARAMETER, *INCLUDE_PARAMETERS],
        responses={200: envelope(CandidateSerializer)},
    )
    @allow_candidate_session
    def get(self, request: Request, candidate_id: str) -> Response:
        renderer = _renderer(request)
        if is_candidate_session(request):
            candidate = candidate_get_for_person(
                email=session_principal(request).email,
                environment=request_environment(request),
                record_id=candidate_id,
                include_attachments=renderer.needs_attachments,
                include_interactions=renderer.needs_interactions,
            )
        else:
            candidate = selectors.candidate_get(
                region=self.region,
                environment=request_environment(request),
                record_id=candidate_id,
                include_attachments=renderer.needs_attachments,
                include_interactions=renderer.needs_interactions,
            )
        if candidate is None:
            raise NotFound("No such candidate.")
        return ok(request, renderer.render(candidate))


class CandidateInteractionListApi(KeyView):
    @extend_schema(
        tags=["Interactions"],
        operation_id="candidate_interactions_list",
        summary="A candidate's interactions (oldest first)",
        parameters=[*CURSOR_PARAMETERS, *_since_parameters("interactions")],
        responses={200: envelope(InteractionSerializer, many=True)},
    )
    def get(self, request: Request, candidate_id: str) -> Response:
        created_since = _since(request, "createdSince")
        updated_since = _since(request, "updatedSince")
        candidate = selectors.candidate_get(
            region=self.region,
            environment=request_environment(request),
            record_id=candidate_id,
            include_attachments=False,
        )
        if candidate is None:
            raise NotFound("No such candidate.")
        page = paginate(
            selectors.interaction_list(
                candidate=candidate, created_since=created_since, updated_since=updated_since
            ),
            cursor=request.query_params.get("cursor"),
            page_size=parse_page_size(request.query_params.get("pageSize")),
            scope=f"interactions:{candidate.pk}",
            created_field="airtable_created_at",
            id_field="record_id",
        )
        data = [interaction_data(i, candidate_id=candidate.record_id) for i in page.items]
        return ok(request, data, cursor=page.next_cursor)


class InteractionDetailApi(KeyView):
    @extend_schema(
        tags=["Interactions"],
        operation_id="interactions_get",
        summary="One interaction",
        responses={200: envelope(InteractionSerializer)},
    )
    def get(self, request: Request, interaction_id: str) -> Response:
        interaction = selectors.interaction_get(
            region=self.region, environment=request_environment(request), record_id=interaction_id
        )
        if interaction is None:
            raise NotFound("No such interaction.")
        return ok(request, interaction_data(interaction))
