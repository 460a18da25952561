"""Complete translations (SPEC 10): every string the project marks for translation — in Python
and in templates — has a Dutch translation that is neither empty nor fuzzy, and the compiled
catalogue the app loads says the same as the .po file.

The strings are extracted here with Python's own parser and Django's template tokenizer, so the
test needs no GNU gettext and a newly added, untranslated string fails it even before anyone
runs ``make messages``."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DIRS = (
    "backoffice",
    "candidates",
    "config",
    "mutations",
    "regions",
    "webhooks",
    "airtable",
)
SKIP_PARTS = {"migrations", "__pycache__", "emulator"}
GETTEXT_FUNCTIONS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
_TEMPLATE_CALL = re.compile(r"\b(n?gettext)\(u'((?:[^'\\]|\\.)*)'")
NL = ROOT / "locale" / "nl" / "LC_MESSAGES"


def _project_files(pattern: str) -> Iterator[Path]:
    for directory in (*PROJECT_DIRS, "templates"):
        for path in (ROOT / directory).rglob(pattern):
            if not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                yield path


def _python_strings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in GETTEXT_FUNCTIONS:
            continue
        first = node.args[1] if name.startswith("pgettext") else node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value


def _template_strings(path: Path) -> Iterator[str]:
    for _function, literal in _TEMPLATE_CALL.findall(templatize(path.read_text(), origin=path)):
        yield ast.literal_eval(f"'{literal}'")


def project_strings() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in _project_files("*.py"):
        found.update({s: path for s in _python_strings(path)})
    for path in _project_files("*.html"):
        found.update({s: path for s in _template_strings(path)})
    found.update({s: path for path in _project_files("*.txt") for s in _template_strings(path)})
    return found


@pytest.fixture(scope="module")
def dutch() -> polib.POFile:
    return polib.pofile(str(NL / "django.po"))


def test_the_extractor_finds_strings_in_code_and_templates():
    strings = project_strings()
    assert "Pipeline board" in strings  # backoffice/board.py and the settings
    assert "Candidates per phase and region" in strings  # a {% translate %} in a template
    assert "Not a valid Dutch postcode (1234 AB)." in strings  # gettext_noop in the schema


def test_every_project_string_has_a_dutch_translation(dutch):
    translated = {
        entry.msgid
        for entry in dutch
        if entry.translated() and "fuzzy" not in entry.flags and not entry.obsolete
    }
    missing = {
        s: str(p.relative_to(ROOT)) for s, p in project_strings().items() if s not in translated
    }
    assert missing == {}, "run `make messages` and translate these in locale/nl"


def test_the_dutch_catalogue_has_no_fuzzy_or_empty_entries(dutch):
    assert [e.msgid for e in dutch if "fuzzy" in e.flags] == []
    assert dutch.untranslated_entries() == []


@pytest.mark.parametrize("catalogue", [NL, ROOT / "locale_vendor" / "nl" / "LC_MESSAGES"])
def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    compiled = {
        e.msgid: e.msgstr or e.msgstr_plural for e in polib.mofile(str(catalogue / "django.mo"))
    }
    source = {
        e.msgid: e.msgstr or {int(k): v for k, v in e.msgstr_plural.items()}
        for e in polib.pofile(str(catalogue / "django.po")).translated_entries()
    }
    stale = {k: v for k, v in source.items() if compiled.get(k) != v}
    assert stale == {}, "run `make messages` to compile locale/nl/LC_MESSAGES/django.mo"
