"""Candidate self-service (SPEC 7): ask for a code, exchange it for a session, see and export
one's own records, withdraw consent. Tag "Auth" in the OpenAPI document.

No answer here depends on whether an email address belongs to a candidate: ``POST
/auth/verification`` is always the same 202, and a wrong code is the same 401 either way.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.client import client_address
from config.api.envelope import ok
from config.api.environment import request_environment
from config.api.errors import (
    ErrorDetail,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from config.api.openapi import ErrorEnvelopeSerializer, envelope
from config.api.views import ApiView
from config.ratelimit import TokenBucket
from mutations import apis as mutation_apis
from mutations import selectors as mutation_selectors
from mutations.apis import accepted
from mutations.serializers import MutationSerializer
from regions.selectors import region_get_by_id_or_code

from ..access_log import AccessLogged
from ..auth import selectors as person_selectors
from ..auth import services
from ..auth.tokens import hash_identity, is_code
from ..authentication import (
    CandidateSessionAllowed,
    CandidateSessionAuthentication,
    CandidateSessionPrincipal,
    HasCandidateSession,
    allow_candidate_session,
    is_candidate_session,
    session_principal,
)
from ..fields import normalize_email
from ..serializers import SELECTABLE_FIELDS, SHARED_OUTPUT_FIELDS, CandidateRenderer
from ..serializers import CandidateSerializer as CandidateDocSerializer

MAX_EMAIL_LENGTH = 254

# Per client IP and per email address (hashed: no addresses in Redis keys). Generous enough
# for a person who mistypes, tight enough that nobody sweeps addresses or floods an inbox; the
# hourly quota of three codes per address is enforced in the database as well.
VERIFICATION_PER_IP = TokenBucket(namespace="auth-verification-ip", rate_per_s=10 / 60, capacity=10)
VERIFICATION_PER_EMAIL = TokenBucket(
    namespace="auth-verification-email", rate_per_s=5 / 3600, capacity=5
)
SESSION_PER_IP = TokenBucket(namespace="auth-session-ip", rate_per_s=20 / 60, capacity=20)
SESSION_PER_EMAIL = TokenBucket(namespace="auth-session-email", rate_per_s=10 / 900, capacity=10)

VERIFICATION_ACCEPTED = {
    "status": "accepted",
    "message": (
        "If this address belongs to a candidate, a 6-digit code is on its way by email. "
        "It is valid for 15 minutes."
    ),
}


def _take(bucket: TokenBucket, identity: str) -> None:
    state = bucket.take(identity)
    if not state.allowed:
        raise RateLimited(
            "Too many attempts; wait before trying again.",
            headers={"Retry-After": str(max(1, round(state.retry_after_s + 0.5)))},
        )


def _members(request: Request, allowed: set[str]) -> dict[str, Any]:
    data = request.data if isinstance(request.data, dict) else {}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(details=[ErrorDetail(name, "Unknown member.") for name in unknown])
    return data


def _email(data: dict[str, Any]) -> str:
    value = data.get("email")
    if value is None:
        raise ValidationFailed(details=[ErrorDetail("email", "Required.")])
    try:
        if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH:
            raise DjangoValidationError("not an email address")
        validate_email(value)
    except DjangoValidationError:
        raise ValidationFailed(
            details=[ErrorDetail("email", "Enter a valid email address.")]
        ) from None
    return value.strip()


# --- OpenAPI documentation -----------------------------------------------------------------------


class VerificationRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=MAX_EMAIL_LENGTH)
    region = serializers.CharField(
        required=False, help_text="Region code or id: only look for the email in this region."
    )


class VerificationAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted"])
    message = serializers.CharField()


class SessionRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=MAX_EMAIL_LENGTH)
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The 6-digit code from the email.")


class SessionSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`. Shown once.")
    expiresAt = serializers.DateTimeField()


class LogoutSerializer(serializers.Serializer):
    loggedOut = serializers.BooleanField()


class ExportSerializer(serializers.Serializer):
    email = serializers.EmailField()
    environment = serializers.CharField()
    exportedAt = serializers.DateTimeField()
    candidates = CandidateDocSerializer(
        many=True,
        help_text="Every record in every region, with custom fields, interactions and files.",
    )


# --- views ---------------------------------------------------------------------------------------


class PublicView(ApiView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


def _handles_method(view: ApiView) -> bool:
    method = (getattr(getattr(view, "request", None), "method", "") or "").lower()
    return method in view.http_method_names and hasattr(view, method)


class SessionView(ApiView):
    authentication_classes = [CandidateSessionAuthentication]

    def get_permissions(self) -> list[BasePermission]:
        # DRF checks permissions before it looks for the handler: let an unsupported method
        # through to its 405 instead of answering 401.
        return [HasCandidateSession()] if _handles_method(self) else [AllowAny()]

    @property
    def principal(self) -> CandidateSessionPrincipal:
        return session_principal(self.request)


class VerificationApi(PublicView):
    @extend_schema(
        tags=["Auth"],
        operation_id="auth_verification_request",
        summary="Email a 6-digit login code to a candidate",
        description=(
            "Always 202 with the same body, whether or not the address belongs to a candidate. "
            "If it does (in `region`, when given), a code valid for 15 minutes is emailed "
            "shortly after. At most 3 codes per address per hour; a newer code replaces older "
            "ones."
        ),
        request=VerificationRequestSerializer,
        responses={202: envelope(VerificationAcceptedSerializer)},
    )
    def post(self, request: Request) -> Response:
        data = _members(request, {"email", "region"})
        email = _email(data)
        region = None
        if "region" in data:
            region_ref = data["region"]
            region = region_get_by_id_or_code(region_ref) if isinstance(region_ref, str) else None
            if region is None:
                raise ValidationFailed(details=[ErrorDetail("region", "Unknown region.")])
        _take(VERIFICATION_PER_IP, client_address(request))
        _take(VERIFICATION_PER_EMAIL, hash_identity(normalize_email(email)))
        services.verification_request(
            email=email, environment=request_environment(request), region=region
        )
        return ok(request, dict(VERIFICATION_ACCEPTED), status=202)


class SessionApi(ApiView):
    """POST is public (log in with a code); DELETE needs the session (log out)."""

    def _logging_in(self) -> bool:
        # ``request`` is still unset while drf-spectacular builds its mock request.
        return (getattr(getattr(self, "request", None), "method", "") or "").upper() == "POST"

    def get_authenticators(self) -> list[Any]:
        return [] if self._logging_in() else [CandidateSessionAuthentication()]

    def get_permissions(self) -> list[BasePermission]:
        if self._logging_in() or not _handles_method(self):
            return [AllowAny()]
        return [HasCandidateSession()]

    @extend_schema(
        tags=["Auth"],
        operation_id="auth_session_create",
        summary="Exchange an emailed code for a session token (24 hours)",
        description=(
            "A wrong, expired or already used code is a 401; the fifth wrong try invalidates "
            "the code (ask for a new one)."
        ),
        request=SessionRequestSerializer,
        responses={
            201: envelope(SessionSerializer),
            401: OpenApiResponse(ErrorEnvelopeSerializer, "Wrong, expired or used code."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _members(request, {"email", "code"})
        details = []
        try:
            email = _email(data)
        except ValidationFailed as exc:
            details += exc.details
            email = ""
        code = data.get("code")
        if not isinstance(code, str) or not is_code(code):
            details.append(ErrorDetail("code", "Six digits, as in the email."))
            code = ""
        if details:
            raise ValidationFailed(details=details)
        _take(SESSION_PER_IP, client_address(request))
        _take(SESSION_PER_EMAIL, hash_identity(normalize_email(email)))
        created = services.session_create(
            email=email, code=code, environment=request_environment(request)
        )
        if created is None:
            raise Unauthenticated("The code is wrong, expired or already used.")
        body = {
            "token": created.token,
            "expiresAt": serializers.DateTimeField().to_representation(created.session.expires_at),
        }
        return ok(request, body, status=201)

    @extend_schema(
        tags=["Auth"],
        operation_id="auth_session_delete",
        summary="Log out: the token stops working at once",
        request=None,
        responses={200: envelope(LogoutSerializer)},
    )
    def delete(self, request: Request) -> Response:
        services.session_end(session=session_principal(request).session)
        return ok(request, {"loggedOut": True})


def _all_shared_fields() -> CandidateRenderer:
    return CandidateRenderer(SHARED_OUTPUT_FIELDS)


class MyCandidatesApi(AccessLogged, SessionView):
    @extend_schema(
        tags=["Auth"],
        operation_id="auth_candidates_me",
        summary="Every record of the session's email address, in every region",
        description="Archived records included. Not paginated (`meta.cursor` is null).",
        responses={200: envelope(CandidateDocSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        renderer = _all_shared_fields()
        candidates = person_selectors.candidate_list_for_person(
            email=self.principal.email, environment=request_environment(request)
        )
        return ok(request, renderer.render_many(candidates), cursor=None)


class MyDataExportApi(AccessLogged, SessionView):
    @extend_schema(
        tags=["Auth"],
        operation_id="auth_candidates_me_export",
        summary="Export everything held about the session's person (AVG/GDPR access)",
        description=(
            "Every record with the session's email in every region: all stored fields, custom "
            "fields, interactions and attachment metadata."
        ),
        responses={200: envelope(ExportSerializer)},
    )
    def get(self, request: Request) -> Response:
        renderer = CandidateRenderer(SELECTABLE_FIELDS)
        candidates = person_selectors.candidate_list_for_person(
            email=self.principal.email,
            environment=request_environment(request),
            include_interactions=True,
        )
        body = {
            "email": self.principal.email,
            "environment": request_environment(request),
            "exportedAt": serializers.DateTimeField().to_representation(timezone.now()),
            "candidates": renderer.render_many(candidates),
        }
        return ok(request, body)


# --- the session side of PATCH /candidates/{id} (called from apis/write.py) -----------------------

CONSENT_FIELD = "privacyConsent"


def consent_patch(request: Request, *, record_id: str, ordering_key: str) -> Response:
    """A candidate session may change ``privacyConsent`` of its own records and nothing else."""
    candidate = person_selectors.candidate_get_for_person(
        email=session_principal(request).email,
        environment=request_environment(request),
        record_id=record_id,
        include_attachments=False,
    )
    if candidate is None:
        raise NotFound("No such candidate.")
    data = request.data if isinstance(request.data, dict) else {}
    details = [
        ErrorDetail(name, "A candidate session may change only privacyConsent.")
        for name in sorted(set(data) - {CONSENT_FIELD})
    ]
    consent = data.get(CONSENT_FIELD)
    if not isinstance(consent, bool):
        details.append(ErrorDetail(CONSENT_FIELD, "Required: true or false."))
        consent = False
    if details:
        raise ValidationFailed(details=details)
    mutations = services.candidate_consent_set(
        candidate=candidate,
        consent=consent,
        ordering_keys=[ordering_key],
        requested_by=session_principal(request).rate_limit_identity,
    )
    return accepted(request, mutations[-1])


class MutationDetailApi(CandidateSessionAllowed, mutation_apis.MutationDetailApi):
    """``GET /mutations/{id}`` for keys (the region's mutations) and for a candidate session,
    which reads the mutations its own PATCH queued — the 202 it got links here."""

    @extend_schema(
        tags=["Mutations"],
        operation_id="mutations_get",
        responses={200: envelope(MutationSerializer)},
    )
    @allow_candidate_session
    def get(self, request: Request, mutation_id: str) -> Response:
        if not is_candidate_session(request):
            return super().get(request, mutation_id)
        mutation = mutation_selectors.mutation_get_for_requester(
            requested_by=session_principal(request).rate_limit_identity,
            environment=request_environment(request),
            mutation_id=mutation_id,
        )
        if mutation is None:
            raise NotFound("No such mutation.")
        return ok(request, MutationSerializer(mutation, context={"request": request}).data)
