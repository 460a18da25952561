"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Never ``playwright install`` (it downloads a browser build); the suite uses /usr/bin/chromium,
which .ci/run and ``make test`` install with apt when it is missing. Without it these tests
are skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: apt-get install chromium chromium-driver "
            "(make test and .ci/run do this)"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test
    # makes between page steps are still ordinary synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
        # While Playwright's loop runs, Django keeps this thread's connections in a separate
        # (async-context) store; close them here or they outlive the test database.
        connections.close_all()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Any]:
    """A page in a fresh context (own cookies) with the browser asking for ``locale``."""
    contexts = []

    def open_page(locale: str = "nl-NL") -> Any:
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": 1440, "height": 1000}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
