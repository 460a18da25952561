"""The layout file of an existing base (SPEC 11, docs/airtable.md "Connecting your existing
base"): where each field of the catalogue, each custom field and the system columns live.

One resolved object, :class:`LayoutConfig`, is read by everything that names a column: the
gateway translates through :meth:`LayoutConfig.mapping` (so the mapping, the engine's
operations and the sync keep speaking the default layout's names), validation refuses writes to
:meth:`LayoutConfig.read_only_fields`, and ``airtable_check``/``airtable_bootstrap`` compare
:attr:`LayoutConfig.fields` with the base. Without a file nothing here is used.

Format (TOML, or the same structure in JSON)::

    [regions]
    storage = "link"            # "text" (default: the code in a text column) or "link"
    table = "Regio's"           # link: the regions table (name or tbl… id)
    code_column = "Code"        # link: its column holding the region code (primary field)

    [candidates]
    table = "Aanmeldingen"      # name or tbl… id; default "Kandidaten"

    [candidates.fields]         # API name (or region/lastModified/mutationKey) = column
    email = "E-mailadres"                       # by name
    phone = { id = "fldAbCdEfGhIjKlMn" }        # by field id: survives a rename
    city = { name = "Woonplaats", read_only = true }   # a formula/lookup: never written
    exitReason = false                          # not in this base: never written

    [candidates.custom_fields]  # a custom field's airtableColumn = column in the base
    "Voorkeur vak" = "Vak"

    [interactions]
    table = "Contactmomenten"
    [interactions.fields]
    candidate = "Kandidaat"

Fields the file does not name keep their default column name.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from airtable.mapped import BaseMapping, LinkedValue, TableMapping

from .fields import CANDIDATES_TABLE, COL_REGION
from .tables import TABLES

STORAGE_TEXT = "text"
STORAGE_LINK = "link"
SECTION_TABLES = {spec.section: spec.name for spec in TABLES}
# Keys whose column the platform must be able to write, whatever the file says: the region,
# the mutation key, and the links to a parent record.
WRITTEN_BY_THE_ENGINE = frozenset(
    {"region", "mutationKey", *(link.key for spec in TABLES for link in spec.links)}
)
# Keys that must be in the base: the columns the mirror reads (an interaction's region comes
# from its candidate).
REQUIRED_KEYS = {spec.name: spec.required_keys for spec in TABLES}
# Keys that are read-only by nature (Airtable computes them).
COMPUTED_KEYS = frozenset({"lastModified"})

DEFAULT_COLUMNS: dict[str, dict[str, str]] = {spec.name: spec.default_columns for spec in TABLES}


class LayoutFileError(ValueError):
    """The layout file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class MappedField:
    table: str  # logical table: "Kandidaten" or "Interacties"
    key: str  # API name, system key, or "custom:<airtableColumn>"
    column: str  # the default layout's column name (what the code speaks)
    ref: str | None  # name or fld… id in the base; None: not in this base
    read_only: bool = False

    @property
    def label(self) -> str:
        return f"{self.table}.{self.key}"


@dataclass(frozen=True)
class LayoutConfig:
    path: str
    tables: dict[str, str]  # logical table → name or id in the base
    fields: tuple[MappedField, ...]
    region_link: LinkedValue | None

    def mapping(self) -> BaseMapping:
        tables = {}
        for logical, ref in self.tables.items():
            columns = {
                f.column: f.ref or ""
                for f in self.fields
                if f.table == logical and f.ref != f.column
            }
            links = {COL_REGION: self.region_link} if self.region_link is not None else {}
            tables[logical] = TableMapping(ref=ref, columns=columns, links=links)
        return BaseMapping(tables=tables)

    def field(self, table: str, key: str) -> MappedField | None:
        return next((f for f in self.fields if f.table == table and f.key == key), None)

    def read_only_fields(self, table: str = CANDIDATES_TABLE) -> dict[str, str]:
        """API name (or ``customFields.<column>``) → why an API write to it is refused."""
        refused = {}
        for f in self.fields:
            if f.table != table or not (f.read_only or f.ref is None):
                continue
            why = "is not in this base" if f.ref is None else f'is read-only ("{f.ref}")'
            refused[f.key] = why
        return refused


