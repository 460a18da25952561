"""Which data set a request addresses: production or sandbox (SPEC 2 and 8)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

PRODUCTION = "production"
SANDBOX = "sandbox"
ENVIRONMENTS = (PRODUCTION, SANDBOX)
ENVIRONMENT_CHOICES = [(PRODUCTION, _("Production")), (SANDBOX, _("Sandbox"))]

SANDBOX_PATH_PREFIX = "/api/sandbox/"
SANDBOX_HEADER = "HTTP_X_API_SANDBOX"


def environment_for(path: str, meta: dict[str, Any]) -> str:
    if path.startswith(SANDBOX_PATH_PREFIX):
        return SANDBOX
    if meta.get(SANDBOX_HEADER, "").strip().lower() in {"true", "1", "yes"}:
        return SANDBOX
    return PRODUCTION


def request_environment(request: Any) -> str:
    """The data set ``EnvironmentMiddleware`` chose for this request (Django's or DRF's)."""
    environment: str = request.environment
    return environment


def is_sandbox(request: Any) -> bool:
    return getattr(request, "environment", PRODUCTION) == SANDBOX
