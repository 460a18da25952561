from __future__ import annotations

import uuid

from django.db.models import QuerySet

from . import keys
from .models import ApiKey, ApiKeyScope, Region


def region_get_by_id_or_code(value: str) -> Region | None:
    """A region by UUID or by code (the ``x-region-id`` header accepts both)."""
    value = value.strip()
    try:
        return Region.objects.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        return Region.objects.filter(code=value).first()


def region_list() -> QuerySet[Region]:
    return Region.objects.all()


def api_key_list(*, region: Region, include_admin: bool) -> QuerySet[ApiKey]:
    """The region's keys; admin-scope keys only for a caller that holds admin scope itself."""
    keys_ = ApiKey.objects.filter(region=region)
    return keys_ if include_admin else keys_.exclude(scope=ApiKeyScope.ADMIN)


def api_key_get(*, region: Region, key_id: str, include_admin: bool) -> ApiKey | None:
    try:
        pk = uuid.UUID(str(key_id))
    except ValueError:
        return None
    return api_key_list(region=region, include_admin=include_admin).filter(pk=pk).first()


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, or ``None`` — same answer time for every miss."""
    parts = keys.split_key(raw_key)
    if parts is None:
        return None
    prefix, secret = parts
    api_key = ApiKey.objects.select_related("region").filter(prefix=prefix).first()
    # Compare even when no row matched, so a missing prefix costs the same as a wrong secret.
    hashed = api_key.hashed_secret if api_key else keys.hash_secret("absent")
    if not keys.secret_matches(secret, hashed) or api_key is None:
        return None
    if api_key.revoked_at is not None:
        return None
    return api_key
