"""Webhook tests: the receiver and the enqueue recorder are shared (tests/fixtures/webhooks.py);
here every test records enqueues, and callbacks may go to private hosts on request."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _record_enqueues(enqueued) -> None:
    """No webhook test publishes to the broker: tests send with ``delivery_send_due`` /
    ``delivery_attempt`` explicitly and read ``enqueued`` for what was queued."""


@pytest.fixture
def private_hosts(settings) -> None:
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = True
