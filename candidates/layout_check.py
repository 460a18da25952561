"""Compare an existing base with its layout file (``airtable_check --layout``), and add the
little the platform needs there (``airtable_bootstrap --layout``): per mapped field, found or
missing, type compatible or not, the select options the catalogue needs and the base lacks,
read-only or writable. Anything that would make a write fail or a read wrong is a blocker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airtable.layout import COMPUTED_TYPES, LINK_TYPE, SELECT_TYPES, BaseLayout, FieldLayout

from .fields import COL_MUTATION_KEY, COL_REGION
from .layout_file import LayoutConfig, MappedField

# Columns Airtable computes (never writable through the API), beyond airtable.layout's list.
READ_ONLY_TYPES = COMPUTED_TYPES | frozenset({"button", "externalSyncSource", "aiText"})
# Which base column types can hold what the platform writes for each expected type.
COMPATIBLE_TYPES: dict[str, frozenset[str]] = {
    "singleLineText": frozenset({"singleLineText", "multilineText", "richText"}),
    "multilineText": frozenset({"multilineText", "richText", "singleLineText"}),
    "email": frozenset({"email", "singleLineText"}),
    "phoneNumber": frozenset({"phoneNumber", "singleLineText"}),
    "url": frozenset({"url", "singleLineText"}),
    "number": frozenset({"number", "currency", "percent", "decimal"}),
    "singleSelect": frozenset({"singleSelect"}),
    "multipleSelects": frozenset({"multipleSelects"}),
}


@dataclass
class FieldReport:
    field: MappedField
    found: str | None = None  # the column's name in the base
    type: str | None = None
    problems: list[str] = dataclasses.field(default_factory=list)  # blockers
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def access(self) -> str:
        if self.field.ref is None:
            return "not in base"
        return "read-only" if self.field.read_only or self.type in READ_ONLY_TYPES else "writable"

    def line(self) -> str:
        state = "BLOCKER" if self.problems else "ok"
        where = f'"{self.found}" ({self.type})' if self.found else f'"{self.field.ref}" missing'
        if self.field.ref is None:
            where = "not mapped"
        text = f"{state:7} {self.field.label:32} {where}, {self.access}"
        extra = [*self.problems, *self.notes]
        return text + ("; " + "; ".join(extra) if extra else "")


@dataclass
class LayoutReport:
    tables: list[str]  # one line per table
    fields: list[FieldReport]
    blockers: list[str]  # table-level blockers

    @property
    def ok(self) -> bool:
        return not self.blockers and not any(f.problems for f in self.fields)

    def lines(self) -> list[str]:
        return [*self.tables, *self.blockers, *(f.line() for f in self.fields)]


def _by_ref(items: Sequence[Mapping[str, Any]], ref: str) -> Mapping[str, Any] | None:
    return next((i for i in items if ref in (i.get("id"), i.get("name"))), None)


def _expected(layout: BaseLayout, table: str, column: str) -> FieldLayout | None:
    expected_table = layout.table(table)
    return expected_table.field(column) if expected_table else None


def check_layout(
    config: LayoutConfig, expected: BaseLayout, schema: Sequence[Mapping[str, Any]]
) -> LayoutReport:
    tables, blockers, reports = [], [], []
    found_tables: dict[str, Mapping[str, Any]] = {}
    for logical, ref in config.tables.items():
        table = _by_ref(schema, ref)
        if table is None:
            blockers.append(f'BLOCKER table {logical}: "{ref}" is not in the base')
        else:
            found_tables[logical] = table
            tables.append(f'ok      table {logical}: "{table.get("name")}" ({table.get("id")})')
    regions_table = None
    if config.region_link is not None:
        regions_table = _by_ref(schema, config.region_link.table)
        blockers += _regions_blockers(config, regions_table)
    for mapped in config.fields:
        report = FieldReport(mapped)
        reports.append(report)
        table = found_tables.get(mapped.table)
        if table is None or mapped.ref is None:
            continue
        column = _by_ref(table.get("fields", []), mapped.ref)
        if column is None:
            report.problems.append("missing")
            continue
        report.found, report.type = column.get("name"), column.get("type")
        _check_type(report, column, _expected(expected, mapped.table, mapped.column), config)
        if mapped.column == COL_REGION and regions_table is not None:
            linked = (column.get("options") or {}).get("linkedTableId")
            if report.type == LINK_TYPE and linked != regions_table.get("id"):
                report.problems.append(f'does not link to "{regions_table.get("name")}"')
    return LayoutReport(tables=tables, fields=reports, blockers=blockers)


def _regions_blockers(config: LayoutConfig, regions_table: Mapping[str, Any] | None) -> list[str]:
    link = config.region_link
    assert link is not None
    if regions_table is None:
        return [f'BLOCKER regions table "{link.table}" is not in the base']
    code = _by_ref(regions_table.get("fields", []), link.match_column)
    if code is None:
        return [f'BLOCKER regions table: code column "{link.match_column}" is missing']
    if code.get("id") != regions_table.get("primaryFieldId"):
        return [
            f'BLOCKER regions table: code column "{code.get("name")}" must be its primary '
            "field (formulas see a linked record as its primary field)"
        ]
    return []


def _check_type(
    report: FieldReport,
    column: Mapping[str, Any],
    want: FieldLayout | None,
    config: LayoutConfig,
) -> None:
    actual = str(column.get("type"))
    mapped = report.field
    if actual in READ_ONLY_TYPES and not mapped.read_only:
        report.problems.append(
            f"Airtable computes this column ({actual}): declare it read_only = true "
            "so API writes to it are refused, or map another column"
        )
        return
    if mapped.key == "lastModified" and actual != "lastModifiedTime":
        report.problems.append(f"is {actual}; incremental sync needs a lastModifiedTime column")
        return
    if want is None or mapped.read_only:
        return
    expected_type = want.type
    if mapped.column == COL_REGION and config.region_link is not None:
        expected_type = LINK_TYPE
    elif mapped.column == COL_REGION and actual == "singleSelect":
        return  # the code as a select option: writable once staff added each region's code
    if expected_type == LINK_TYPE or expected_type in COMPUTED_TYPES:
        ok = actual == expected_type
    else:
        ok = actual in COMPATIBLE_TYPES.get(expected_type, frozenset({expected_type}))
    if not ok:
        report.problems.append(f"type {actual} cannot hold {expected_type}")
        return
    if actual in SELECT_TYPES and want.choices:
        present = {c.get("name") for c in (column.get("options") or {}).get("choices", [])}
        missing = [c for c in want.choices if c not in present]
        if missing:
            listed = ", ".join(f'"{c}"' for c in missing)
            report.problems.append(f"lacks options {listed} (add them in Airtable)")


def missing_platform_columns(
    config: LayoutConfig, schema: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """(table id, column name) of the ``API Mutation Key`` columns the base lacks: the one
    thing bootstrap adds to an adopted base (it never renames or deletes)."""
    missing = []
    for mapped in config.fields:
        if mapped.column != COL_MUTATION_KEY or mapped.ref is None:
            continue
        table = _by_ref(schema, config.tables[mapped.table])
        by_id = mapped.ref.startswith("fld")  # an id names a column that exists: not ours to add
        if table is not None and not by_id and not _by_ref(table.get("fields", []), mapped.ref):
            missing.append((str(table.get("id")), mapped.ref))
    return missing
