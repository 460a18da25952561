"""A local, stdlib-only emulator of the Airtable Web API for development and tests.

See ``docs/airtable-emulator.md``. Typical use::

    from airtable.emulator import EmulatorServer

    srv = EmulatorServer(port=0, token="test-token", rate_limit_per_s=0).start()
    ...  # point pyairtable at srv.url
    srv.stop()
"""

from __future__ import annotations

from .faults import DEFAULT_TIMEOUT_S
from .ratelimit import DEFAULT_RATE_LIMIT_PER_S, RATE_LIMIT_PENALTY_S
from .server import EmulatorServer
from .store import MAX_PAGE_SIZE, MAX_RECORDS_PER_WRITE, MAX_UPLOAD_BYTES, Store

__all__ = [
    "DEFAULT_RATE_LIMIT_PER_S",
    "DEFAULT_TIMEOUT_S",
    "MAX_PAGE_SIZE",
    "MAX_RECORDS_PER_WRITE",
    "MAX_UPLOAD_BYTES",
    "RATE_LIMIT_PENALTY_S",
    "EmulatorServer",
    "Store",
]
