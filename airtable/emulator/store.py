"""In-memory Airtable data model: bases, tables, fields and records.

Every public method takes ``self.lock`` so the store is safe under concurrent HTTP clients.
Batch writes are atomic: all records are validated first and only then applied, so a 422
never leaves a half-written batch behind (as with Airtable).
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeGuard

from . import errors
from .fields import (
    COMPUTED_TYPES,
    WriteContext,
    add_choices,
    build_field,
    is_empty,
    normalize_value,
    uploaded_attachment,
)
from .formula import Formula, FormulaError, FormulaRuntimeError, to_text
from .ids import (
    BASE_PREFIX,
    ITERATOR_PREFIX,
    RECORD_PREFIX,
    TABLE_PREFIX,
    VIEW_PREFIX,
    is_id,
    looks_like_base_id,
    new_id,
    now_timestamp,
    parse_timestamp,
    utc_now,
)

MAX_RECORDS_PER_WRITE = 10
MAX_PAGE_SIZE = 100
MAX_MERGE_FIELDS = 3  # performUpsert.fieldsToMergeOn takes 1-3 fields
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # uploadAttachment accepts files up to 5 MB
# List iterators (offset cursors) expire like Airtable's; clients must restart the listing.
ITERATOR_TTL_S = 600
MAX_ITERATORS = 10_000
STATE_FORMAT_VERSION = 1
DEFAULT_VIEW_NAME = "Grid view"
PERMISSION_LEVEL = "create"
DATE_TYPES = frozenset({"date", "dateTime", "createdTime", "lastModifiedTime"})


@dataclass
class ListQuery:
    """Parameters of a list-records request (GET query string or POST listRecords body)."""

    page_size: int = MAX_PAGE_SIZE
    max_records: int | None = None
    offset: str | None = None
    fields: list[str] | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)
    formula: str | None = None
    by_field_id: bool = False


@dataclass
class _Iterator:
    iterator_id: str
    base_id: str
    table_id: str
    record_ids: list[str]
    positions: dict[str, int]
    created: float


@dataclass
class _PlannedWrite:
    """One validated record write waiting to be applied."""

    record_id: str | None  # None = create
    values: dict[str, Any]
    replace: bool = False


class _FieldIndex:
    """Lookup of a table's fields by id or name."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.by_id = {fld["id"]: fld for fld in table["fields"]}
        self.by_name = {fld["name"]: fld for fld in table["fields"]}
        self.by_folded = {fld["name"].casefold(): fld for fld in table["fields"]}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.by_id.get(key) or self.by_name.get(key)

    def require(self, key: object) -> dict[str, Any]:
        fld = self.get(key) if isinstance(key, str) else None
        if fld is None:
            raise errors.unknown_field_name(str(key))
        return fld

    def for_formula(self, name: str) -> dict[str, Any] | None:
        return self.by_name.get(name) or self.by_folded.get(name.casefold()) or self.by_id.get(name)


class _FormulaRecord:
    """Adapter exposing one record to the formula evaluator."""

    def __init__(
        self,
        store: Store,
        base: dict[str, Any],
        table: dict[str, Any],
        index: _FieldIndex,
        record: dict[str, Any],
        now: datetime,
    ) -> None:
        self._store, self._base, self._table = store, base, table
        self._index, self._record = index, record
        self.record_id = record["id"]
        self.created_time = parse_timestamp(record["createdTime"]) or now
        self.now = now

    def field_value(self, name: str) -> Any:
        fld = self._index.for_formula(name)
        if fld is None:
            return None
        return self._store.formula_value(self._base, fld, self._record)

    def last_modified_time(self, field_names: Sequence[str] | None) -> datetime | None:
        ids = None
        if field_names is not None:
            ids = [fld["id"] for name in field_names if (fld := self._index.for_formula(name))]
        stamp = _last_modified(self._record, ids) or self._record["createdTime"]
        return parse_timestamp(stamp)


def _last_modified(record: dict[str, Any], field_ids: Iterable[str] | None) -> str | None:
    modified: dict[str, str] = record.get("modified", {})
    stamps = (
        modified.values()
        if field_ids is None
        else [modified[fid] for fid in field_ids if fid in modified]
    )
    return max(stamps, default=None)


