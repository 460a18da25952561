"""Failed authentication, throttled per client address (API keys and session tokens alike).

Every request that presents a credential first asks whether its address has failed too often;
if so it is refused with 429 *before* the credential is checked, so a locked-out address learns
nothing about the keys or tokens it tries. Each failure then takes one token of the address'
bucket: ``API_AUTH_FAILURE_BURST`` failures at once, refilled over ``API_AUTH_FAILURE_WINDOW_S``.
Successful requests never consume it, so a working integration behind the address is only
refused while the failures keep coming.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from config.ratelimit import TokenBucket

from .client import client_address
from .errors import RateLimited

NAMESPACE = "api-auth-failures-ip"
_bucket: TokenBucket | None = None


def auth_failure_bucket() -> TokenBucket:
    global _bucket
    burst = settings.API_AUTH_FAILURE_BURST
    rate = burst / settings.API_AUTH_FAILURE_WINDOW_S
    if _bucket is None or (_bucket.namespace, _bucket.capacity, _bucket.rate_per_s) != (
        NAMESPACE,
        burst,
        rate,
    ):
        _bucket = TokenBucket(namespace=NAMESPACE, rate_per_s=rate, capacity=burst)
    return _bucket


def _refuse(retry_after_s: float) -> RateLimited:
    return RateLimited(
        "Too many failed authentication attempts from this address; wait before retrying.",
        headers={"Retry-After": str(max(1, round(retry_after_s + 0.5)))},
    )


def auth_failures_check(request: Any) -> None:
    """Raise 429 when ``request``'s address has no failed attempt left (costs nothing)."""
    bucket = auth_failure_bucket()
    state = bucket.take(client_address(request), cost=0)
    if state.remaining < 1:
        raise _refuse((1 - state.remaining) / bucket.rate_per_s)


def auth_failure_record(request: Any) -> None:
    """Count one failed attempt; one beyond the burst is answered 429 instead of 401."""
    state = auth_failure_bucket().take(client_address(request))
    if not state.allowed:
        raise _refuse(state.retry_after_s)
