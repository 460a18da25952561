"""Persist the store to a JSON file: debounced, atomic (temp file + ``os.replace``)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .store import Store

# Writes within this many seconds are coalesced into one file write.
SAVE_DEBOUNCE_S = 0.2


class Persister:
    def __init__(
        self, path: str | os.PathLike[str], store: Store, debounce_s: float = SAVE_DEBOUNCE_S
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.debounce_s = debounce_s
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._saved_revision = -1
        self._thread: threading.Thread | None = None

    def load(self) -> bool:
        """Load existing state; returns False when there is no data file yet."""
        if not self.path.exists():
            return False
        with self.path.open(encoding="utf-8") as handle:
            self.store.load_state(json.load(handle))
        self._saved_revision = self.store.revision
        return True

    def start(self) -> None:
        self.store.on_change = self._dirty.set
        self._thread = threading.Thread(
            target=self._run, name="airtable-emulator-persist", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            # Debounce: let a burst of writes settle, then save once.
            self._stopping.wait(self.debounce_s)
            self._dirty.clear()
            self.flush()

    def flush(self) -> None:
        """Write the current state now if it changed since the last save."""
        with self._write_lock:
            with self.store.lock:
                revision = self.store.revision
                if revision == self._saved_revision:
                    return
                state = self.store.to_state()
            self._atomic_write(json.dumps(state, ensure_ascii=False, separators=(",", ":")))
            self._saved_revision = revision

    def _atomic_write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp_path = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with temp_path.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, self.path)  # atomic: readers see the old or the new file
