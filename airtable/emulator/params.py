"""Parsing of list-records parameters from a query string or a listRecords JSON body."""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .store import MAX_PAGE_SIZE, ListQuery

SORT_PARAM = re.compile(r"sort\[(\d+)\]\[(field|direction)\]")
FIELDS_PARAM = re.compile(r"fields(\[\d*\])?")
SORT_DIRECTIONS = ("asc", "desc")
TRUE_STRINGS = frozenset({"1", "true", "yes"})


def parse_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in TRUE_STRINGS
    return bool(value)


def _positive_int(value: Any, *, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise errors.invalid_request()
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.invalid_request() from None
    if number < 1 or (maximum is not None and number > maximum):
        raise errors.invalid_request()
    return number


def _check_sort(sort: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for field_name, direction in sort:
        if not isinstance(field_name, str) or direction not in SORT_DIRECTIONS:
            raise errors.invalid_request()
    return sort


def query_from_params(params: dict[str, list[str]]) -> ListQuery:
    """Build a ListQuery from ``parse_qs`` output (``fields[]``, ``sort[0][field]`` …)."""
    query = ListQuery()
    if "pageSize" in params:
        query.page_size = _positive_int(params["pageSize"][-1], maximum=MAX_PAGE_SIZE)
    if "maxRecords" in params:
        query.max_records = _positive_int(params["maxRecords"][-1])
    if params.get("offset", [""])[-1]:
        query.offset = params["offset"][-1]
    if params.get("filterByFormula", [""])[-1]:
        query.formula = params["filterByFormula"][-1]
    query.by_field_id = parse_bool(params.get("returnFieldsByFieldId", ["0"])[-1])
    field_values = [
        v for key, values in params.items() if FIELDS_PARAM.fullmatch(key) for v in values
    ]
    if field_values:
        query.fields = field_values
    query.sort = _check_sort(_sort_from_params(params))
    return query


def _sort_from_params(params: dict[str, list[str]]) -> list[tuple[str, str]]:
    entries: dict[int, dict[str, str]] = {}
    for key, values in params.items():
        match = SORT_PARAM.fullmatch(key)
        if match:
            entries.setdefault(int(match.group(1)), {})[match.group(2)] = values[-1]
    result = []
    for position in sorted(entries):
        entry = entries[position]
        if "field" not in entry:
            raise errors.invalid_request()
        result.append((entry["field"], entry.get("direction", "asc")))
    return result


def query_from_body(body: dict[str, Any]) -> ListQuery:
    """Build a ListQuery from a ``POST …/listRecords`` JSON body."""
    query = ListQuery()
    if body.get("pageSize") is not None:
        query.page_size = _positive_int(body["pageSize"], maximum=MAX_PAGE_SIZE)
    if body.get("maxRecords") is not None:
        query.max_records = _positive_int(body["maxRecords"])
    if body.get("offset"):
        query.offset = str(body["offset"])
    if body.get("filterByFormula"):
        if not isinstance(body["filterByFormula"], str):
            raise errors.invalid_request()
        query.formula = body["filterByFormula"]
    query.by_field_id = parse_bool(body.get("returnFieldsByFieldId", False))
    if body.get("fields") is not None:
        if not isinstance(body["fields"], list):
            raise errors.invalid_request()
        query.fields = [str(name) for name in body["fields"]]
    sort = body.get("sort") or []
    if not isinstance(sort, list) or not all(isinstance(item, dict) for item in sort):
        raise errors.invalid_request()
    query.sort = _check_sort([(item.get("field"), item.get("direction", "asc")) for item in sort])
    return query
