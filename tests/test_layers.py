"""STYLE.md layout: ``config`` imports no app; the back office that spans them all lives in
``backoffice``, and no app imports it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = {"regions", "candidates", "mutations", "webhooks", "airtable", "backoffice"}


def _imported_top_levels(directory: str) -> Iterator[tuple[str, str]]:
    for path in (ROOT / directory).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name.split(".")[0]


def test_config_imports_no_app():
    imports = set(_imported_top_levels("config"))
    assert {(path, name) for path, name in imports if name in APPS} == set()


def test_no_app_imports_the_back_office():
    offenders = [
        (path, name)
        for app in APPS - {"backoffice"}
        for path, name in _imported_top_levels(app)
        if name == "backoffice"
    ]
    assert offenders == []


MAX_MODULE_LINES = 500


def test_no_application_module_is_over_500_lines():
    """docs/architecture.md: a module that grows past ~500 lines is split by concern (the
    emulator, a stand-alone program, and migrations are exempt)."""
    too_long = {
        str(path.relative_to(ROOT)): lines
        for app in APPS | {"config"}
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "emulator" not in path.parts
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
