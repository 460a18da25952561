"""The expected shape of an Airtable base, how a real base drifts from it, and bootstrapping.

Domain-free: the concrete layout is built elsewhere (``candidates/airtable_layout.py``) and
handed in. Drift is computed from the raw schema ``AirtableGateway.schema()`` returns.

What Airtable's metadata API can and cannot do decides what bootstrap fixes: it can create
tables and fields, but it cannot change a field's type, add choices to an existing select
field (field updates take only name and description) or change a table's primary field.
Those drifts are reported for a human to fix in Airtable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import HTTP_NOT_FOUND, KIND_PERMANENT, AirtableError

HTTP_FORBIDDEN = 403

SELECT_TYPES = frozenset({"singleSelect", "multipleSelects"})
LINK_TYPE = "multipleRecordLinks"
# Values Airtable computes itself. Airtable documents these as not creatable through the
# API in places; bootstrap tries each one separately so a refusal costs only that column.
COMPUTED_TYPES = frozenset(
    {
        "createdTime",
        "lastModifiedTime",
        "autoNumber",
        "formula",
        "rollup",
        "count",
        "multipleLookupValues",
        "createdBy",
        "lastModifiedBy",
    }
)
# Options Airtable requires when these types are created through the metadata API.
CREATE_OPTIONS: dict[str, dict[str, Any]] = {
    "checkbox": {"icon": "check", "color": "greenBright"},
    "number": {"precision": 0},
    "date": {"dateFormat": {"name": "iso"}},
    "dateTime": {
        "dateFormat": {"name": "iso"},
        "timeFormat": {"name": "24hour"},
        "timeZone": "utc",
    },
}

DRIFT_MISSING_TABLE = "missing_table"
DRIFT_MISSING_FIELD = "missing_field"
DRIFT_WRONG_TYPE = "wrong_type"
DRIFT_MISSING_CHOICES = "missing_choices"
DRIFT_WRONG_LINK = "wrong_link"
DRIFT_WRONG_PRIMARY = "wrong_primary"


@dataclass(frozen=True)
class FieldLayout:
    name: str  # the column name, exactly as in Airtable
    type: str  # Airtable field type, e.g. "singleLineText"
    options: dict[str, Any] | None = None  # extra create options, merged over CREATE_OPTIONS
    choices: tuple[str, ...] = ()  # select types: options that must exist (others may too)
    linked_table: str | None = None  # multipleRecordLinks: the linked table's name
    description: str | None = None

    def __post_init__(self) -> None:
        if self.choices and self.type not in SELECT_TYPES:
            raise ValueError(f"{self.name}: only select fields have choices")
        if (self.type == LINK_TYPE) != (self.linked_table is not None):
            raise ValueError(f"{self.name}: link fields, and only they, need linked_table")

    def create_spec(self, table_ids: Mapping[str, str]) -> dict[str, Any]:
        """The metadata-API field definition; ``table_ids`` maps table names to ids."""
        options = {**CREATE_OPTIONS.get(self.type, {}), **(self.options or {})}
        if self.type in SELECT_TYPES:
            options["choices"] = [{"name": choice} for choice in self.choices]
        if self.linked_table is not None:
            options["linkedTableId"] = table_ids[self.linked_table]
        spec: dict[str, Any] = {"name": self.name, "type": self.type}
        if options:
            spec["options"] = options
        if self.description:
            spec["description"] = self.description
        return spec


@dataclass(frozen=True)
class TableLayout:
    name: str
    fields: tuple[FieldLayout, ...]
    primary_field: str
    description: str | None = None

    def __post_init__(self) -> None:
        names = [f.name.casefold() for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: column names must be unique (case-insensitively)")
        primary = self.field(self.primary_field)
        if primary is None or primary.type == LINK_TYPE or primary.type in COMPUTED_TYPES:
            raise ValueError(
                f"{self.name}: primary field {self.primary_field!r} must be one "
                f"of its own non-link, non-computed fields"
            )

    def field(self, name: str) -> FieldLayout | None:
        return next((f for f in self.fields if f.name == name), None)

    def fields_primary_first(self) -> list[FieldLayout]:
        # Airtable makes the first field of a create-table request the primary field.
        return sorted(self.fields, key=lambda f: f.name != self.primary_field)


@dataclass(frozen=True)
class BaseLayout:
    tables: tuple[TableLayout, ...]

    def __post_init__(self) -> None:
        names = {t.name for t in self.tables}
        if len(names) != len(self.tables):
            raise ValueError("table names must be unique")
        for table in self.tables:
            for fld in table.fields:
                if fld.linked_table is not None and fld.linked_table not in names:
                    raise ValueError(
                        f"{table.name}.{fld.name} links to unknown table {fld.linked_table!r}"
                    )

    def table(self, name: str) -> TableLayout | None:
        return next((t for t in self.tables if t.name == name), None)


@dataclass(frozen=True)
class Drift:
    kind: str
    table: str
    field: str | None
    message: str  # one line naming the table and the column
    fixable: bool  # whether layout_bootstrap can repair it

    def __str__(self) -> str:
        return self.message


def layout_drift(layout: BaseLayout, schema: Sequence[Mapping[str, Any]]) -> list[Drift]:
    """Every way ``schema`` (raw metadata-API tables) falls short of ``layout``.

    Extra tables, columns and select options are fine: staff may add their own.
    """
    tables = {t.get("name"): t for t in schema}
    table_names_by_id = {t.get("id"): t.get("name") for t in schema}
    drift: list[Drift] = []
    for expected in layout.tables:
        actual = tables.get(expected.name)
        if actual is None:
            drift.append(
                Drift(
                    DRIFT_MISSING_TABLE,
                    expected.name,
                    None,
                    f'Table "{expected.name}" is missing',
                    fixable=True,
                )
            )
            continue
        fields = {f.get("name"): f for f in actual.get("fields", [])}
        primary = next(
            (
                f.get("name")
                for f in actual.get("fields", [])
                if f.get("id") == actual.get("primaryFieldId")
            ),
            None,
        )
        if primary is not None and primary != expected.primary_field:
            drift.append(
                Drift(
                    DRIFT_WRONG_PRIMARY,
                    expected.name,
                    expected.primary_field,
                    f'{expected.name}: primary field is "{primary}", expected '
                    f'"{expected.primary_field}"',
                    fixable=False,
                )
            )
        for want in expected.fields:
            drift.extend(
                _field_drift(expected.name, want, fields.get(want.name), fields, table_names_by_id)
            )
    return drift


def _field_drift(
    table: str,
    want: FieldLayout,
    have: Mapping[str, Any] | None,
    fields: Mapping[str, Mapping[str, Any]],
    table_names_by_id: Mapping[str | None, str | None],
) -> list[Drift]:
    if have is None:
        near = next(
            (
                name
                for name in fields
                if isinstance(name, str) and name.casefold() == want.name.casefold()
            ),
            None,
        )
        if near is not None:
            return [
                Drift(
                    DRIFT_MISSING_FIELD,
                    table,
                    want.name,
                    f'{table}: column "{want.name}" is missing (found "{near}"; names '
                    f"must match exactly)",
                    fixable=False,
                )
            ]
        return [
            Drift(
                DRIFT_MISSING_FIELD,
                table,
                want.name,
                f'{table}: column "{want.name}" ({want.type}) is missing',
                fixable=True,
            )
        ]
    if have.get("type") != want.type:
        return [
            Drift(
                DRIFT_WRONG_TYPE,
                table,
                want.name,
                f'{table}: column "{want.name}" is {have.get("type")}, expected {want.type}',
                fixable=False,
            )
        ]
    options = have.get("options") or {}
    if want.type in SELECT_TYPES:
        present = {c.get("name") for c in options.get("choices", []) if isinstance(c, dict)}
        missing = [c for c in want.choices if c not in present]
        if missing:
            listed = ", ".join(f'"{c}"' for c in missing)
            return [
                Drift(
                    DRIFT_MISSING_CHOICES,
                    table,
                    want.name,
                    f'{table}: column "{want.name}" lacks select options {listed}',
                    fixable=False,
                )
            ]
    if want.linked_table is not None:
        linked = table_names_by_id.get(options.get("linkedTableId"))
        if linked != want.linked_table:
            return [
                Drift(
                    DRIFT_WRONG_LINK,
                    table,
                    want.name,
                    f'{table}: column "{want.name}" links to "{linked}", expected '
                    f'"{want.linked_table}"',
                    fixable=False,
                )
            ]
    return []


# ---------------------------------------------------------------------- bootstrap


class MetadataGateway(Protocol):
    def schema(self) -> list[dict[str, Any]]: ...

    def create_table(
        self, name: str, fields: Sequence[Mapping[str, Any]], description: str | None = None
    ) -> dict[str, Any]: ...

    def create_field(
        self,
        table_id: str,
        name: str,
        field_type: str,
        options: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass
class BootstrapSummary:
    created_tables: list[str] = field(default_factory=list)
    created_fields: list[str] = field(default_factory=list)  # "Table.Column"
    failed: list[str] = field(default_factory=list)  # columns Airtable refused to create
    remaining: list[Drift] = field(default_factory=list)  # drift left for a human

    @property
    def complete(self) -> bool:
        return not self.failed and not self.remaining


class _Pacer:
    """Spaces metadata requests so a bootstrap stays under the base's rate limit."""

    def __init__(self, min_interval_s: float, sleep: Callable[[float], None]) -> None:
        self._min_interval_s = min_interval_s
        self._sleep = sleep
        self._last: float | None = None

    def __call__(self) -> None:
        now = time.monotonic()
        if self._last is not None and self._min_interval_s > 0:
            wait = self._last + self._min_interval_s - now
            if wait > 0:
                self._sleep(wait)
        self._last = time.monotonic()


