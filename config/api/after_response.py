"""Work a request must do, but not before its response is on the wire.

Django sends ``request_finished`` when the server closes the response, after the body was
written. Callbacks queued with :func:`run_after_response` run then, in the same thread and
with the same database connection, so they still happen for every request (they are not a
queue that could lose them) without adding to the latency the caller sees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog
from django.core.signals import request_finished

logger = structlog.get_logger(__name__)
_local = threading.local()


def run_after_response(callback: Callable[[], None]) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = []
    pending.append(callback)


def _run_pending(**kwargs: Any) -> None:
    pending, _local.pending = getattr(_local, "pending", None) or [], []
    for callback in pending:
        try:
            callback()
        except Exception:  # the response is gone; log instead of failing the server loop
            logger.exception("after_response.failed")


request_finished.connect(_run_pending, dispatch_uid="config.api.after_response")
