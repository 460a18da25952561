"""Shared checks for back-office pages in a browser: no sideways scrolling, no console errors,
nothing fetched from another host, the key columns on screen, and a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.admin.support import PASSWORD

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


_WIDEST_ELEMENTS = """() => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => !el.parentElement.closest("[data-scrolls]")
    || getComputedStyle(el).position === "absolute")
  .slice(0, 8)
  .map((el) => `${el.tagName}#${el.id}.${String(el.className).slice(0, 60)}`
    + ` ${getComputedStyle(el.parentElement).overflowX} ${el.parentElement.scrollWidth}`
    + `/${el.parentElement.clientWidth}`)"""


class Watcher:
    """Collects console errors, uncaught exceptions and requests that leave the live server."""

    def __init__(self, page: Any, origin: str) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

        def request(req: Any) -> None:
            if not req.url.startswith((origin, "data:", "blob:")):
                self.foreign.append(req.url)

        page.on("request", request)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.foreign == [], self.foreign


def open_page(browser: Any, live_server: Any, viewport: dict[str, int], locale: str = "nl-NL"):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page, Watcher(page, live_server.url)


def log_in(page: Any, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#dash-phases, .bo-dash").first).to_be_visible()


def assert_fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if width > inner:
        wide = page.evaluate(_WIDEST_ELEMENTS)
        raise AssertionError(f"{page.url}: {width}px wide in a {inner}px window: {wide}")


def assert_on_screen(page: Any, selector: str) -> None:
    """The element (a column header, or on a phone the first row's cell with its label) lies
    inside the viewport horizontally."""
    locator = page.locator(selector).first
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    inner = page.evaluate("window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner + 0.5, (
        selector,
        box,
        inner,
    )


def key_column(field: str, viewport: dict[str, int]) -> str:
    """Unfold shows a table with headers on wide screens and one card per row on phones, each
    cell labelled with its column name."""
    if viewport["width"] >= 1024:
        return f"#result_list thead th.column-{field}"
    return f"#result_list tbody td.field-{field}, #result_list tbody th.field-{field}"


def screenshot(page: Any, name: str, viewport: dict[str, int]) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{viewport['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
