"""The base view every API endpoint derives from: envelope, per-key rate limit, headers."""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.ratelimit import BucketState, TokenBucket

from .client import client_address
from .errors import BadRequest, ErrorDetail, RateLimited

API_LANGUAGE = "en"
_api_bucket: TokenBucket | None = None


def api_bucket() -> TokenBucket:
    global _api_bucket
    rate, burst = settings.API_RATE_LIMIT_PER_S, settings.API_RATE_LIMIT_BURST
    if _api_bucket is None or (_api_bucket.rate_per_s, _api_bucket.capacity) != (rate, burst):
        _api_bucket = TokenBucket(namespace="api", rate_per_s=rate, capacity=burst)
    return _api_bucket


class PerKeyRateThrottle(BaseThrottle):
    """20 requests/s sustained, bursts of 40, per API key (per session or client IP otherwise)."""

    def identity(self, request: Request) -> str:
        principal = request.user
        identity: str | None = getattr(principal, "rate_limit_identity", None)
        if identity:
            return identity
        return f"ip:{client_address(request)}"

    def allow_request(self, request: Request, view: Any) -> bool:
        state = api_bucket().take(self.identity(request))
        view.ratelimit_state = state  # the view lives for this one request; its headers use it
        if not state.allowed:
            raise RateLimited(
                "Too many requests for this key; slow down and retry after the given time.",
                headers={"Retry-After": str(max(1, round(state.retry_after_s + 0.5)))},
            )
        return True


def ratelimit_headers(state: BucketState) -> dict[str, str]:
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-06): a token bucket of
    ``capacity`` refilled at ``rate_per_s`` is a quota of ``capacity`` requests per window of
    ``capacity / rate_per_s`` seconds (defaults: 40 per 2 s — 20/s sustained, bursts of 40).
    Limit is that quota (the most you may send at once), Remaining what you may send now, Reset
    the seconds until the bucket is full again."""
    window_s = max(1, math.ceil(state.capacity / state.rate_per_s))
    return {
        "RateLimit-Policy": f"{state.capacity};w={window_s}",
        "RateLimit-Limit": str(state.capacity),
        "RateLimit-Remaining": str(int(state.remaining)),
        "RateLimit-Reset": str(state.reset_s),
    }


class ApiView(APIView):
    throttle_classes = [PerKeyRateThrottle]
    ratelimit_state: BucketState | None = None  # set by the throttle for this request
    # Query parameters documented as arrays; every other parameter may appear once.
    multi_value_params: frozenset[str] = frozenset({"fields"})

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        repeated = sorted(
            name
            for name, values in request.query_params.lists()
            if len(values) > 1 and name not in self.multi_value_params
        )
        if repeated:
            raise BadRequest(
                "Give each query parameter once.",
                details=[ErrorDetail(name, "Repeated parameter.") for name in repeated],
            )

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The API speaks UTC ("...Z") and English, whatever Accept-Language says (integrators
        # match on messages in their logs); staff screens keep Dutch and the local time.
        with timezone.override(UTC), translation.override(API_LANGUAGE):
            return super().dispatch(request, *args, **kwargs)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        state = self.ratelimit_state
        if state is not None:
            for name, value in ratelimit_headers(state).items():
                response[name] = value
        return response
