"""The one module that talks to Airtable (SPEC 11), built on pyairtable.

Contract (callers depend on it; easy to break):

* Every public method of :class:`AirtableGateway` sends exactly ONE HTTP request, so callers
  can count each call against the per-base rate limit. Nothing here paginates, chunks or
  retries: pyairtable's retry strategy is off and the Mutation Engine owns retries.
* Writes take at most :data:`MAX_RECORDS_PER_WRITE` records; more raise ``ValueError`` before
  anything is sent.
* Every failure surfaces as one :class:`AirtableError`, classified once: ``rate_limited``
  (429), ``retryable`` (5xx, timeouts, connection errors, unreadable responses) or
  ``permanent`` (any other 4xx). ``ambiguous`` is True when a write may have been applied
  although no success answer arrived. The classification lives in ``airtable/errors.py``;
  the error and its kinds are re-exported here.
* Results are Airtable's raw JSON (plain dicts), never pyairtable model objects.
* Logs carry base, table, operation, status, error type and duration — never field values,
  which hold personal data.
"""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
import structlog
from django.conf import settings
from pyairtable import Api
from pyairtable.api.table import Table
from pyairtable.utils import Url
from urllib3.util import Timeout

from config.api.environment import PRODUCTION, SANDBOX

from .errors import (
    HTTP_NOT_FOUND,
    AirtableError,
    classify_request_exception,
    invalid_response,
    with_context,
)

# The error and its kinds are part of this module's contract (re-exported: ``as`` marks it);
# the classification itself lives in ``airtable/errors.py``.
from .errors import KIND_PERMANENT as KIND_PERMANENT
from .errors import KIND_RATE_LIMITED as KIND_RATE_LIMITED
from .errors import KIND_RETRYABLE as KIND_RETRYABLE

logger = structlog.get_logger(__name__)

MAX_RECORDS_PER_WRITE = 10
MAX_PAGE_SIZE = 100
MAX_MERGE_FIELDS = 3  # performUpsert.fieldsToMergeOn takes 1-3 fields
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the upload-attachment endpoint's limit
API_VERSION = "v0"


@dataclass(frozen=True)
class RecordPage:
    records: list[dict[str, Any]]  # raw: {"id", "createdTime", "fields"}
    offset: str | None  # pass back to list_records for the next page; None on the last page


@dataclass(frozen=True)
class UpsertResult:
    records: list[dict[str, Any]]  # in request order
    created_ids: list[str]
    updated_ids: list[str]


