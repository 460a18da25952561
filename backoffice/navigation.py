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
