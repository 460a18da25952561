"""The Airtable base this system expects (SPEC 4.1, 4.2, 4.4, 11), built from the table specs
(``candidates.tables``: each table's catalogue, links and primary field) and the regions'
custom fields.

A primary field must be a plain text column. ``Interacties`` uses ``Onderwerp`` (subject),
which is optional in the API, so the primary cell may be empty, which Airtable allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airtable.layout import SELECT_TYPES, BaseLayout, FieldLayout, TableLayout
from regions.models import CustomField

from .fields import (
    AIRTABLE_TYPE,
    COL_LAST_MODIFIED,
    COL_MUTATION_KEY,
    COL_REGION,
    CUSTOM_FIELD_KINDS,
    FieldSpec,
    Kind,
)
from .tables import TABLES, TableSpec

DISPLAY_TIME_ZONE = "Europe/Amsterdam"  # how staff see datetimes; the API always speaks UTC
DECIMAL_PRECISION = 8  # Airtable's maximum: "number" custom fields may carry decimals

# Extra create options per kind, on top of Airtable's required defaults (airtable.layout).
_KIND_OPTIONS: dict[Kind, dict[str, Any]] = {
    Kind.NUMBER: {"precision": DECIMAL_PRECISION},
    Kind.DATETIME: {"timeZone": DISPLAY_TIME_ZONE},
}


class LayoutConflictError(ValueError):
    """Two definitions claim the same Airtable column with different types."""


def build_base_layout() -> BaseLayout:
    """The expected layout of every base (production and sandbox share it). Reads the
    custom-field definitions of all regions, so it needs the database."""
    system_fields = (
        FieldLayout(COL_REGION, "singleLineText", description="Region code (set by the API)."),
        FieldLayout(COL_LAST_MODIFIED, "lastModifiedTime", description="Drives incremental sync."),
        FieldLayout(
            COL_MUTATION_KEY,
            "singleLineText",
            description="<mutationId>:<index> of the API write that created the row.",
        ),
    )
    custom = _custom_fields()
    return BaseLayout(tables=tuple(_table(spec, system_fields, custom) for spec in TABLES))


def _table(
    spec: TableSpec,
    system_fields: tuple[FieldLayout, ...],
    custom: list[tuple[str, FieldLayout]],
) -> TableLayout:
    shared = [
        *(_from_spec(field) for field in spec.fields),
        *(
            FieldLayout(link.column, "multipleRecordLinks", linked_table=link.table)
            for link in spec.links
        ),
        *system_fields,
    ]
    fields = _merged(spec.name, shared, custom if spec.custom_fields else [])
    return TableLayout(spec.name, fields, primary_field=spec.primary_field)


def _from_spec(spec: FieldSpec) -> FieldLayout:
    return _field(spec.column, spec.kind, spec.options, description=spec.description or None)


def _field(
    column: str, kind: Kind, choices: Iterable[str], *, description: str | None = None
) -> FieldLayout:
    airtable_type = AIRTABLE_TYPE[kind]
    return FieldLayout(
        column,
        airtable_type,
        options=_KIND_OPTIONS.get(kind),
        choices=tuple(choices) if airtable_type in SELECT_TYPES else (),
        description=description,
    )


def _custom_fields() -> list[tuple[str, FieldLayout]]:
    """(owner, layout) for every region's custom field; the owner names it in conflicts."""
    definitions = CustomField.objects.select_related("region").order_by(
        "region__code", "position", "key"
    )
    return [
        (
            f"custom field {d.region.code}.{d.key}",
            _field(
                d.airtable_column,
                CUSTOM_FIELD_KINDS[d.type],
                d.options or (),
                description=d.description or None,
            ),
        )
        for d in definitions
    ]


def _merged(
    table: str, shared: list[FieldLayout], custom: list[tuple[str, FieldLayout]]
) -> tuple[FieldLayout, ...]:
    """Shared columns plus custom ones. Regions may share a custom column: one column with the
    union of their choices. A clash of types cannot be expressed in one base, so it is an
    error for staff to resolve in the admin."""
    # Airtable column names are unique case-insensitively.
    by_column: dict[str, FieldLayout] = {f.name.casefold(): f for f in shared}
    owners: dict[str, str] = {f.name.casefold(): f"the {table} field" for f in shared}
    for owner, fld in custom:
        key = fld.name.casefold()
        existing = by_column.get(key)
        if existing is None:
            by_column[key], owners[key] = fld, owner
        elif existing.type != fld.type or existing.name != fld.name:
            raise LayoutConflictError(
                f'{table}: column "{existing.name}" ({existing.type}) of {owners[key]} clashes '
                f'with "{fld.name}" ({fld.type}) of {owner}'
            )
        else:
            choices = existing.choices + tuple(c for c in fld.choices if c not in existing.choices)
            by_column[key] = FieldLayout(
                existing.name,
                existing.type,
                existing.options,
                choices,
                existing.linked_table,
                existing.description,
            )
    return tuple(by_column.values())
