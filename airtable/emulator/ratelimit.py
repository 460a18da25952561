"""Per-base rate limiting with Airtable's penalty box, plus "429 storm" fault windows."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_RATE_LIMIT_PER_S = 5  # Airtable: 5 requests per second per base
RATE_LIMIT_PENALTY_S = 30.0  # Airtable: after a 429, wait 30 s before requests succeed again
RATE_WINDOW_S = 1.0  # sliding window length the limit applies to
GLOBAL = "*"  # key for settings that apply to every base

REJECT_STORM = "storm"
REJECT_PENALTY = "penalty"
REJECT_LIMIT = "limit"


@dataclass
class LimitConfig:
    rate_limit_per_s: int = DEFAULT_RATE_LIMIT_PER_S  # 0 = unlimited
    penalty_s: float = RATE_LIMIT_PENALTY_S


class RateLimiter:
    """Sliding one-second window per base; the (N+1)th request starts the penalty period.

    Requests answered 429 are not counted in the window and do not extend the penalty.
    The limiter also records, per base, the most requests it ever accepted within one
    sliding second (``max_window``), which the request log reports.
    """

    def __init__(
        self,
        rate_limit_per_s: int = DEFAULT_RATE_LIMIT_PER_S,
        penalty_s: float = RATE_LIMIT_PENALTY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._initial = LimitConfig(rate_limit_per_s, penalty_s)
        self._defaults = LimitConfig(rate_limit_per_s, penalty_s)
        self._overrides: dict[str, dict[str, Any]] = {}
        self._windows: dict[str, deque[float]] = {}
        self._max_window: dict[str, int] = {}
        self._penalty_until: dict[str, float] = {}
        self._storm_until: dict[str, float] = {}

    def config_for(self, base_id: str) -> LimitConfig:
        with self._lock:
            return self._config_for(base_id)

    def _config_for(self, base_id: str) -> LimitConfig:
        return LimitConfig(**{**asdict(self._defaults), **self._overrides.get(base_id, {})})

    def set_config(
        self,
        base_id: str | None = None,
        *,
        rate_limit_per_s: int | None = None,
        penalty_s: float | None = None,
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if rate_limit_per_s is not None:
            if int(rate_limit_per_s) < 0:
                raise ValueError("rate_limit_per_s must be >= 0 (0 = unlimited)")
            changes["rate_limit_per_s"] = int(rate_limit_per_s)
        if penalty_s is not None:
            if float(penalty_s) < 0:
                raise ValueError("penalty_s must be >= 0")
            changes["penalty_s"] = float(penalty_s)
        with self._lock:
            if base_id is None:
                self._defaults = LimitConfig(**{**asdict(self._defaults), **changes})
            else:
                self._overrides.setdefault(base_id, {}).update(changes)
        return self.describe()

    def start_storm(self, base_id: str | None, seconds: float) -> None:
        """Answer 429 to every request (of one base, or all) for ``seconds``."""
        with self._lock:
            self._storm_until[base_id or GLOBAL] = self._clock() + float(seconds)

    def clear_storms(self, base_id: str | None = None) -> None:
        with self._lock:
            if base_id is None:
                self._storm_until.clear()
            else:
                self._storm_until.pop(base_id, None)

    def admit(self, base_id: str) -> str | None:
        """Count one request; returns None if accepted, else the rejection reason."""
        with self._lock:
            now = self._clock()
            if max(self._storm_until.get(GLOBAL, 0), self._storm_until.get(base_id, 0)) > now:
                return REJECT_STORM
            if self._penalty_until.get(base_id, 0) > now:
                return REJECT_PENALTY
            window = self._windows.setdefault(base_id, deque())
            while window and window[0] <= now - RATE_WINDOW_S:
                window.popleft()
            config = self._config_for(base_id)
            if config.rate_limit_per_s and len(window) >= config.rate_limit_per_s:
                self._penalty_until[base_id] = now + config.penalty_s
                return REJECT_LIMIT
            window.append(now)
            self._max_window[base_id] = max(self._max_window.get(base_id, 0), len(window))
            return None

    def max_windows(self) -> dict[str, int]:
        with self._lock:
            return dict(self._max_window)

    def clear_stats(self) -> None:
        with self._lock:
            self._max_window.clear()

    def reset(self, *, config: bool = True) -> None:
        """Forget windows, penalties and storms (and, if ``config``, per-base settings)."""
        with self._lock:
            self._windows.clear()
            self._max_window.clear()
            self._penalty_until.clear()
            self._storm_until.clear()
            if config:
                self._overrides.clear()
                self._defaults = LimitConfig(**asdict(self._initial))

    def describe(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            return {
                "global": asdict(self._defaults),
                "bases": {base: asdict(self._config_for(base)) for base in self._overrides},
                "penalties_remaining_s": {
                    base: round(until - now, 3)
                    for base, until in self._penalty_until.items()
                    if until > now
                },
                "storms_remaining_s": {
                    base: round(until - now, 3)
                    for base, until in self._storm_until.items()
                    if until > now
                },
            }
