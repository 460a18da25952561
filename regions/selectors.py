from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

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


V1_RECENT_DAYS = 30  # "still calls API v1": a call within this window


def v1_recent_since() -> datetime:
    return timezone.now() - timedelta(days=V1_RECENT_DAYS)


def api_keys_still_on_v1() -> QuerySet[ApiKey]:
    """Active keys that called the deprecated API v1 recently (SPEC 14), most recent first."""
    return (
        ApiKey.objects.filter(revoked_at__isnull=True, v1_last_used_at__gte=v1_recent_since())
        .select_related("region")
        .order_by("-v1_last_used_at")
    )
