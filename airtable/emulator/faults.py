"""Fault injection: latency, random 5xx, and "write applied but response lost" timeouts."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

DEFAULT_ERROR_STATUSES = (500, 502, 503)
DEFAULT_TIMEOUT_S = 30.0  # long enough for any sane client read timeout to expire first
TIMEOUT_MODE_DELAY = "delay"  # hold the response for timeout_s, then send it
TIMEOUT_MODE_CLOSE = "close"  # drop the connection without any response
TIMEOUT_MODES = (TIMEOUT_MODE_DELAY, TIMEOUT_MODE_CLOSE)
GLOBAL = "*"


@dataclass
class FaultSettings:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = DEFAULT_ERROR_STATUSES
    timeout_after_write_rate: float = 0.0
    timeout_s: float = DEFAULT_TIMEOUT_S
    timeout_mode: str = TIMEOUT_MODE_DELAY
    seed: int | None = None


FAULT_KEYS = frozenset(f.name for f in fields(FaultSettings))


def _validated(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - FAULT_KEYS
    if unknown:
        raise ValueError(f"unknown fault settings: {sorted(unknown)}")
    clean = dict(changes)
    for key in ("error_rate", "timeout_after_write_rate"):
        if key in clean:
            clean[key] = float(clean[key])
            if not 0.0 <= clean[key] <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1")
    for key in ("latency_ms", "timeout_s"):
        if key in clean:
            clean[key] = float(clean[key])
            if clean[key] < 0:
                raise ValueError(f"{key} must be >= 0")
    if "error_statuses" in clean:
        statuses = tuple(int(status) for status in clean["error_statuses"])
        if not statuses or not all(500 <= status <= 599 for status in statuses):
            raise ValueError("error_statuses must be a non-empty list of 5xx codes")
        clean["error_statuses"] = statuses
    if "timeout_mode" in clean and clean["timeout_mode"] not in TIMEOUT_MODES:
        raise ValueError(f"timeout_mode must be one of {TIMEOUT_MODES}")
    if clean.get("seed") is not None:
        clean["seed"] = int(clean["seed"])
    return clean


class FaultInjector:
    """Fault settings per base (or global ``*``); base settings override global ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, dict[str, Any]] = {}
        self._rngs: dict[str, random.Random] = {}

    def set(self, base_id: str | None = None, **changes: Any) -> dict[str, Any]:
        clean = _validated(changes)
        key = base_id or GLOBAL
        with self._lock:
            self._settings.setdefault(key, {}).update(clean)
            # A seed makes the sequence of injected faults reproducible.
            self._rngs[key] = random.Random(self._settings[key].get("seed"))
        return self.describe()

    def clear(self, base_id: str | None = None) -> None:
        with self._lock:
            if base_id is None:
                self._settings.clear()
                self._rngs.clear()
            else:
                self._settings.pop(base_id, None)
                self._rngs.pop(base_id, None)

    def effective(self, base_id: str | None) -> FaultSettings:
        with self._lock:
            merged = {**self._settings.get(GLOBAL, {}), **self._settings.get(base_id or "", {})}
        return FaultSettings(**merged)

    def roll(self, base_id: str | None, probability: float) -> bool:
        """True with the given probability, drawn from the base's (or global) generator."""
        if probability <= 0:
            return False
        with self._lock:
            rng = self._rng_for(base_id)
            return rng.random() < probability

    def choose_status(self, base_id: str | None, statuses: tuple[int, ...]) -> int:
        with self._lock:
            return self._rng_for(base_id).choice(statuses)

    def _rng_for(self, base_id: str | None) -> random.Random:
        key = base_id if base_id in self._settings else GLOBAL
        return self._rngs.setdefault(key, random.Random())

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                key: {**asdict(FaultSettings()), **values} for key, values in self._settings.items()
            }
