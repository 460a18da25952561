from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.api.errors import Conflict

from . import keys
from .coverage import coverage_changed
from .models import ApiKey, ApiKeyScope, Region, StaffMembership

SIGNING_SECRET_BYTES = 32

SIGNING_SECRET_OVERLAP = timedelta(hours=24)


def _new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(SIGNING_SECRET_BYTES)


@transaction.atomic
def region_create(
    *,
    code: str,
    name: str,
    contact_email: str = "",
    website: str = "",
    active: bool = True,
    retention_months: int | None = None,
) -> Region:
    region = Region(
        code=code,
        name=name,
        contact_email=contact_email,
        website=website,
        active=active,
        signing_secret=_new_signing_secret(),
    )
    if retention_months is not None:
        region.retention_months = retention_months
    region.full_clean()
    region.save()
    coverage_changed()  # the lookup serves names, emails and websites from its index
    return region


_REGION_UPDATABLE = {"name", "contact_email", "website", "active", "retention_months"}


@transaction.atomic
def region_update(*, region: Region, **changes: object) -> Region:
    unknown = set(changes) - _REGION_UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(region, field, value)
    region.full_clean()
    region.save()
    coverage_changed()  # the lookup serves names, emails and websites from its index
    return region


@transaction.atomic
def region_rotate_signing_secret(*, region: Region) -> Region:
    """New secret now; the old one keeps signing in parallel for 24 h."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    region.previous_signing_secret = region.signing_secret
    region.previous_signing_secret_expires_at = timezone.now() + SIGNING_SECRET_OVERLAP
    region.signing_secret = _new_signing_secret()
    region.save(
        update_fields=[
            "signing_secret",
            "previous_signing_secret",
            "previous_signing_secret_expires_at",
            "updated_at",
        ]
    )
    return region


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    full_key: str  # shown once, never stored


@transaction.atomic
def api_key_create(
    *, region: Region | None, name: str, scope: str = ApiKeyScope.REGION
) -> CreatedApiKey:
    secret = keys.generate_secret()
    while True:
        prefix = keys.generate_prefix()
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey(
        region=region,
        name=name,
        scope=scope,
        prefix=prefix,
        hashed_secret=keys.hash_secret(secret),
    )
    api_key.full_clean()
    api_key.save()
    return CreatedApiKey(api_key=api_key, full_key=keys.format_key(prefix, secret))


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, revoked_by: ApiKey | None = None) -> ApiKey:
    """Revoke at once. A key may not revoke itself while it is its region's last active key."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is not None:
        return api_key
    if revoked_by is not None and revoked_by.pk == api_key.pk and api_key.region_id:
        others = (
            ApiKey.objects.filter(region_id=api_key.region_id, revoked_at__isnull=True)
            .exclude(pk=api_key.pk)
            .exists()
        )
        if not others:
            raise Conflict(
                "This is the region's last active key; create another key before revoking it."
            )
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, writing at most once a minute per key (one conditional UPDATE)."""
    _api_key_stamp(api_key, "last_used_at")


def api_key_touch_v1(*, api_key: ApiKey) -> None:
    """Record a call to API v1 (SPEC 14), like :func:`api_key_touch`: at most once a minute."""
    _api_key_stamp(api_key, "v1_last_used_at")


def _api_key_stamp(api_key: ApiKey, field: str) -> None:
    now = timezone.now()
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_S)
    last = getattr(api_key, field)
    if last is not None and now - last < resolution:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(**{f"{field}__gt": now - resolution}).update(
        **{field: now}
    )
    setattr(api_key, field, now)


@transaction.atomic
def staff_membership_grant(*, user: Any, region: Region) -> StaffMembership:
    """Give a back-office user access to ``region`` (idempotent)."""
    membership, _ = StaffMembership.objects.get_or_create(user=user, region=region)
    return membership
