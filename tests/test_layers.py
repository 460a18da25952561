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