def _cell_value(fld: dict[str, Any], record: dict[str, Any]) -> Any:
    """The value of one cell, computing createdTime/lastModifiedTime/autoNumber fields."""
    field_type = fld["type"]
    if field_type == "createdTime":
        return record["createdTime"]
    if field_type == "lastModifiedTime":
        referenced = fld.get("options", {}).get("referencedFieldIds") or None
        return _last_modified(record, referenced)
    if field_type == "autoNumber":
        return record.get("autoNumber")
    return record["fields"].get(fld["id"])


def _record_sort_key(fld: dict[str, Any], record: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(_cell_value(fld, record))


def _sort_key(value: Any) -> tuple[int, Any]:
    # Empty cells first (ascending), then numbers, then text (case-insensitive).
    if is_empty(value):
        return (0, 0)
    if isinstance(value, (bool, int, float)):
        return (1, float(value))
    return (2, to_text(value).casefold())


UNKNOWN_TABLE_403 = 403
UNKNOWN_TABLE_404 = 404


class Store:
    """All bases and their data; thread-safe through one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.bases: dict[str, dict[str, Any]] = {}
        self._iterators: OrderedDict[str, _Iterator] = OrderedDict()
        self.revision = 0  # bumped on every mutation; drives persistence
        self.on_change: Callable[[], None] | None = None
        # Real Airtable has answered an unknown table both ways: 403
        # INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND (the default here) and 404 TABLE_NOT_FOUND.
        self.unknown_table_status = UNKNOWN_TABLE_403

    # ------------------------------------------------------------------ bookkeeping

    def _changed(self) -> None:
        self.revision += 1
        if self.on_change is not None:
            self.on_change()

    def reset(self, base_id: str | None = None) -> None:
        with self.lock:
            if base_id is None:
                self.bases.clear()
                self._iterators.clear()
            else:
                self.bases.pop(base_id, None)
            self._changed()

    def to_state(self) -> dict[str, Any]:
        """A JSON-serialisable deep copy of everything (records as ordered lists)."""
        with self.lock:
            bases = []
            for base in self.bases.values():
                tables = []
                for table in base["tables"]:
                    stored = {k: v for k, v in table.items() if k != "records"}
                    stored["records"] = list(table["records"].values())
                    tables.append(stored)
                bases.append({"id": base["id"], "name": base["name"], "tables": tables})
            return copy.deepcopy({"version": STATE_FORMAT_VERSION, "bases": bases})

    def load_state(self, state: dict[str, Any]) -> None:
        with self.lock:
            if state.get("version") != STATE_FORMAT_VERSION:
                raise ValueError(f"unsupported emulator state version {state.get('version')!r}")
            self.bases.clear()
            self._iterators.clear()
            for base in copy.deepcopy(state["bases"]):
                for table in base["tables"]:
                    table["records"] = {record["id"]: record for record in table["records"]}
                self.bases[base["id"]] = base

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "bases": [
                    {
                        "id": base["id"],
                        "name": base["name"],
                        "tables": [
                            {
                                "id": t["id"],
                                "name": t["name"],
                                "fields": len(t["fields"]),
                                "records": len(t["records"]),
                            }
                            for t in base["tables"]
                        ],
                    }
                    for base in self.bases.values()
                ],
                "total_records": sum(
                    len(t["records"]) for b in self.bases.values() for t in b["tables"]
                ),
                "open_iterators": len(self._iterators),
            }

    # ------------------------------------------------------------------ bases & schema

    def create_base(
        self, name: str, tables: Sequence[dict[str, Any]] = (), base_id: str | None = None
    ) -> dict[str, Any]:
        """Create a base (optionally with tables); returns its metadata incl. tables."""
        with self.lock:
            base_id = base_id or new_id(BASE_PREFIX)
            if not looks_like_base_id(base_id):
                raise errors.invalid_request(f"Invalid base id {base_id!r}")
            if base_id in self.bases:
                raise errors.invalid_request(f"Base {base_id} already exists")
            self.bases[base_id] = {"id": base_id, "name": name or base_id, "tables": []}
            try:
                for spec in tables:
                    self._create_table(self.bases[base_id], spec)
            except errors.ApiError:
                del self.bases[base_id]
                raise
            self._changed()
            return self._base_schema(self.bases[base_id], with_name=True)

    def _require_base(self, base_id: str) -> dict[str, Any]:
        base = self.bases.get(base_id)
        if base is None:
            raise errors.model_not_found()
        return base

    def _resolve_table(self, base: dict[str, Any], ref: str) -> dict[str, Any]:
        for table in base["tables"]:
            if table["id"] == ref or table["name"] == ref:
                return table
        if self.unknown_table_status == UNKNOWN_TABLE_404:
            raise errors.table_not_found(ref, base["id"])
        raise errors.model_not_found()

    def set_unknown_table_status(self, status: int) -> None:
        if status not in (UNKNOWN_TABLE_403, UNKNOWN_TABLE_404):
            raise ValueError("unknown_table_status must be 403 or 404")
        self.unknown_table_status = status

    def has_base(self, base_id: str) -> bool:
        with self.lock:
            return base_id in self.bases

    def list_bases(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"id": b["id"], "name": b["name"], "permissionLevel": PERMISSION_LEVEL}
                for b in self.bases.values()
            ]

    def base_schema(self, base_id: str) -> dict[str, Any]:
        with self.lock:
            return self._base_schema(self._require_base(base_id))

    def _base_schema(self, base: dict[str, Any], *, with_name: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = {"tables": [self._table_schema(t) for t in base["tables"]]}
        if with_name:
            schema = {"id": base["id"], "name": base["name"], **schema}
        return schema

    def _table_schema(self, table: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "id": table["id"],
            "name": table["name"],
            "primaryFieldId": table["primaryFieldId"],
            "fields": copy.deepcopy(table["fields"]),
            "views": [
                {**view, "visibleFieldIds": [fld["id"] for fld in table["fields"]]}
                for view in table["views"]
            ],
        }
        if table.get("description"):
            schema["description"] = table["description"]
        return schema

    def create_table(
        self, base_id: str, spec: dict[str, Any], *, create_base: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            if create_base and base_id not in self.bases:
                if not looks_like_base_id(base_id):
                    raise errors.model_not_found()
                # Implicit creation: the first table created in an unknown base creates it.
                self.bases[base_id] = {"id": base_id, "name": base_id, "tables": []}
            table = self._create_table(self._require_base(base_id), spec)
            self._changed()
            return self._table_schema(table)

    def _create_table(self, base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        name = spec.get("name")
        if not _valid_name(name):
            raise errors.invalid_request("Table name must be a non-empty string")
        if _name_taken(base["tables"], name):
            raise errors.duplicate_table_name(name)
        field_specs = spec.get("fields")
        if not isinstance(field_specs, list) or not field_specs:
            raise errors.invalid_request("A table needs at least one field (the primary field)")
        fields: list[dict[str, Any]] = []
        for field_spec in field_specs:
            self._check_field_spec(base, fields, field_spec)
            fields.append(build_field(field_spec))
        _resolve_referenced_fields(fields)
        table: dict[str, Any] = {
            "id": spec.get("id") if is_id(spec.get("id"), TABLE_PREFIX) else new_id(TABLE_PREFIX),
            "name": name,
            "primaryFieldId": fields[0]["id"],
            "fields": fields,
            "views": [{"id": new_id(VIEW_PREFIX), "name": DEFAULT_VIEW_NAME, "type": "grid"}],
            "records": {},
            "autoNumber": 0,
        }
        if spec.get("description"):
            table["description"] = str(spec["description"])
        base["tables"].append(table)
        for fld in fields:
            if fld["type"] == "multipleRecordLinks":
                self._add_inverse_link(base, table, fld)
        return table

    def _check_field_spec(
        self, base: dict[str, Any], existing: list[dict[str, Any]], spec: object
    ) -> None:
        if not isinstance(spec, dict):
            raise errors.invalid_request("Field definitions must be objects")
        name = spec.get("name")
        if isinstance(name, str) and _name_taken(existing, name):
            raise errors.duplicate_field_name(name)
        if spec.get("type") == "multipleRecordLinks":
            linked = (spec.get("options") or {}).get("linkedTableId")
            if not any(t["id"] == linked for t in base["tables"]):
                raise errors.invalid_field_options(f"Unknown linkedTableId {linked!r}")

    def _add_inverse_link(
        self, base: dict[str, Any], table: dict[str, Any], fld: dict[str, Any]
    ) -> None:
        """Airtable creates the reverse link field in the linked table automatically."""
        linked = self._resolve_table(base, fld["options"]["linkedTableId"])
        if linked is table or fld["options"].get("inverseLinkFieldId"):
            return
        taken = {f["name"].casefold() for f in linked["fields"]}
        inverse_name, suffix = table["name"], 2
        while inverse_name.casefold() in taken:
            inverse_name, suffix = f"{table['name']} {suffix}", suffix + 1
        inverse = build_field(
            {
                "name": inverse_name,
                "type": "multipleRecordLinks",
                "options": {"linkedTableId": table["id"], "inverseLinkFieldId": fld["id"]},
            }
        )
        fld["options"]["inverseLinkFieldId"] = inverse["id"]
        linked["fields"].append(inverse)

    def update_table(self, base_id: str, table_ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            new_name = changes.get("name")
            if new_name is not None:
                if not _valid_name(new_name):
                    raise errors.invalid_request("Table name must be a non-empty string")
                if _name_taken(base["tables"], new_name, table):
                    raise errors.duplicate_table_name(new_name)
                table["name"] = new_name
            if "description" in changes:
                table["description"] = str(changes["description"] or "")
            self._changed()
            return self._table_schema(table)

    def create_field(self, base_id: str, table_ref: str, spec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            self._check_field_spec(base, table["fields"], spec)
            fld = build_field(spec)
            _resolve_referenced_fields([*table["fields"], fld])
            table["fields"].append(fld)
            if fld["type"] == "multipleRecordLinks":
                self._add_inverse_link(base, table, fld)
            self._changed()
            return copy.deepcopy(fld)

    def update_field(
        self, base_id: str, table_ref: str, field_ref: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        with self.lock:
            table = self._resolve_table(self._require_base(base_id), table_ref)
            fld = _FieldIndex(table).get(field_ref)
            if fld is None:
                raise errors.model_not_found()
            new_name = changes.get("name")
            if new_name is not None:
                if not _valid_name(new_name) or _name_taken(table["fields"], new_name, fld):
                    raise errors.duplicate_field_name(str(new_name))
                fld["name"] = new_name
            if "description" in changes:
                fld["description"] = str(changes["description"] or "")
            self._changed()
            return copy.deepcopy(fld)

    # ------------------------------------------------------------------ reading records

    def get_record(
        self, base_id: str, table_ref: str, record_id: str, *, by_field_id: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            record = table["records"].get(record_id)
            if record is None:
                raise errors.record_not_found()
            return self._record_output(table, record, by_field_id=by_field_id)

    def list_records(self, base_id: str, table_ref: str, query: ListQuery) -> dict[str, Any]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            index = _FieldIndex(table)
            only = None if query.fields is None else {index.require(f)["id"] for f in query.fields}
            if query.offset:
                iterator, position = self._resume_iterator(query.offset, base_id, table["id"])
                record_ids = iterator.record_ids
            else:
                record_ids = self._matching_ids(base, table, index, query)
                iterator, position = None, 0
            end = position + query.page_size
            records = [
                self._record_output(
                    table, table["records"][rid], by_field_id=query.by_field_id, only=only
                )
                for rid in record_ids[position:end]
                if rid in table["records"]  # deleted since the listing started
            ]
            response: dict[str, Any] = {"records": records}
            if end < len(record_ids):
                if iterator is None:
                    iterator = self._new_iterator(base_id, table["id"], record_ids)
                response["offset"] = self._offset_for(iterator, end)
            return response

    def all_records(self, base_id: str, table_ref: str) -> list[dict[str, Any]]:
        """Every record of a table in API form (convenience for tests/tools)."""
        with self.lock:
            table = self._resolve_table(self._require_base(base_id), table_ref)
            return [self._record_output(table, r) for r in table["records"].values()]

    def _matching_ids(
        self, base: dict[str, Any], table: dict[str, Any], index: _FieldIndex, query: ListQuery
    ) -> list[str]:
        records = list(table["records"].values())
        if query.formula:
            formula = self._compile_formula(query.formula, index)
            now = utc_now()
            records = [
                r
                for r in records
                if formula.matches(_FormulaRecord(self, base, table, index, r, now))
            ]
        for field_ref, direction in reversed(query.sort):
            fld = index.require(field_ref)
            records.sort(key=partial(_record_sort_key, fld), reverse=direction == "desc")
        ids = [r["id"] for r in records]
        return ids[: query.max_records] if query.max_records is not None else ids

    @staticmethod
    def _compile_formula(text: str, index: _FieldIndex) -> Formula:
        try:
            formula = Formula(text)
        except FormulaError as exc:
            raise errors.invalid_filter(exc.detail) from None
        unknown = sorted(name for name in formula.field_names if index.for_formula(name) is None)
        if unknown:
            raise errors.invalid_filter(f"Unknown field names: {', '.join(unknown)}")
        return formula

    def _new_iterator(self, base_id: str, table_id: str, record_ids: list[str]) -> _Iterator:
        self._expire_iterators()
        iterator = _Iterator(
            new_id(ITERATOR_PREFIX),
            base_id,
            table_id,
            record_ids,
            {rid: pos for pos, rid in enumerate(record_ids)},
            time.monotonic(),
        )
        self._iterators[iterator.iterator_id] = iterator
        while len(self._iterators) > MAX_ITERATORS:
            self._iterators.popitem(last=False)
        return iterator

    @staticmethod
    def _offset_for(iterator: _Iterator, position: int) -> str:
        # Airtable offsets look like "itr…/rec…": the listing and the next record.
        return f"{iterator.iterator_id}/{iterator.record_ids[position]}"

    def _expire_iterators(self) -> None:
        deadline = time.monotonic() - ITERATOR_TTL_S
        for iterator_id in [k for k, v in self._iterators.items() if v.created < deadline]:
            del self._iterators[iterator_id]

    def _resume_iterator(self, offset: str, base_id: str, table_id: str) -> tuple[_Iterator, int]:
        iterator_id, _, record_id = offset.partition("/")
        if not (is_id(iterator_id, ITERATOR_PREFIX) and is_id(record_id, RECORD_PREFIX)):
            raise errors.invalid_offset(offset)
        self._expire_iterators()
        iterator = self._iterators.get(iterator_id)
        if iterator is None:
            raise errors.iterator_not_available()
        position = iterator.positions.get(record_id)
        if (iterator.base_id, iterator.table_id) != (base_id, table_id) or position is None:
            raise errors.invalid_offset(offset)
        return iterator, position

    # ------------------------------------------------------------------ output

    def _record_output(
        self,
        table: dict[str, Any],
        record: dict[str, Any],
        *,
        by_field_id: bool = False,
        only: set[str] | None = None,
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for fld in table["fields"]:
            if only is not None and fld["id"] not in only:
                continue
            value = (
                self._formula_cell(table, fld, record)
                if fld["type"] == "formula"
                else _cell_value(fld, record)
            )
            if is_empty(value):
                continue  # Airtable omits empty cells entirely
            fields[fld["id"] if by_field_id else fld["name"]] = copy.deepcopy(value)
        return {"id": record["id"], "createdTime": record["createdTime"], "fields": fields}

    def _formula_cell(
        self, table: dict[str, Any], fld: dict[str, Any], record: dict[str, Any]
    ) -> Any:
        """A formula column's value (text formulas are all staff bases need here); an
        error shows as Airtable's ``#ERROR!``."""
        base = next(b for b in self.bases.values() if any(t is table for t in b["tables"]))
        text = (fld.get("options") or {}).get("formula") or "''"
        context = _FormulaRecord(self, base, table, _FieldIndex(table), record, utc_now())
        try:
            return Formula(text).evaluate(context)
        except (FormulaError, FormulaRuntimeError, ArithmeticError, ValueError):
            return {"specialValue": "#ERROR!"}

    def formula_value(
        self, base: dict[str, Any], fld: dict[str, Any], record: dict[str, Any]
    ) -> Any:
        """A cell as the formula evaluator sees it (dates parsed, links as display names)."""
        value = _cell_value(fld, record)
        field_type = fld["type"]
        if field_type == "checkbox":
            return bool(value)
        if value is None:
            return None
        if field_type in DATE_TYPES:
            return parse_timestamp(value)
        if field_type == "multipleAttachments":
            return [f"{att['filename']} ({att['url']})" for att in value]
        if field_type == "multipleRecordLinks":
            return self._linked_display_values(base, fld, value)
        return value

    def _linked_display_values(
        self, base: dict[str, Any], fld: dict[str, Any], record_ids: list[str]
    ) -> list[str]:
        # In formulas a link cell shows the linked records' primary field values.
        linked = self._resolve_table(base, fld["options"]["linkedTableId"])
        shown = []
        for record_id in record_ids:
            record = linked["records"].get(record_id)
            primary = record["fields"].get(linked["primaryFieldId"]) if record else None
            shown.append(to_text(primary) if primary not in (None, "") else record_id)
        return shown

    # ------------------------------------------------------------------ writing records

    def create_records(
        self,
        base_id: str,
        table_ref: str,
        items: Sequence[dict[str, Any]],
        *,
        typecast: bool = False,
        by_field_id: bool = False,
    ) -> list[dict[str, Any]]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            new_choices: dict[str, list[str]] = {}
            plans = [
                _PlannedWrite(
                    None,
                    self._normalize(base, table, fields, None, typecast, new_choices),
                    replace=True,
                )
                for fields in items
            ]
            record_ids = self._apply_plans(base, table, plans, new_choices)
            return [
                self._record_output(table, table["records"][rid], by_field_id=by_field_id)
                for rid in record_ids
            ]

    def update_records(
        self,
        base_id: str,
        table_ref: str,
        updates: Sequence[tuple[str, dict[str, Any]]],
        *,
        replace: bool = False,
        typecast: bool = False,
        by_field_id: bool = False,
        single: bool = False,
    ) -> list[dict[str, Any]]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            new_choices: dict[str, list[str]] = {}
            plans = []
            for record_id, fields in updates:
                record = self._existing_record(table, record_id, single=single)
                values = self._normalize(base, table, fields, record, typecast, new_choices)
                plans.append(_PlannedWrite(record_id, values, replace))
            record_ids = self._apply_plans(base, table, plans, new_choices)
            return [
                self._record_output(table, table["records"][rid], by_field_id=by_field_id)
                for rid in record_ids
            ]

    def upsert_records(
        self,
        base_id: str,
        table_ref: str,
        items: Sequence[dict[str, Any]],
        merge_on: object,
        *,
        replace: bool = False,
        typecast: bool = False,
        by_field_id: bool = False,
    ) -> dict[str, Any]:
        """performUpsert: match each record on ``merge_on`` fields (snapshot before the
        request): 0 matches → create, 1 → update, more → 422 for the whole request."""
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            index = _FieldIndex(table)
            merge_fields = self._merge_fields(index, merge_on)
            new_choices: dict[str, list[str]] = {}
            plans = [
                self._plan_upsert(base, table, item, merge_fields, replace, typecast, new_choices)
                for item in items
            ]
            created = {i for i, plan in enumerate(plans) if plan.record_id is None}
            record_ids = self._apply_plans(base, table, plans, new_choices)
            return {
                "records": [
                    self._record_output(table, table["records"][rid], by_field_id=by_field_id)
                    for rid in record_ids
                ],
                "createdRecords": [rid for i, rid in enumerate(record_ids) if i in created],
                "updatedRecords": list(
                    dict.fromkeys(rid for i, rid in enumerate(record_ids) if i not in created)
                ),
            }

    @staticmethod
    def _merge_fields(index: _FieldIndex, merge_on: object) -> list[dict[str, Any]]:
        if not isinstance(merge_on, list) or not 1 <= len(merge_on) <= MAX_MERGE_FIELDS:
            raise errors.invalid_request(
                f"performUpsert.fieldsToMergeOn must list 1 to {MAX_MERGE_FIELDS} fields"
            )
        merge_fields = [index.require(ref) for ref in merge_on]
        for fld in merge_fields:
            if fld["type"] in COMPUTED_TYPES:
                raise errors.invalid_request(
                    f'Field "{fld["name"]}" cannot be used in fieldsToMergeOn'
                )
        return merge_fields

    def _plan_upsert(
        self,
        base: dict[str, Any],
        table: dict[str, Any],
        item: dict[str, Any],
        merge_fields: list[dict[str, Any]],
        replace: bool,
        typecast: bool,
        new_choices: dict[str, list[str]],
    ) -> _PlannedWrite:
        fields = item.get("fields", {})
        if item.get("id") is not None:
            record = self._existing_record(table, item["id"], single=False)
            values = self._normalize(base, table, fields, record, typecast, new_choices)
            return _PlannedWrite(record["id"], values, replace)
        values = self._normalize(base, table, fields, None, typecast, new_choices)
        missing = [fld["name"] for fld in merge_fields if fld["id"] not in values]
        if missing:
            raise errors.invalid_records(
                f"Each record must include values for fieldsToMergeOn; missing {missing}"
            )
        matches = [
            record
            for record in table["records"].values()
            if all(
                _same_value(record["fields"].get(fld["id"]), values[fld["id"]])
                for fld in merge_fields
            )
        ]
        if len(matches) > 1:
            raise errors.upsert_multiple_matches(len(matches))
        if matches:
            return _PlannedWrite(matches[0]["id"], values, replace)
        return _PlannedWrite(None, values, replace=True)

    def delete_records(
        self, base_id: str, table_ref: str, record_ids: Sequence[str], *, single: bool = False
    ) -> list[dict[str, Any]]:
        with self.lock:
            base = self._require_base(base_id)
            table = self._resolve_table(base, table_ref)
            unique_ids = list(dict.fromkeys(record_ids))
            for record_id in unique_ids:
                self._existing_record(table, record_id, single=single)
            now = now_timestamp()
            for record_id in unique_ids:
                del table["records"][record_id]
                self._unlink_everywhere(base, table, record_id, now)
            self._changed()
            return [{"id": record_id, "deleted": True} for record_id in unique_ids]

    def upload_attachment(
        self,
        base_id: str,
        record_id: str,
        field_ref: str,
        *,
        filename: str,
        content_type: str,
        size: int,
    ) -> dict[str, Any]:
        with self.lock:
            base = self._require_base(base_id)
            table, record = self._find_record_in_base(base, record_id)
            fld = _FieldIndex(table).require(field_ref)
            if fld["type"] != "multipleAttachments":
                raise errors.invalid_value_for_column(fld["name"], "not an attachment field")
            if size > MAX_UPLOAD_BYTES:
                raise errors.attachment_too_large(MAX_UPLOAD_BYTES)
            attachments = [
                *record["fields"].get(fld["id"], []),
                uploaded_attachment(filename, content_type, size),
            ]
            self._apply_values(
                base, table, record, {fld["id"]: attachments}, replace=False, now=now_timestamp()
            )
            self._changed()
            return {
                "id": record["id"],
                "createdTime": record["createdTime"],
                "fields": {fld["id"]: copy.deepcopy(attachments)},
            }

    def _find_record_in_base(
        self, base: dict[str, Any], record_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        for table in base["tables"]:
            if record_id in table["records"]:
                return table, table["records"][record_id]
        raise errors.record_not_found()

    def _existing_record(
        self, table: dict[str, Any], record_id: object, *, single: bool
    ) -> dict[str, Any]:
        record = table["records"].get(record_id) if isinstance(record_id, str) else None
        if record is None:
            raise errors.record_not_found() if single else errors.row_does_not_exist(str(record_id))
        return record

    def _normalize(
        self,
        base: dict[str, Any],
        table: dict[str, Any],
        fields: object,
        record: dict[str, Any] | None,
        typecast: bool,
        new_choices: dict[str, list[str]],
    ) -> dict[str, Any]:
        if not isinstance(fields, dict):
            raise errors.invalid_request("Record fields must be an object")
        index = _FieldIndex(table)
        values: dict[str, Any] = {}
        for key, value in fields.items():
            fld = index.require(key)
            ctx = WriteContext(
                typecast=typecast,
                current_value=record["fields"].get(fld["id"]) if record else None,
                link_exists=lambda table_id, rid: self._link_target_exists(base, table_id, rid),
                new_choices=new_choices,
            )
            values[fld["id"]] = normalize_value(fld, value, ctx)
        return values

    def _link_target_exists(self, base: dict[str, Any], table_id: str, record_id: str) -> bool:
        return any(t["id"] == table_id and record_id in t["records"] for t in base["tables"])

    def _apply_plans(
        self,
        base: dict[str, Any],
        table: dict[str, Any],
        plans: list[_PlannedWrite],
        new_choices: dict[str, list[str]],
    ) -> list[str]:
        """Apply validated writes; returns the record id of each plan, in order."""
        index = _FieldIndex(table)
        for field_id, names in new_choices.items():
            add_choices(index.by_id[field_id], names)
        now = now_timestamp()
        record_ids = []
        for plan in plans:
            if plan.record_id is None:
                record = self._new_record(base, table, now)
            else:
                record = table["records"][plan.record_id]
            self._apply_values(base, table, record, plan.values, replace=plan.replace, now=now)
            record_ids.append(record["id"])
        self._changed()
        return record_ids

    def _new_record(self, base: dict[str, Any], table: dict[str, Any], now: str) -> dict[str, Any]:
        record_id = new_id(RECORD_PREFIX)
        while any(record_id in t["records"] for t in base["tables"]):
            record_id = new_id(RECORD_PREFIX)  # record ids are unique within a base
        table["autoNumber"] = table.get("autoNumber", 0) + 1
        record = {
            "id": record_id,
            "createdTime": now,
            "fields": {},
            "modified": {},
            "autoNumber": table["autoNumber"],
        }
        table["records"][record_id] = record
        return record

    def _apply_values(
        self,
        base: dict[str, Any],
        table: dict[str, Any],
        record: dict[str, Any],
        values: dict[str, Any],
        *,
        replace: bool,
        now: str,
    ) -> None:
        old = record["fields"]
        new = {} if replace else dict(old)
        for field_id, value in values.items():
            if is_empty(value):
                new.pop(field_id, None)
            else:
                new[field_id] = value
        changed = {fid for fid in old.keys() | new.keys() if old.get(fid) != new.get(fid)}
        record["fields"] = new
        # Only real changes bump "last modified", as in Airtable.
        for field_id in changed:
            record["modified"][field_id] = now
        index = _FieldIndex(table)
        for field_id in changed:
            fld = index.by_id.get(field_id)
            if fld is not None and fld["type"] == "multipleRecordLinks":
                self._sync_inverse(
                    base, fld, record["id"], old.get(field_id) or [], new.get(field_id) or [], now
                )

    def _sync_inverse(
        self,
        base: dict[str, Any],
        fld: dict[str, Any],
        record_id: str,
        old_ids: list[str],
        new_ids: list[str],
        now: str,
    ) -> None:
        inverse_id = fld["options"].get("inverseLinkFieldId")
        if not inverse_id:
            return
        linked = self._resolve_table(base, fld["options"]["linkedTableId"])
        for target_id in set(old_ids) ^ set(new_ids):
            target = linked["records"].get(target_id)
            if target is None:
                continue
            current = list(target["fields"].get(inverse_id, []))
            if target_id in new_ids and record_id not in current:
                current.append(record_id)
            elif target_id not in new_ids and record_id in current:
                current.remove(record_id)
            if current:
                target["fields"][inverse_id] = current
            else:
                target["fields"].pop(inverse_id, None)
            target["modified"][inverse_id] = now

    def _unlink_everywhere(
        self, base: dict[str, Any], table: dict[str, Any], record_id: str, now: str
    ) -> None:
        for other in base["tables"]:
            link_fields = [
                f["id"]
                for f in other["fields"]
                if f["type"] == "multipleRecordLinks"
                and f["options"].get("linkedTableId") == table["id"]
            ]
            for record in other["records"].values() if link_fields else ():
                for field_id in link_fields:
                    ids = record["fields"].get(field_id)
                    if ids and record_id in ids:
                        remaining = [rid for rid in ids if rid != record_id]
                        if remaining:
                            record["fields"][field_id] = remaining
                        else:
                            del record["fields"][field_id]
                        record["modified"][field_id] = now


def _valid_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and bool(name.strip())


def _name_taken(items: list[dict[str, Any]], name: str, exclude: object = None) -> bool:
    """Airtable table and field names are unique, ignoring case."""
    folded = name.strip().casefold()
    return any(item is not exclude and item["name"].casefold() == folded for item in items)


def _same_value(stored: Any, wanted: Any) -> bool:
    if is_empty(stored) and is_empty(wanted):
        return True
    return bool(stored == wanted)


def _resolve_referenced_fields(fields: list[dict[str, Any]]) -> None:
    """Allow lastModifiedTime ``referencedFieldIds`` to name fields (handy for fixtures)."""
    by_name = {fld["name"]: fld["id"] for fld in fields}
    known_ids = {fld["id"] for fld in fields}
    for fld in fields:
        options = fld.get("options") or {}
        refs = options.get("referencedFieldIds")
        if fld["type"] != "lastModifiedTime" or not refs:
            continue
        resolved = []
        for ref in refs:
            field_id = ref if ref in known_ids else by_name.get(ref)
            if field_id is None:
                raise errors.invalid_field_options(f"Unknown referenced field {ref!r}")
            resolved.append(field_id)
        options["referencedFieldIds"] = resolved


__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_RECORDS_PER_WRITE",
    "MAX_UPLOAD_BYTES",
    "ListQuery",
    "Store",
]
