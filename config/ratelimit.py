"""Token buckets shared by every process: Redis when configured, the cache otherwise.

Used for the per-key API limit and (by the Mutation Engine) for the per-base Airtable budget.
Without Redis (the embedded default runs one web process) or while Redis is unreachable, the
bucket lives in this process' memory, like Django's local-memory cache would keep it.
The Redis version runs as one Lua script with Redis' own clock, so concurrent web processes and
workers on different machines draw from the same bucket without races or clock skew.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from redis.exceptions import RedisError

from config.redis import get_redis

logger = structlog.get_logger(__name__)

_TAKE_SCRIPT = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', key, math.ceil(capacity / rate) + 60)
return {allowed, tostring(tokens), tostring(wait)}
"""


@lru_cache(maxsize=4)
def _take_script(client: Any) -> Any:
    # EVALSHA after the first call: the script is not re-sent and re-parsed per request.
    return client.register_script(_TAKE_SCRIPT)


@dataclass(frozen=True)
class BucketState:
    allowed: bool
    remaining: float
    retry_after_s: float
    capacity: int
    rate_per_s: float

    @property
    def reset_s(self) -> int:
        """Seconds until the bucket is full again."""
        return math.ceil(max(0.0, self.capacity - self.remaining) / self.rate_per_s)


class TokenBucket:
    def __init__(self, *, namespace: str, rate_per_s: float, capacity: int) -> None:
        self.namespace = namespace
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self._lock = threading.Lock()
        self._local: dict[str, tuple[float, float]] = {}

    def _key(self, identity: str) -> str:
        return f"ats:bucket:{self.namespace}:{identity}"

    def take(self, identity: str, cost: int = 1) -> BucketState:
        client = get_redis()
        if client is not None:
            try:
                allowed, tokens, wait = _take_script(client)(
                    keys=[self._key(identity)], args=[self.rate_per_s, self.capacity, cost]
                )
                return BucketState(
                    bool(allowed), float(tokens), float(wait), self.capacity, self.rate_per_s
                )
            except RedisError as exc:
                # Limits must not take the API down with Redis: fall back to this process.
                logger.warning("ratelimit.redis_unavailable", error=type(exc).__name__)
        return self._take_locally(identity, cost)

    def _take_locally(self, identity: str, cost: int) -> BucketState:
        key = self._key(identity)
        with self._lock:
            now = time.monotonic()
            tokens, ts = self._local.get(key, (float(self.capacity), now))
            tokens = min(self.capacity, tokens + max(0.0, now - ts) * self.rate_per_s)
            allowed = tokens >= cost
            wait = 0.0 if allowed else (cost - tokens) / self.rate_per_s
            if allowed:
                tokens -= cost
            self._local[key] = (tokens, now)
        return BucketState(allowed, tokens, wait, self.capacity, self.rate_per_s)
