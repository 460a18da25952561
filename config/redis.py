"""The one shared Redis client (rate limits, limiter state, health). ``None`` without Redis."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings

REDIS_SOCKET_TIMEOUT_S = 0.5


@lru_cache(maxsize=1)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )


def get_redis() -> redis.Redis | None:
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None
