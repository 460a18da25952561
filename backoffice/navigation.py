"""Who sees which sidebar entry: the same model permissions the admin pages check."""

from __future__ import annotations

from django.http import HttpRequest


def _can(request: HttpRequest, permission: str) -> bool:
    return bool(request.user.is_active and request.user.has_perm(permission))


def can_view_candidates(request: HttpRequest) -> bool:
    return _can(request, "candidates.view_candidate")


def can_view_interactions(request: HttpRequest) -> bool:
    return _can(request, "candidates.view_interaction")


def can_view_mutations(request: HttpRequest) -> bool:
    return _can(request, "mutations.view_mutation")


def can_view_deliveries(request: HttpRequest) -> bool:
    return _can(request, "webhooks.view_delivery")


def can_view_subscriptions(request: HttpRequest) -> bool:
    return _can(request, "webhooks.view_subscription")


def can_view_regions(request: HttpRequest) -> bool:
    return _can(request, "regions.view_region")


def can_view_api_keys(request: HttpRequest) -> bool:
    return _can(request, "regions.view_apikey")


def can_view_attachments(request: HttpRequest) -> bool:
    return _can(request, "candidates.view_attachment")


def can_view_users(request: HttpRequest) -> bool:
    return _can(request, "auth.view_user")


def can_view_groups(request: HttpRequest) -> bool:
    return _can(request, "auth.view_group")


def can_view_sync(request: HttpRequest) -> bool:
    return _can(request, "airtable.view_syncstate")


def is_superuser(request: HttpRequest) -> bool:
    """Memberships and the access log are superuser matters (regions/admin.py, SPEC 7)."""
    return bool(request.user.is_active and request.user.is_superuser)