def _field_entry(source: str, table: str, key: str, column: str, raw: Any) -> MappedField:
    where = f"{source}: {table} field {key!r}"
    if raw is False:
        if key in REQUIRED_KEYS[table]:
            raise LayoutFileError(f"{where}: the platform needs this column; it cannot be false")
        return MappedField(table, key, column, None)
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        raise LayoutFileError(f'{where}: expected a column name, {{ id = "fld…" }} or false')
    unknown = set(raw) - {"name", "id", "read_only"}
    if unknown:
        raise LayoutFileError(f"{where}: unknown option(s) {sorted(unknown)}")
    ref = raw.get("id") or raw.get("name")
    if not isinstance(ref, str) or not ref.strip():
        raise LayoutFileError(f"{where}: give the column's name or id")
    read_only = bool(raw.get("read_only", False)) or key in COMPUTED_KEYS
    if read_only and key in WRITTEN_BY_THE_ENGINE:
        raise LayoutFileError(f"{where}: the engine writes this column; it cannot be read-only")
    return MappedField(table, key, column, ref.strip(), read_only)


def _section_fields(source: str, table: str, section: dict[str, Any]) -> list[MappedField]:
    defaults = DEFAULT_COLUMNS[table]
    given = section.get("fields") or {}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults))
        raise LayoutFileError(f"{source}: unknown {table} field(s) {unknown}; known: {known}")
    fields = [
        _field_entry(source, table, key, column, given[key])
        if key in given
        else MappedField(table, key, column, column, key in COMPUTED_KEYS)
        for key, column in defaults.items()
    ]
    for column, raw in (section.get("custom_fields") or {}).items():
        fields.append(_field_entry(source, table, f"custom:{column}", column, raw))
    return fields


def parse_layout(data: dict[str, Any], *, source: str) -> LayoutConfig:
    unknown = sorted(set(data) - {"regions", *SECTION_TABLES})
    if unknown:
        raise LayoutFileError(f"{source}: unknown section(s) {unknown}")
    tables: dict[str, str] = {}
    fields: list[MappedField] = []
    for section_name, logical in SECTION_TABLES.items():
        section = data.get(section_name) or {}
        if not isinstance(section, dict):
            raise LayoutFileError(f"{source}: [{section_name}] must be a table")
        tables[logical] = str(section.get("table") or logical)
        fields += _section_fields(source, logical, section)
    regions = data.get("regions") or {}
    storage = regions.get("storage", STORAGE_TEXT)
    link = None
    if storage == STORAGE_LINK:
        if not regions.get("table") or not regions.get("code_column"):
            raise LayoutFileError(f'{source}: storage = "link" needs table and code_column')
        link = LinkedValue(table=str(regions["table"]), match_column=str(regions["code_column"]))
    elif storage != STORAGE_TEXT:
        raise LayoutFileError(f'{source}: [regions] storage must be "text" or "link"')
    return LayoutConfig(path=source, tables=tables, fields=tuple(fields), region_link=link)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> LayoutConfig:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise LayoutFileError(f"{path}: cannot be parsed: {exc}") from exc
    if not isinstance(data, dict):
        raise LayoutFileError(f"{path}: the top level must be a table/object")
    return parse_layout(data, source=path)


def load_layout(path: str) -> LayoutConfig:
    """The layout in ``path`` (re-read when the file changes)."""
    try:
        mtime_ns = Path(path).stat().st_mtime_ns
    except OSError as exc:
        raise LayoutFileError(f"AIRTABLE_LAYOUT_FILE {path!r} cannot be read: {exc}") from exc
    return _load(path, mtime_ns)


def configured_layout() -> LayoutConfig | None:
    """The layout of ``AIRTABLE_LAYOUT_FILE``, or None for the default layout."""
    path = settings.AIRTABLE_LAYOUT_FILE
    return load_layout(path) if path else None


def mapping_for_file(path: str) -> BaseMapping:
    return load_layout(path).mapping()
