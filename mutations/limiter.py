"""The per-base Airtable request budget, shared by every worker and by the sync jobs.

Airtable allows 5 requests/s per base and answers a 6th with 429 plus a 30 s penalty for the
whole base. We never want to see that, so requests are spaced by a Redis token bucket with a
capacity of one (no bursts) at slightly under the limit, and a 429 that happens anyway (staff
integrations share the base) pauses the base for every worker.

Priority (contract the sync jobs rely on): the Mutation Engine and the sync jobs draw from the
*same* bucket, but the engine comes first. Every engine token request flags "engine demand" for
the base for ``ENGINE_DEMAND_TTL_S``; while the flag is up, a sync budget must first win a
ticket from a small bucket of its own (``AIRTABLE_SYNC_SHARE_PER_S``) before it may compete
for the shared token. So a sync takes at most that share while the engine has work, and the
whole budget when it has none; the engine is never starved (it keeps the rate minus the share).
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
PRIORITY_ENGINE = "engine"
PRIORITY_SYNC = "sync"
PRIORITIES = (PRIORITY_ENGINE, PRIORITY_SYNC)
# The engine asks for a token at most a few hundred ms apart while it has due work (one tick:
# claim, acquire, send, finish), so a flag that outlives its last request by 2 s stays up for
# as long as the engine is busy and drops soon after it goes idle.
ENGINE_DEMAND_TTL_S = 2.0
MIN_WAIT_S = 0.001

_local_pauses: dict[str, float] = {}
_local_demand: dict[str, float] = {}
_local_lock = threading.Lock()
# Buckets are shared per configuration: without Redis the bucket lives in process memory, and a
# bucket per AirtableBudget instance (one per engine tick) would never run dry.
_buckets: dict[tuple[str, float], TokenBucket] = {}


def _pause_key(base_id: str) -> str:
    return f"ats:airtable:pause:{base_id}"


def _demand_key(base_id: str) -> str:
    return f"ats:airtable:engine-demand:{base_id}"


def _shared_bucket(namespace: str, rate_per_s: float) -> TokenBucket:
    with _local_lock:
        bucket = _buckets.get((namespace, rate_per_s))
        if bucket is None:
            bucket = TokenBucket(namespace=namespace, rate_per_s=rate_per_s, capacity=1)
            _buckets[(namespace, rate_per_s)] = bucket
        return bucket


class AirtableBudget:
    def __init__(self, base_id: str, *, priority: str = PRIORITY_ENGINE) -> None:
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; one of {PRIORITIES}")
        self.base_id = base_id
        self.priority = priority
        rate = settings.AIRTABLE_REQUESTS_PER_S * RATE_SAFETY_FACTOR
        self._bucket = _shared_bucket("airtable", rate)
        self._sync_share = _shared_bucket("airtable-sync", settings.AIRTABLE_SYNC_SHARE_PER_S)
        # A sync that won its share ticket keeps it until it gets the shared token, so waiting
        # for the shared token never costs it a second ticket.
        self._holds_share_ticket = False

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

    def engine_demand_for(self) -> float:
        """Seconds the engine's demand flag for this base stays up (0 when the engine is idle)."""
        client = get_redis()
        if client is not None:
            try:
                ttl_ms = client.pttl(_demand_key(self.base_id))
                return max(0.0, ttl_ms / 1000) if ttl_ms and ttl_ms > 0 else 0.0
            except RedisError:
                pass
        with _local_lock:
            return max(0.0, _local_demand.get(self.base_id, 0.0) - time.monotonic())

    def _flag_engine_demand(self) -> None:
        client = get_redis()
        if client is not None:
            try:
                client.set(_demand_key(self.base_id), "1", px=int(ENGINE_DEMAND_TTL_S * 1000))
                return
            except RedisError:
                pass
        with _local_lock:
            _local_demand[self.base_id] = time.monotonic() + ENGINE_DEMAND_TTL_S

    def try_acquire(self) -> float:
        """Take one request's token. Returns 0 when taken, else seconds to wait first."""
        paused = self.paused_for()
        if paused > 0:
            return paused
        if self.priority == PRIORITY_ENGINE:
            self._flag_engine_demand()
        elif not self._holds_share_ticket:
            demand_s = self.engine_demand_for()
            if demand_s > 0:
                ticket = self._sync_share.take(self.base_id)
                if not ticket.allowed:
                    # Come back when the next ticket is due or the engine went idle, if sooner.
                    return max(min(ticket.retry_after_s, demand_s), MIN_WAIT_S)
                self._holds_share_ticket = True
        state = self._bucket.take(self.base_id)
        if not state.allowed:
            return max(state.retry_after_s, MIN_WAIT_S)
        self._holds_share_ticket = False
        return 0.0

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