def layout_bootstrap(
    gateway: MetadataGateway,
    layout: BaseLayout,
    *,
    min_interval_s: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> BootstrapSummary:
    """Create the tables and columns of ``layout`` that the base lacks. Idempotent.

    A failed table creation raises :class:`AirtableError` (nothing else can proceed
    sensibly); a column Airtable refuses to create is recorded in ``failed`` and the rest
    continues. The summary ends with the drift still present after the run.
    """
    pace = _Pacer(min_interval_s, sleep)
    summary = BootstrapSummary()
    pace()
    tables = {t["name"]: t for t in _schema_or_empty(gateway)}
    for expected in layout.tables:
        if expected.name in tables:
            continue
        table_ids = {name: t["id"] for name, t in tables.items()}
        specs = [f.create_spec(table_ids) for f in _create_table_fields(expected, table_ids)]
        pace()
        created = gateway.create_table(expected.name, specs, description=expected.description)
        tables[expected.name] = {**created, "fields": list(created.get("fields", []))}
        summary.created_tables.append(expected.name)
    for expected in layout.tables:
        table = tables[expected.name]
        present = {f.get("name") for f in table["fields"]}
        table_ids = {name: t["id"] for name, t in tables.items()}
        for want in expected.fields:
            if want.name in present:
                continue
            spec = want.create_spec(table_ids)
            pace()
            try:
                created = gateway.create_field(
                    table["id"],
                    spec["name"],
                    spec["type"],
                    options=spec.get("options"),
                    description=spec.get("description"),
                )
            except AirtableError as exc:
                if exc.kind != KIND_PERMANENT:
                    raise
                summary.failed.append(
                    f'{expected.name}: column "{want.name}" ({want.type}) '
                    f"could not be created: {exc.error_type}: {exc.message}"
                )
                continue
            table["fields"].append(created)
            present.add(want.name)
            summary.created_fields.append(f"{expected.name}.{want.name}")
    pace()
    summary.remaining = layout_drift(layout, gateway.schema())
    return summary


def _create_table_fields(expected: TableLayout, table_ids: Mapping[str, str]) -> list[FieldLayout]:
    """The fields sent with the create-table request. The others are added one by one after
    it: computed fields (so a refusal costs only that column) and links to tables not made
    yet."""
    return [
        fld
        for fld in expected.fields_primary_first()
        if fld.type not in COMPUTED_TYPES
        and (fld.linked_table is None or fld.linked_table in table_ids)
    ]


def _schema_or_empty(gateway: MetadataGateway) -> list[dict[str, Any]]:
    try:
        return gateway.schema()
    except AirtableError as exc:
        # Airtable answers 403/404 alike for an unknown base and for a token without access.
        # The local emulator creates a base on its first table, so carry on with an empty
        # schema; on real Airtable the create-table request then fails with the same error.
        if exc.status in (HTTP_FORBIDDEN, HTTP_NOT_FOUND):
            return []
        raise