class AirtableGateway:
    """One Airtable base. Each public method is exactly one HTTP request (see module doc)."""

    def __init__(
        self,
        base_id: str,
        *,
        token: str,
        api_url: str,
        content_url: str,
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> None:
        self.base_id = base_id
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._api = Api(
            token,
            endpoint_url=api_url.rstrip("/"),
            # pyairtable's annotation says ints; requests (which gets the tuple) takes floats.
            timeout=(connect_timeout_s, read_timeout_s),  # type: ignore[arg-type]
            retry_strategy=None,
        )
        self._base = self._api.base(base_id)
        self._content_url = Url(content_url.rstrip("/"))

    def __repr__(self) -> str:
        return f"<AirtableGateway base={self.base_id} api={self._api.endpoint_url}>"

    @property
    def request_timeout_s(self) -> float:
        """The longest one request may take: connect plus read timeout."""
        return sum(self._timeouts)

    @contextmanager
    def deadline(self, total_s: float) -> Iterator[None]:
        """Bound each request made inside by ``total_s`` in all (connect and the wait for the
        answer together, urllib3's total timeout), not only per socket read. The engine keeps
        it shorter than the lease it sends under. Not thread-safe: one gateway per thread."""
        if total_s <= 0:
            raise ValueError("a request deadline must be positive")
        connect, read = self._timeouts
        previous = self._api.timeout
        self._api.timeout = Timeout(  # type: ignore[assignment]
            connect=min(connect, total_s), read=min(read, total_s), total=total_s
        )
        try:
            yield
        finally:
            self._api.timeout = previous

    # ------------------------------------------------------------------ records

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
        """One page. ``sort`` takes column names, ``-`` prefixed for descending."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        options: dict[str, Any] = {"page_size": page_size}
        if formula:
            options["formula"] = formula
        if fields is not None:
            options["fields"] = list(fields)
        if offset:
            options["offset"] = offset
        if sort:
            options["sort"] = list(sort)
        tbl = self._table(table)
        # Airtable caps URLs at 16k characters; pyairtable then sends the same query as one
        # POST …/listRecords instead — still a single request.
        data = self._call(
            "list_records",
            table,
            writes=False,
            send=lambda: self._api.request(
                "GET", tbl.urls.records, options=options, fallback=("POST", tbl.urls.records_post)
            ),
        )
        return RecordPage(
            records=_records(data, writes=False), offset=_get(data, "offset", str, None)
        )

    def get_record(self, table: str, record_id: str) -> dict[str, Any] | None:
        """The raw record, or None when Airtable answers 404."""
        tbl = self._table(table)
        data = self._call(
            "get_record",
            table,
            writes=False,
            none_on_404=True,
            send=lambda: self._api.get(tbl.urls.record(record_id)),
        )
        return None if data is None else _record(data, writes=False)

    def create_records(
        self, table: str, fields_list: Sequence[Mapping[str, Any]], *, typecast: bool = False
    ) -> list[dict[str, Any]]:
        _check_batch(fields_list)
        body = {"records": [{"fields": dict(f)} for f in fields_list], "typecast": typecast}
        tbl = self._table(table)
        data = self._call(
            "create_records",
            table,
            writes=True,
            send=lambda: self._api.post(tbl.urls.records, json=body),
        )
        return _records(data, writes=True)

    def upsert_records(
        self,
        table: str,
        fields_list: Sequence[Mapping[str, Any]],
        *,
        merge_on: Sequence[str],
        typecast: bool = False,
    ) -> UpsertResult:
        """``performUpsert``: per record, one match on ``merge_on`` updates it, none creates."""
        _check_batch(fields_list)
        if not 1 <= len(merge_on) <= MAX_MERGE_FIELDS:
            raise ValueError(f"merge_on takes 1..{MAX_MERGE_FIELDS} columns")
        for fields in fields_list:
            missing = [name for name in merge_on if name not in fields]
            if missing:
                raise ValueError(f"every record needs the merge_on columns; missing {missing}")
        body = {
            "records": [{"fields": dict(f)} for f in fields_list],
            "performUpsert": {"fieldsToMergeOn": list(merge_on)},
            "typecast": typecast,
        }
        tbl = self._table(table)
        data = self._call(
            "upsert_records",
            table,
            writes=True,
            send=lambda: self._api.patch(tbl.urls.records, json=body),
        )
        return UpsertResult(
            records=_records(data, writes=True),
            created_ids=_id_list(data, "createdRecords"),
            updated_ids=_id_list(data, "updatedRecords"),
        )

    def update_records(
        self,
        table: str,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        replace: bool = False,
        typecast: bool = False,
    ) -> list[dict[str, Any]]:
        """``replace=True`` (PUT) clears every column not given; the default (PATCH) does not."""
        _check_batch(updates)
        body = {
            "records": [{"id": record_id, "fields": dict(fields)} for record_id, fields in updates],
            "typecast": typecast,
        }
        tbl = self._table(table)
        method = "PUT" if replace else "PATCH"
        data = self._call(
            "update_records",
            table,
            writes=True,
            send=lambda: self._api.request(method, tbl.urls.records, json=body),
        )
        return _records(data, writes=True)

    def delete_records(self, table: str, record_ids: Sequence[str]) -> list[str]:
        """The ids Airtable reports deleted. A missing id fails the whole request (422)."""
        _check_batch(record_ids)
        tbl = self._table(table)
        data = self._call(
            "delete_records",
            table,
            writes=True,
            send=lambda: self._api.delete(tbl.urls.records, params={"records[]": list(record_ids)}),
        )
        return [
            item["id"]
            for item in _get(data, "records", list, [])
            if isinstance(item, dict) and item.get("deleted") and isinstance(item.get("id"), str)
        ]

    def upload_attachment(
        self, record_id: str, field: str, *, filename: str, content_type: str, content: bytes
    ) -> dict[str, Any]:
        """Append a file to an attachment column. Airtable answers ``{"id", "createdTime",
        "fields": {<field id>: [attachments…]}}`` — keyed by field id, not name."""
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValueError(f"attachments above {MAX_UPLOAD_BYTES} bytes cannot be uploaded")
        # pyairtable hard-codes content.airtable.com here; the URL is a setting so the
        # emulator can stand in, hence the URL is built from the content URL ourselves.
        url = self._content_url.add_path(
            API_VERSION,
            self.base_id,
            urllib.parse.quote(record_id, safe=""),
            urllib.parse.quote(field, safe=""),
            "uploadAttachment",
        )
        body = {
            "contentType": content_type,
            "filename": filename,
            "file": base64.b64encode(content).decode("ascii"),
        }
        data = self._call(
            "upload_attachment", None, writes=True, send=lambda: self._api.post(url, json=body)
        )
        return _record(data, writes=True)

    # ------------------------------------------------------------------ metadata

    def schema(self) -> list[dict[str, Any]]:
        """Every table: ``{"id", "name", "primaryFieldId", "fields": [{"id", "name", "type",
        "options"?}], …}`` as Airtable's metadata API returns it."""
        data = self._call(
            "schema", None, writes=False, send=lambda: self._api.get(self._base.urls.tables)
        )
        tables = _get(data, "tables", list, None)
        if tables is None or not all(isinstance(t, dict) for t in tables):
            raise invalid_response(writes=False)
        return tables

    def create_table(
        self, name: str, fields: Sequence[Mapping[str, Any]], description: str | None = None
    ) -> dict[str, Any]:
        """The first field becomes the primary field. Returns the new table's schema."""
        body: dict[str, Any] = {"name": name, "fields": [dict(f) for f in fields]}
        if description:
            body["description"] = description
        data = self._call(
            "create_table",
            name,
            writes=True,
            send=lambda: self._api.post(self._base.urls.tables, json=body),
        )
        return _dict(data, writes=True)

    def create_field(
        self,
        table_id: str,
        name: str,
        field_type: str,
        options: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "type": field_type}
        if options:
            body["options"] = dict(options)
        if description:
            body["description"] = description
        url = self._base.urls.tables / urllib.parse.quote(table_id, safe="") / "fields"
        data = self._call(
            "create_field", table_id, writes=True, send=lambda: self._api.post(url, json=body)
        )
        return _dict(data, writes=True)

    # ------------------------------------------------------------------ plumbing

    def _table(self, table: str) -> Table:
        return self._base.table(table)  # no request: pyairtable resolves names lazily

    def _call(
        self,
        operation: str,
        table: str | None,
        *,
        writes: bool,
        send: Callable[[], Any],
        none_on_404: bool = False,
    ) -> Any:
        started = time.monotonic()
        try:
            result = send()
        except requests.RequestException as exc:
            error = classify_request_exception(exc, writes=writes)
            if error.table_or_base_not_found:
                error = with_context(error, base_id=self.base_id, table=table)
            if none_on_404 and error.record_not_found:
                self._log(operation, table, started, status=HTTP_NOT_FOUND)
                return None
            self._log(operation, table, started, error=error)
            raise error from exc
        self._log(operation, table, started, status=200)
        return result

    def _log(
        self,
        operation: str,
        table: str | None,
        started: float,
        *,
        status: int | None = None,
        error: AirtableError | None = None,
    ) -> None:
        fields: dict[str, Any] = {
            "base": self.base_id,
            "table": table,
            "operation": operation,
            "status": error.status if error else status,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        if error is None:
            logger.debug("airtable_request", **fields)
        else:
            logger.warning(
                "airtable_request_failed",
                **fields,
                error_kind=error.kind,
                error_type=error.error_type,
                ambiguous=error.ambiguous,
            )


# ---------------------------------------------------------------------- response shapes


def _get(data: Any, key: str, type_: type, default: Any) -> Any:
    value = data.get(key, default) if isinstance(data, dict) else default
    return value if isinstance(value, type_) else default


def _dict(data: Any, *, writes: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise invalid_response(writes=writes)
    return data


def _record(data: Any, *, writes: bool) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise invalid_response(writes=writes)
    return data


def _records(data: Any, *, writes: bool) -> list[dict[str, Any]]:
    records = _get(data, "records", list, None)
    if records is None:
        raise invalid_response(writes=writes)
    return [_record(item, writes=writes) for item in records]


def _id_list(data: Any, key: str) -> list[str]:
    return [item for item in _get(data, key, list, []) if isinstance(item, str)]


def _check_batch(items: Sequence[Any]) -> None:
    if not items:
        raise ValueError("nothing to send: pass at least one record")
    if len(items) > MAX_RECORDS_PER_WRITE:
        raise ValueError(
            f"Airtable takes at most {MAX_RECORDS_PER_WRITE} records per request; "
            f"got {len(items)} (batch them in the caller)"
        )


# ---------------------------------------------------------------------- construction


def base_id_for_environment(environment: str) -> str:
    base_ids = {PRODUCTION: settings.AIRTABLE_BASE_ID, SANDBOX: settings.AIRTABLE_SANDBOX_BASE_ID}
    try:
        return base_ids[environment]
    except KeyError:
        raise ValueError(f"unknown environment {environment!r}") from None


# Turns AIRTABLE_LAYOUT_FILE into a ``mapped.BaseMapping``; registered by the app that knows
# the field catalogue (this module knows no domain). None: every base has the default layout.
MappingLoader = Callable[[str], Any]
_mapping_loader: MappingLoader | None = None


def register_mapping_loader(loader: MappingLoader) -> None:
    global _mapping_loader
    _mapping_loader = loader


def gateway_for_environment(environment: str) -> AirtableGateway:
    """The gateway for the production or sandbox base, configured from settings.

    Settings are read on every call (so overrides take effect); gateways are shared per
    configuration so their HTTP connections are reused. With ``AIRTABLE_LAYOUT_FILE`` set the
    gateway translates the default layout's names to the base's (``airtable/mapped.py``).
    """
    return _shared_gateway(
        base_id_for_environment(environment),
        token=settings.AIRTABLE_TOKEN,
        api_url=settings.AIRTABLE_API_URL,
        content_url=settings.AIRTABLE_CONTENT_URL,
        connect_timeout_s=float(settings.AIRTABLE_CONNECT_TIMEOUT_S),
        read_timeout_s=float(settings.AIRTABLE_READ_TIMEOUT_S),
        layout_file=settings.AIRTABLE_LAYOUT_FILE or "",
    )


@lru_cache(maxsize=16)
def _shared_gateway(
    base_id: str,
    *,
    token: str,
    api_url: str,
    content_url: str,
    connect_timeout_s: float,
    read_timeout_s: float,
    layout_file: str = "",
) -> AirtableGateway:
    options: dict[str, Any] = {
        "token": token,
        "api_url": api_url,
        "content_url": content_url,
        "connect_timeout_s": connect_timeout_s,
        "read_timeout_s": read_timeout_s,
    }
    if layout_file and _mapping_loader is not None:
        from .mapped import MappedGateway

        return MappedGateway(base_id, mapping=_mapping_loader(layout_file), **options)
    return AirtableGateway(base_id, **options)
