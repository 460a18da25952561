"""Airtable Web API routes (``/v0/…``): request parsing, routing and the endpoint handlers.

Handlers are pure functions of the store and the request; rate limiting, faults and the
request log are applied around them by the HTTP layer (``server.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .ids import RECORD_PREFIX, USER_PREFIX, is_id, looks_like_base_id
from .params import parse_bool, query_from_body, query_from_params
from .requestlog import KIND_META, KIND_READ, KIND_WRITE
from .store import MAX_RECORDS_PER_WRITE, Store

EMULATOR_USER_ID = USER_PREFIX + "Emulator000000"
WHOAMI_SCOPES = [
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
    "schema.bases:write",
]


@dataclass
class ApiRequest:
    method: str
    segments: list[str]  # URL-decoded path segments after /v0
    query: dict[str, list[str]]
    raw_body: bytes
    _parsed: dict[str, Any] | None = field(default=None, repr=False)

    def json(self) -> dict[str, Any]:
        if self._parsed is None:
            if not self.raw_body.strip():
                self._parsed = {}
            else:
                try:
                    parsed = json.loads(self.raw_body)
                except (ValueError, UnicodeDecodeError):
                    raise errors.invalid_json() from None
                if not isinstance(parsed, dict):
                    raise errors.invalid_request("The request body must be a JSON object")
                self._parsed = parsed
        return self._parsed


@dataclass
class ApiResponse:
    status: int
    payload: Any
    record_count: int = 0


@dataclass
class Route:
    kind: str  # read / write / meta
    base_id: str | None
    action: Callable[[ApiRequest], ApiResponse]


def resolve_route(store: Store, method: str, segments: list[str]) -> Route | None:
    """Map ``METHOD /v0/<segments>`` to a handler; None means 404 NOT_FOUND."""
    if segments[:1] == ["meta"]:
        return _meta_route(store, method, segments[1:])
    if not segments or not looks_like_base_id(segments[0]):
        return None
    base_id, rest = segments[0], segments[1:]
    if len(rest) == 3 and rest[2] == "uploadAttachment" and method == "POST":
        return Route(
            KIND_WRITE,
            base_id,
            lambda req: upload_attachment(store, base_id, rest[0], rest[1], req),
        )
    if len(rest) == 1:
        return _table_route(store, method, base_id, rest[0])
    if len(rest) == 2 and rest[1] == "listRecords" and method == "POST":
        return Route(
            KIND_READ,
            base_id,
            lambda req: list_records(store, base_id, rest[0], req, from_body=True),
        )
    if len(rest) == 2:
        return _record_route(store, method, base_id, rest[0], rest[1])
    return None


def _table_route(store: Store, method: str, base_id: str, table: str) -> Route | None:
    actions: dict[str, tuple[str, Callable[[ApiRequest], ApiResponse]]] = {
        "GET": (KIND_READ, lambda req: list_records(store, base_id, table, req, from_body=False)),
        "POST": (KIND_WRITE, lambda req: create_records(store, base_id, table, req)),
        "PATCH": (
            KIND_WRITE,
            lambda req: update_records(store, base_id, table, req, replace=False),
        ),
        "PUT": (KIND_WRITE, lambda req: update_records(store, base_id, table, req, replace=True)),
        "DELETE": (KIND_WRITE, lambda req: delete_records(store, base_id, table, req)),
    }
    if method not in actions:
        return None
    kind, action = actions[method]
    return Route(kind, base_id, action)


def _record_route(
    store: Store, method: str, base_id: str, table: str, record_id: str
) -> Route | None:
    actions: dict[str, tuple[str, Callable[[ApiRequest], ApiResponse]]] = {
        "GET": (KIND_READ, lambda req: get_record(store, base_id, table, record_id, req)),
        "PATCH": (
            KIND_WRITE,
            lambda req: update_record(store, base_id, table, record_id, req, replace=False),
        ),
        "PUT": (
            KIND_WRITE,
            lambda req: update_record(store, base_id, table, record_id, req, replace=True),
        ),
        "DELETE": (KIND_WRITE, lambda req: delete_record(store, base_id, table, record_id)),
    }
    if method not in actions:
        return None
    kind, action = actions[method]
    return Route(kind, base_id, action)


def _meta_route(store: Store, method: str, rest: list[str]) -> Route | None:
    if rest == ["whoami"] and method == "GET":
        return Route(
            KIND_META,
            None,
            lambda _req: ApiResponse(200, {"id": EMULATOR_USER_ID, "scopes": WHOAMI_SCOPES}),
        )
    if rest == ["bases"] and method == "GET":
        return Route(KIND_META, None, lambda _req: ApiResponse(200, {"bases": store.list_bases()}))
    if len(rest) < 3 or rest[0] != "bases" or rest[2] != "tables":
        return None
    base_id, tail = rest[1], rest[3:]
    if not looks_like_base_id(base_id):
        return None
    table_actions: dict[tuple[int, str], Callable[[ApiRequest], ApiResponse]] = {
        (0, "GET"): lambda _req: ApiResponse(200, store.base_schema(base_id)),
        (0, "POST"): lambda req: ApiResponse(
            200, store.create_table(base_id, req.json(), create_base=True)
        ),
    }
    if len(tail) >= 1:
        table = tail[0]
        table_actions[(1, "PATCH")] = lambda req: ApiResponse(
            200, store.update_table(base_id, table, req.json())
        )
        if len(tail) >= 2 and tail[1] == "fields":
            table_actions[(2, "POST")] = lambda req: ApiResponse(
                200, store.create_field(base_id, table, req.json())
            )
        if len(tail) == 3 and tail[1] == "fields":
            table_actions[(3, "PATCH")] = lambda req: ApiResponse(
                200, store.update_field(base_id, table, tail[2], req.json())
            )
    action = table_actions.get((len(tail), method))
    return None if action is None else Route(KIND_META, base_id, action)


# --------------------------------------------------------------------------- records


def list_records(
    store: Store, base_id: str, table: str, req: ApiRequest, *, from_body: bool
) -> ApiResponse:
    query = query_from_body(req.json()) if from_body else query_from_params(req.query)
    page = store.list_records(base_id, table, query)
    return ApiResponse(200, page, len(page["records"]))


def get_record(
    store: Store, base_id: str, table: str, record_id: str, req: ApiRequest
) -> ApiResponse:
    by_field_id = parse_bool(req.query.get("returnFieldsByFieldId", ["0"])[-1])
    record = store.get_record(base_id, table, record_id, by_field_id=by_field_id)
    return ApiResponse(200, record, 1)


def _write_flags(body: dict[str, Any]) -> tuple[bool, bool]:
    return parse_bool(body.get("typecast", False)), parse_bool(
        body.get("returnFieldsByFieldId", False)
    )


def _record_items(body: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    items = body.get("records")
    if not isinstance(items, list) or not items:
        raise errors.invalid_records(f"Provide at least one record to {verb}")
    if len(items) > MAX_RECORDS_PER_WRITE:
        raise errors.invalid_records(
            f"You can {verb} at most {MAX_RECORDS_PER_WRITE} records per request, got {len(items)}"
        )
    if not all(isinstance(item, dict) for item in items):
        raise errors.invalid_records("Each record must be an object")
    return items


def create_records(store: Store, base_id: str, table: str, req: ApiRequest) -> ApiResponse:
    body = req.json()
    typecast, by_field_id = _write_flags(body)
    if "records" in body:
        items = _record_items(body, "create")
        created = store.create_records(
            base_id,
            table,
            [item.get("fields", {}) for item in items],
            typecast=typecast,
            by_field_id=by_field_id,
        )
        return ApiResponse(200, {"records": created}, len(items))
    if "fields" in body:
        created = store.create_records(
            base_id, table, [body["fields"]], typecast=typecast, by_field_id=by_field_id
        )
        return ApiResponse(200, created[0], 1)
    raise errors.invalid_request("Provide either 'records' or 'fields'")


def update_records(
    store: Store, base_id: str, table: str, req: ApiRequest, *, replace: bool
) -> ApiResponse:
    body = req.json()
    typecast, by_field_id = _write_flags(body)
    items = _record_items(body, "update")
    upsert = body.get("performUpsert")
    if upsert is not None:
        if not isinstance(upsert, dict):
            raise errors.invalid_request("performUpsert must be an object")
        result = store.upsert_records(
            base_id,
            table,
            items,
            upsert.get("fieldsToMergeOn"),
            replace=replace,
            typecast=typecast,
            by_field_id=by_field_id,
        )
        return ApiResponse(200, result, len(items))
    for item in items:
        if not isinstance(item.get("id"), str):
            raise errors.invalid_records("Each record to update needs an 'id'")
    updated = store.update_records(
        base_id,
        table,
        [(item["id"], item.get("fields", {})) for item in items],
        replace=replace,
        typecast=typecast,
        by_field_id=by_field_id,
    )
    return ApiResponse(200, {"records": updated}, len(items))


def update_record(
    store: Store, base_id: str, table: str, record_id: str, req: ApiRequest, *, replace: bool
) -> ApiResponse:
    body = req.json()
    typecast, by_field_id = _write_flags(body)
    updated = store.update_records(
        base_id,
        table,
        [(record_id, body.get("fields", {}))],
        replace=replace,
        typecast=typecast,
        by_field_id=by_field_id,
        single=True,
    )
    return ApiResponse(200, updated[0], 1)


def delete_records(store: Store, base_id: str, table: str, req: ApiRequest) -> ApiResponse:
    record_ids = req.query.get("records[]", []) + req.query.get("records", [])
    if not record_ids:
        raise errors.invalid_request("Provide record ids as records[]=rec…")
    if len(record_ids) > MAX_RECORDS_PER_WRITE:
        raise errors.invalid_records(
            f"You can delete at most {MAX_RECORDS_PER_WRITE} records per request,"
            f" got {len(record_ids)}"
        )
    deleted = store.delete_records(base_id, table, record_ids)
    return ApiResponse(200, {"records": deleted}, len(deleted))


def delete_record(store: Store, base_id: str, table: str, record_id: str) -> ApiResponse:
    deleted = store.delete_records(base_id, table, [record_id], single=True)
    return ApiResponse(200, deleted[0], 1)


def upload_attachment(
    store: Store, base_id: str, record_id: str, field_ref: str, req: ApiRequest
) -> ApiResponse:
    body = req.json()
    content_type, filename, encoded = (
        body.get("contentType"),
        body.get("filename"),
        body.get("file"),
    )
    if not (
        isinstance(content_type, str)
        and content_type
        and isinstance(filename, str)
        and filename
        and isinstance(encoded, str)
        and encoded
    ):
        raise errors.invalid_request("contentType, file (base64) and filename are required")
    if not is_id(record_id, RECORD_PREFIX):
        raise errors.record_not_found()
    try:
        size = len(base64.b64decode(encoded))
    except (binascii.Error, ValueError):
        raise errors.invalid_request("file must be base64-encoded") from None
    result = store.upload_attachment(
        base_id, record_id, field_ref, filename=filename, content_type=content_type, size=size
    )
    return ApiResponse(200, result, 1)
