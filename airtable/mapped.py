"""A gateway for a base laid out differently from the default (SPEC 11, "existing bases").

Callers keep speaking *logical* names — the default layout's table and column names — and
:class:`MappedGateway` translates them on the way out (table, column names in bodies,
``fields``, ``sort``, ``performUpsert`` and ``{…}`` references in formulas) and back on the way
in (record fields keyed by logical names). A column may be given by name or by field id
(``fld…``, stable when staff rename it); ids are resolved through the metadata API once per
process (and again after an ``UNKNOWN_FIELD_NAME``), so formulas and responses, which speak
names, keep working after a rename.

A text value may be stored as a link to a record of another table instead (the region as a
link to a regions table): it is written as ``[record id]`` of the record whose match column
holds the value, read back as that value, and compared in formulas through ``ARRAYJOIN``
(which shows the linked records' primary field, so the match column must be that table's
primary field — ``airtable_check`` verifies it).

Columns of the base that no logical name maps to are never written (nothing sends them) and
never cleared (writes are PATCH, ``replace=True`` is refused). A logical column mapped to ``""``
is not in this base: it is dropped from writes.

Domain-free: the mapping is built by the app that knows the catalogue and handed in.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import KIND_PERMANENT, AirtableError
from .gateway import MAX_PAGE_SIZE, AirtableGateway, RecordPage, UpsertResult

FIELD_ID = re.compile(r"^fld[A-Za-z0-9]{14}$")
TABLE_ID = re.compile(r"^tbl[A-Za-z0-9]{14}$")
UNKNOWN_FIELD = "UNKNOWN_FIELD_NAME"
LINK_NOT_FOUND = "LINKED_VALUE_NOT_FOUND"
_FIELD_REF = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class LinkedValue:
    """A value kept as a link to the record of ``table`` whose ``match_column`` holds it."""

    table: str  # name or id of the linked table
    match_column: str  # name or id of the column holding the value (its primary field)


@dataclass(frozen=True)
class TableMapping:
    ref: str  # the table's name or id in the base
    columns: Mapping[str, str] = field(default_factory=dict)  # logical → name or field id
    links: Mapping[str, LinkedValue] = field(default_factory=dict)  # logical → link storage


@dataclass(frozen=True)
class BaseMapping:
    tables: Mapping[str, TableMapping]  # logical table name → where it lives

    def table(self, logical: str) -> TableMapping:
        return self.tables.get(logical) or TableMapping(ref=logical)


@dataclass
class _Resolved:
    table_ref: str  # what goes in URLs
    out: dict[str, str]  # logical → actual column name
    back: dict[str, str]  # actual column name → logical
    hidden: set[str]  # actual names that shadow a logical name mapped elsewhere


def _is_field_id(ref: str) -> bool:
    return FIELD_ID.match(ref) is not None


class MappedGateway(AirtableGateway):
    """An :class:`AirtableGateway` that speaks logical names over a mapped base. Each public
    method still sends one request, except that the first use (and a link value not seen
    before) may read the metadata or the linked table first."""

    def __init__(self, base_id: str, *, mapping: BaseMapping, **kwargs: Any) -> None:
        super().__init__(base_id, **kwargs)
        self.mapping = mapping
        self._lock = threading.Lock()
        self._resolved: dict[str, _Resolved] | None = None
        self._links: dict[tuple[str, str], dict[str, str]] = {}  # (table, column) → code→id

    # ------------------------------------------------------------------ resolution

    def _needs_schema(self) -> bool:
        for table in self.mapping.tables.values():
            refs = [*table.columns.values()]
            refs += [link.match_column for link in table.links.values()]
            if any(_is_field_id(ref) for ref in refs):
                return True
        return False

    def _resolve(self) -> dict[str, _Resolved]:
        with self._lock:
            if self._resolved is None:
                names = self._field_names() if self._needs_schema() else {}
                self._resolved = {
                    logical: self._resolve_table(table, names)
                    for logical, table in self.mapping.tables.items()
                }
            return self._resolved

    def _field_names(self) -> dict[str, str]:
        return {
            fld["id"]: fld["name"]
            for table in super().schema()
            for fld in table.get("fields", [])
            if isinstance(fld, dict) and "id" in fld and "name" in fld
        }

    @staticmethod
    def _resolve_table(table: TableMapping, names: Mapping[str, str]) -> _Resolved:
        out = {
            logical: names.get(ref, ref) if _is_field_id(ref) else ref
            for logical, ref in table.columns.items()
        }
        back = {actual: logical for logical, actual in out.items()}
        hidden = {logical for logical in out if logical not in back}
        return _Resolved(table_ref=table.ref, out=out, back=back, hidden=hidden)

    def _table_map(self, logical_table: str) -> _Resolved:
        resolved = self._resolve().get(logical_table)
        return resolved or _Resolved(table_ref=logical_table, out={}, back={}, hidden=set())

    def forget_resolution(self) -> None:
        """Re-read field names on next use (a column was renamed)."""
        with self._lock:
            self._resolved = None
            self._links.clear()

    # ------------------------------------------------------------------ translation

    def _column(self, table: str, logical: str) -> str:
        return self._table_map(table).out.get(logical, logical)

    def _fields_out(self, table: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        links = self.mapping.table(table).links
        translated: dict[str, Any] = {}
        for logical, value in fields.items():
            column = self._column(table, logical)
            if not column:
                continue  # not in this base (validation refuses API writes to it)
            link = links.get(logical)
            if link is not None:
                value = self._link_value_out(link, value)
            translated[column] = value
        return translated

    def _record_in(self, table: str, record: dict[str, Any]) -> dict[str, Any]:
        resolved = self._table_map(table)
        links = self.mapping.table(table).links
        fields: dict[str, Any] = {}
        for actual, value in (record.get("fields") or {}).items():
            logical = resolved.back.get(actual)
            if logical is None:
                if actual in resolved.hidden or actual in resolved.out:
                    continue  # a staff column that happens to carry a logical name
                logical = actual
            link = links.get(logical)
            fields[logical] = self._link_value_in(link, value) if link else value
        return {**record, "fields": fields}

    def _formula(self, table: str, formula: str | None) -> str | None:
        if not formula:
            return formula
        links = self.mapping.table(table).links

        def replace(match: re.Match[str]) -> str:
            logical = match.group(1)
            ref = "{" + self._column(table, logical) + "}"
            return f"ARRAYJOIN({ref})" if logical in links else ref

        return _FIELD_REF.sub(replace, formula)

    # ------------------------------------------------------------------ linked values

    def _link_index(self, link: LinkedValue, *, refresh: bool = False) -> dict[str, str]:
        key = (link.table, link.match_column)
        if refresh or key not in self._links:
            column = link.match_column
            if _is_field_id(column):
                column = self._field_names().get(column, column)
            index: dict[str, str] = {}
            offset = None
            while True:
                page = super().list_records(
                    link.table, fields=[column], page_size=MAX_PAGE_SIZE, offset=offset
                )
                for record in page.records:
                    value = str((record.get("fields") or {}).get(column) or "").strip()
                    if value:
                        index.setdefault(value, record["id"])
                if not page.offset:
                    break
                offset = page.offset
            self._links[key] = index
        return self._links[key]

    def _link_value_out(self, link: LinkedValue, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        text = str(value)
        record_id = self._link_index(link).get(text) or self._link_index(link, refresh=True).get(
            text
        )
        if record_id is None:
            raise AirtableError(
                kind=KIND_PERMANENT,
                error_type=LINK_NOT_FOUND,
                message=(
                    f'no record in table "{link.table}" has "{text}" in column '
                    f'"{link.match_column}"; add it in Airtable (the link is never created)'
                ),
            )
        return [record_id]

    def _link_value_in(self, link: LinkedValue, value: Any) -> str:
        ids = value if isinstance(value, list) else [value]
        if not ids or not isinstance(ids[0], str):
            return ""
        by_id = {rid: code for code, rid in self._link_index(link).items()}
        if ids[0] not in by_id:
            by_id = {rid: code for code, rid in self._link_index(link, refresh=True).items()}
        return by_id.get(ids[0], "")

    # ------------------------------------------------------------------ the gateway

    def _translated_call(self, send: Any) -> Any:
        try:
            return send()
        except AirtableError as error:
            if error.error_type == UNKNOWN_FIELD:
                self.forget_resolution()  # renamed meanwhile: resolve again next time
            raise

    def list_records(
        self,
        table: str,
        *,
        formula: str | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        offset: str | None = None,
        sort: Sequence[str] | None = None,
    ) -> RecordPage:
        resolved = self._table_map(table)
        columns = None
        if fields is not None:
            columns = [c for c in (self._column(table, f) for f in fields) if c]
        order = None
        if sort is not None:
            order = [
                ("-" if s.startswith("-") else "") + self._column(table, s.lstrip("-"))
                for s in sort
            ]
        page = self._translated_call(
            lambda: super(MappedGateway, self).list_records(
                resolved.table_ref,
                formula=self._formula(table, formula),
                fields=columns,
                page_size=page_size,
                offset=offset,
                sort=order,
            )
        )
        return RecordPage(
            records=[self._record_in(table, r) for r in page.records], offset=page.offset
        )

    def get_record(self, table: str, record_id: str) -> dict[str, Any] | None:
        ref = self._table_map(table).table_ref
        record = super().get_record(ref, record_id)
        return None if record is None else self._record_in(table, record)

    def create_records(
        self, table: str, fields_list: Sequence[Mapping[str, Any]], *, typecast: bool = False
    ) -> list[dict[str, Any]]:
        ref = self._table_map(table).table_ref
        body = [self._fields_out(table, f) for f in fields_list]
        records = self._translated_call(
            lambda: super(MappedGateway, self).create_records(ref, body, typecast=typecast)
        )
        return [self._record_in(table, r) for r in records]

    def upsert_records(
        self,
        table: str,
        fields_list: Sequence[Mapping[str, Any]],
        *,
        merge_on: Sequence[str],
        typecast: bool = False,
    ) -> UpsertResult:
        ref = self._table_map(table).table_ref
        body = [self._fields_out(table, f) for f in fields_list]
        merge = [self._column(table, name) for name in merge_on]
        result = self._translated_call(
            lambda: super(MappedGateway, self).upsert_records(
                ref, body, merge_on=merge, typecast=typecast
            )
        )
        return UpsertResult(
            records=[self._record_in(table, r) for r in result.records],
            created_ids=result.created_ids,
            updated_ids=result.updated_ids,
        )

    def update_records(
        self,
        table: str,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        replace: bool = False,
        typecast: bool = False,
    ) -> list[dict[str, Any]]:
        if replace:
            # PUT clears every column not sent, staff columns included: never on a mapped base.
            raise ValueError("a mapped base is never written with replace=True")
        ref = self._table_map(table).table_ref
        body = [(record_id, self._fields_out(table, f)) for record_id, f in updates]
        records = self._translated_call(
            lambda: super(MappedGateway, self).update_records(ref, body, typecast=typecast)
        )
        return [self._record_in(table, r) for r in records]

    def delete_records(self, table: str, record_ids: Sequence[str]) -> list[str]:
        return super().delete_records(self._table_map(table).table_ref, record_ids)

    def upload_attachment(
        self, record_id: str, field: str, *, filename: str, content_type: str, content: bytes
    ) -> dict[str, Any]:
        # The upload endpoint takes a column name or id without naming the table; the
        # attachment columns live in the candidates table, found by their logical name.
        actual = next(
            (resolved.out[field] for resolved in self._resolve().values() if field in resolved.out),
            field,
        )
        return super().upload_attachment(
            record_id, actual, filename=filename, content_type=content_type, content=content
        )
