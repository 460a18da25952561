"""The per-base Airtable request budget, shared by every worker and by the sync jobs.

Airtable allows 5 requests/s per base and answers a 6th with 429 plus a 30 s penalty for the
whole base. We never want to see that, so requests are spaced by a Redis token bucket with a
capacity of one (no bursts) at slightly under the limit, and a 429 that happens anyway (staff
integrations share the base) pauses the base for every worker.
"""

from __future__ import annotations

import threading
import time

import structlog
from django.conf import settings
from redis.exceptions import RedisError

from config.ratelimit import TokenBucket
from config.redis import get_redis

logger = structlog.get_logger(__name__)

# Spacing requests at 97 % of the limit keeps network jitter from ever packing six requests
# into one second at the server, while keeping throughput above the 90 % target.
RATE_SAFETY_FACTOR = 0.97
_local_pauses: dict[str, float] = {}
_local_lock = threading.Lock()


def _pause_key(base_id: str) -> str:
    return f"ats:airtable:pause:{base_id}"


class AirtableBudget:
    def __init__(self, base_id: str) -> None:
        self.base_id = base_id
        rate = settings.AIRTABLE_REQUESTS_PER_S * RATE_SAFETY_FACTOR
        self._bucket = TokenBucket(namespace="airtable", rate_per_s=rate, capacity=1)

    def paused_for(self) -> float:
        """Seconds left of a base-wide 429 pause (0 when not paused)."""
        client = get_redis()
        if client is not None:
            try:
                ttl_ms = client.pttl(_pause_key(self.base_id))
                return max(0.0, ttl_ms / 1000) if ttl_ms and ttl_ms > 0 else 0.0
            except RedisError:
                pass
        with _local_lock:
            return max(0.0, _local_pauses.get(self.base_id, 0.0) - time.monotonic())

    def pause(self, seconds: float | None = None) -> None:
        seconds = settings.AIRTABLE_RATE_LIMIT_PENALTY_S if seconds is None else seconds
        logger.warning("airtable.base_paused", base=self.base_id, seconds=seconds)
        client = get_redis()
        if client is not None:
            try:
                client.set(_pause_key(self.base_id), "1", px=int(seconds * 1000))
                return
            except RedisError:
                pass
        with _local_lock:
            _local_pauses[self.base_id] = time.monotonic() + seconds

    def try_acquire(self) -> float:
        """Take one request's token. Returns 0 when taken, else seconds to wait first."""
        paused = self.paused_for()
        if paused > 0:
            return paused
        state = self._bucket.take(self.base_id)
        return 0.0 if state.allowed else max(state.retry_after_s, 0.001)

    def acquire(self, *, max_wait_s: float) -> bool:
        """Block until a token is taken (True) or ``max_wait_s`` would be exceeded (False)."""
        deadline = time.monotonic() + max_wait_s
        while True:
            wait = self.try_acquire()
            if wait == 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)
