"""Keyset pagination with signed, opaque cursors (SPEC 2).

Rows are ordered by ``(created_at, id)``; a cursor names the last row of the previous page, so
following cursors never repeats or skips a row while rows are inserted or updated elsewhere.
Cursors are signed with the project secret: a tampered cursor is a 400, not a probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet

from .errors import BadRequest, ErrorDetail

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 100
CURSOR_SALT = "ats.api.cursor.v1"


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def parse_page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequest(
            "pageSize must be a whole number from 1 to 100.",
            details=[ErrorDetail("pageSize", f"Expected 1–{MAX_PAGE_SIZE}, got {raw!r}.")],
        )
    return size


def _encode(created_at: datetime, pk: Any, scope: str) -> str:
    return signing.dumps([created_at.isoformat(), str(pk), scope], salt=CURSOR_SALT, compress=True)


def _decode(cursor: str, scope: str) -> tuple[datetime, str]:
    try:
        created, pk, cursor_scope = signing.loads(cursor, salt=CURSOR_SALT)
        if cursor_scope != scope:
            raise ValueError("cursor from another listing")
        return datetime.fromisoformat(created), pk
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadRequest(
            "The cursor is not valid. Use meta.cursor of the previous page unchanged.",
            details=[ErrorDetail("cursor", "Invalid or tampered cursor.")],
        ) from exc


def paginate(
    queryset: QuerySet[Model],
    *,
    cursor: str | None,
    page_size: int,
    scope: str,
    created_field: str = "created_at",
    id_field: str = "pk",
) -> Page:
    """One page of ``queryset`` after ``cursor``. ``scope`` binds a cursor to its listing."""
    qs = queryset.order_by(created_field, id_field)
    if cursor:
        created, pk = _decode(cursor, scope)
        qs = qs.filter(
            Q(**{f"{created_field}__gt": created})
            | Q(**{created_field: created, f"{id_field}__gt": pk})
        )
    rows = list(qs[: page_size + 1])
    items = rows[:page_size]
    next_cursor = None
    if len(rows) > page_size:
        last = items[-1]
        next_cursor = _encode(getattr(last, created_field), getattr(last, id_field), scope)
    return Page(items=items, next_cursor=next_cursor)
