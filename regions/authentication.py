"""Who is calling: API keys (region or admin scope) and, later, candidate sessions.

Authentication resolves the *acting region*: a region key acts for its own region; an admin
key acts for the region named in ``x-region-id`` (by id or code), else its home region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from config.api.auth_failures import auth_failure_record, auth_failures_check
from config.api.errors import BadRequest, Forbidden, NotFound, Unauthenticated

from .models import ApiKey, Region
from .selectors import api_key_authenticate, region_get_by_id_or_code
from .services import api_key_touch

API_KEY_HEADERS = ("x-api-key", "api-key")
REGION_OVERRIDE_HEADER = "x-region-id"


@dataclass
class KeyPrincipal:
    api_key: ApiKey
    region: Region | None
    is_authenticated: bool = True

    @property
    def is_admin(self) -> bool:
        return self.api_key.is_admin

    @property
    def rate_limit_identity(self) -> str:
        return f"key:{self.api_key.pk}"


def key_principal(request: Request) -> KeyPrincipal:
    """The API key behind a view guarded by ``HasRegionKey`` or ``HasAdminKey``, which refuse
    every other principal before the view runs."""
    return cast(KeyPrincipal, request.user)


def key_region(request: Request) -> Region:
    """The region a ``HasRegionKey`` view acts for (the permission refuses a key without one)."""
    return cast(Region, key_principal(request).region)


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[KeyPrincipal, ApiKey] | None:
        raw = next((request.headers[h] for h in API_KEY_HEADERS if request.headers.get(h)), None)
        if raw is None:
            return None
        auth_failures_check(request)
        api_key = api_key_authenticate(raw)
        if api_key is None:
            auth_failure_record(request)
            raise Unauthenticated("The API key is unknown, malformed or revoked.")
        region = self._acting_region(request, api_key)
        api_key_touch(api_key=api_key)
        return KeyPrincipal(api_key=api_key, region=region), api_key

    def _acting_region(self, request: Request, api_key: ApiKey) -> Region | None:
        override = request.headers.get(REGION_OVERRIDE_HEADER)
        if override:
            if not api_key.is_admin:
                raise Forbidden("Only admin keys may act for another region (x-region-id).")
            region = region_get_by_id_or_code(override)
            if region is None:
                raise NotFound("No region matches x-region-id.")
            return region
        region = api_key.region
        if region is not None and not region.active and not api_key.is_admin:
            raise Forbidden("This region is not active.")
        return region

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return 'ApiKey header="x-api-key"'


class HasRegionKey(BasePermission):
    """Any API key acting for a region (region keys, and admin keys with a region)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, KeyPrincipal):
            raise Unauthenticated()
        if principal.region is None:
            raise BadRequest("Admin keys without a home region must send x-region-id.")
        return True


class HasAdminKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, KeyPrincipal):
            raise Unauthenticated()
        if not principal.is_admin:
            raise Forbidden("This operation needs an admin key.")
        return True
