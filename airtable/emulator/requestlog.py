"""Request log with exact per-base counters and a bounded list of raw entries."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_LOG_ENTRIES = 100_000  # raw entries kept; counters stay exact beyond this
NO_BASE = "-"  # key for requests not aimed at one base (e.g. GET /v0/meta/bases)

KIND_READ = "read"
KIND_WRITE = "write"
KIND_META = "meta"

FAULT_RATE_LIMIT = "rate_limit"
FAULT_PENALTY = "penalty"
FAULT_STORM = "storm"
FAULT_ERROR = "error"
FAULT_TIMEOUT = "timeout"
RATE_LIMIT_FAULTS = frozenset({FAULT_RATE_LIMIT, FAULT_PENALTY, FAULT_STORM})


@dataclass
class LogEntry:
    ts: float  # wall-clock seconds since the epoch
    base: str
    method: str
    path: str
    kind: str
    status: int
    record_count: int
    fault: str | None = None


@dataclass
class _Counters:
    total_requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    rate_limited_429: int = 0
    injected_5xx: int = 0
    injected_timeouts: int = 0
    records_written: int = 0
    max_batch_size: int = 0

    def add(self, entry: LogEntry) -> None:
        self.total_requests += 1
        self.by_method[entry.method] += 1
        self.by_kind[entry.kind] += 1
        self.by_status[str(entry.status)] += 1
        if entry.status == 429:
            self.rate_limited_429 += 1
        if entry.fault == FAULT_ERROR:
            self.injected_5xx += 1
        if entry.fault == FAULT_TIMEOUT:
            self.injected_timeouts += 1
        if entry.kind == KIND_WRITE and entry.status < 300:
            self.records_written += entry.record_count
            self.max_batch_size = max(self.max_batch_size, entry.record_count)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("by_method", "by_kind", "by_status"):
            data[key] = dict(getattr(self, key))
        return data

    def merge(self, other: _Counters) -> None:
        for key in (
            "total_requests",
            "rate_limited_429",
            "injected_5xx",
            "injected_timeouts",
            "records_written",
        ):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.max_batch_size = max(self.max_batch_size, other.max_batch_size)
        self.by_method.update(other.by_method)
        self.by_kind.update(other.by_kind)
        self.by_status.update(other.by_status)


class RequestLog:
    def __init__(self, max_entries: int = MAX_LOG_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=max_entries)
        self._counters: dict[str, _Counters] = {}

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self._counters.setdefault(entry.base, _Counters()).add(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counters.clear()

    def entries(self, base_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            selected = [asdict(e) for e in self._entries if base_id in (None, e.base)]
        return selected[-limit:] if limit else selected

    def summary(self, max_windows: dict[str, int]) -> dict[str, Any]:
        """Counters per base and in total; ``max_windows`` comes from the rate limiter."""
        with self._lock:
            per_base = {base: counters.as_dict() for base, counters in self._counters.items()}
            totals = _Counters()
            for counters in self._counters.values():
                totals.merge(counters)
            entry_count = len(self._entries)
        for base, data in per_base.items():
            data["max_requests_in_any_1s_window"] = max_windows.get(base, 0)
        total_data = totals.as_dict()
        total_data["max_requests_in_any_1s_window"] = max(max_windows.values(), default=0)
        return {"bases": per_base, "totals": total_data, "entries_kept": entry_count}
