"""Candidate sessions as a DRF credential: ``Authorization: Bearer <token>`` (SPEC 2, 7).

A session is accepted only where a handler says so (``@allow_candidate_session``); everywhere
else the bearer header is not even read. A wrong, expired or logged-out token is a 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from config.api.auth_failures import auth_failure_record, auth_failures_check
from config.api.environment import request_environment
from config.api.errors import Unauthenticated

from .auth.selectors import session_get_by_token
from .models import CandidateSession

BEARER = "bearer"
_SESSION_FLAG = "allows_candidate_session"
Handler = TypeVar("Handler", bound=Callable[..., Any])


@dataclass
class CandidateSessionPrincipal:
    session: CandidateSession
    is_authenticated: bool = True

    @property
    def email(self) -> str:
        return self.session.email

    @property
    def rate_limit_identity(self) -> str:
        return f"session:{self.session.pk}"


def is_candidate_session(request: Request) -> bool:
    return isinstance(request.user, CandidateSessionPrincipal)


def session_principal(request: Request) -> CandidateSessionPrincipal:
    """The candidate session of a request that ``is_candidate_session`` or
    ``HasCandidateSession`` let through."""
    return cast(CandidateSessionPrincipal, request.user)


class CandidateSessionAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[CandidateSessionPrincipal, Any] | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != BEARER:
            return None
        auth_failures_check(request)
        session = session_get_by_token(
            token=token.strip(), environment=request_environment(request)
        )
        if session is None:
            auth_failure_record(request)
            raise Unauthenticated("The session token is unknown, expired or logged out.")
        return CandidateSessionPrincipal(session=session), session

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="candidate session"'


def allow_candidate_session(handler: Handler) -> Handler:
    """Marks a view method (``get``, ``patch``…) as open to candidate sessions too."""
    setattr(handler, _SESSION_FLAG, True)
    return handler


class HasCandidateSession(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not is_candidate_session(request):
            raise Unauthenticated("A candidate session is required (Authorization: Bearer).")
        return True


class CandidateSessionAllowed:
    """Mixin for key views of which some handlers also serve candidate sessions.

    Per handler rather than per class, because one route's view combines several classes
    (candidates/urls.py) and e.g. ``DELETE /candidates/{id}`` stays key-only. A handler that
    accepts a session must scope its reads to the person itself (``candidates.auth.selectors``).
    """

    def _handler_allows_session(self) -> bool:
        request = getattr(self, "request", None)
        method = (getattr(request, "method", None) or "").lower()
        return getattr(getattr(self, method, None), _SESSION_FLAG, False)

    def get_authenticators(self) -> list[BaseAuthentication]:
        authenticators = super().get_authenticators()  # type: ignore[misc]
        if self._handler_allows_session():
            authenticators.append(CandidateSessionAuthentication())
        return authenticators

    def get_permissions(self) -> list[BasePermission]:
        request = getattr(self, "request", None)
        if request is not None and isinstance(
            getattr(request, "user", None), CandidateSessionPrincipal
        ):
            return [HasCandidateSession()]
        return super().get_permissions()  # type: ignore[misc]


class CandidateSessionScheme(OpenApiAuthenticationExtension):
    target_class = "candidates.authentication.CandidateSessionAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A candidate session token (`cst_…`) from `POST /auth/session`, valid 24 hours. "
                "It sees only the records whose email is the session's, in any region."
            ),
        }
