"""The candidate access log: who read which candidate through the API (AVG accountability).

Read views mix in :class:`AccessLogged`; after a successful ``GET`` it writes one row per
candidate in the response with one bulk insert. Rows hold the route name, the API key or
session id and the record ids — never query values (an email searched for) or bodies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from django.db import DatabaseError, connection
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.after_response import run_after_response
from config.api.environment import request_environment

from .models import CandidateAccessLog

logger = structlog.get_logger(__name__)

ACCESS_LOG_RETENTION = timedelta(days=365)


def access_log_record(
    *,
    route: str,
    environment: str,
    record_ids: Iterable[str],
    region_id: UUID | None = None,
    api_key_id: UUID | None = None,
    session_id: UUID | None = None,
    request_id: str = "",
) -> int:
    ids = list(dict.fromkeys(record_ids))  # once per candidate, in response order
    common = {
        "created_at": timezone.now(),
        "route": route[:100],
        "environment": environment,
        "region_id": region_id,
        "api_key_id": api_key_id,
        "session_id": session_id,
        "request_id": request_id[:128],
    }
    if len(ids) == 1:
        # The usual read (find, get by id): one INSERT, which autocommit makes atomic by itself;
        # bulk_create would wrap it in BEGIN … COMMIT, two more round trips per read.
        CandidateAccessLog(record_id=ids[0], **common).save(force_insert=True)
    elif ids and connection.vendor == "postgresql":
        _insert_page(ids, common)
    elif ids:
        CandidateAccessLog.objects.bulk_create(
            [CandidateAccessLog(record_id=record_id, **common) for record_id in ids]
        )
    return len(ids)


# A page's rows differ only in the record id: one INSERT … SELECT over an array of the ids, so
# no BEGIN and COMMIT around it (bulk_create adds both), no model instance per row, and one
# parameter for the ids instead of eight per row (psycopg parses a statement's placeholders on
# every call: ~1 ms of CPU for a page of 100 as VALUES rows).
_INSERT_PAGE = """
INSERT INTO candidates_candidateaccesslog
    (created_at, route, environment, region_id, api_key_id, session_id, request_id, record_id)
SELECT %s::timestamptz, %s, %s, %s::uuid, %s::uuid, %s::uuid, %s, ids.record_id
FROM unnest(%s::text[]) WITH ORDINALITY AS ids(record_id, position)
ORDER BY ids.position
"""


def _insert_page(ids: list[str], common: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_PAGE, [*common.values(), ids])


def access_log_prune(*, now: datetime | None = None) -> int:
    """Delete rows older than a year."""
    cutoff = (now or timezone.now()) - ACCESS_LOG_RETENTION
    deleted, _ = CandidateAccessLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def candidate_ids_in(data: Any) -> list[str]:
    """The candidate record ids a response body shows: a candidate's ``id``, or an
    interaction's ``candidateId``; for a list, each item's; for an export, its candidates'."""
    if isinstance(data, dict) and isinstance(data.get("candidates"), list):
        data = data["candidates"]
    items = data if isinstance(data, list) else [data]
    ids = []
    for item in items:
        if isinstance(item, dict):
            record_id = item.get("candidateId") or item.get("id")
            if isinstance(record_id, str):
                ids.append(record_id)
    return ids


class AccessLogged:
    """Mixin for API views that return candidate data."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            self._log_access(request, response)
        return response

    def _log_access(self, request: Request, response: Response) -> None:
        body = response.data if isinstance(response.data, dict) else {}
        record_ids = candidate_ids_in(body.get("data"))
        if not record_ids:
            return
        principal = request.user
        session = getattr(principal, "session", None)
        api_key = getattr(principal, "api_key", None)
        region = getattr(principal, "region", None)
        match = request.resolver_match
        entry = {
            "route": match.url_name if match and match.url_name else request.path,
            "environment": request_environment(request),
            "record_ids": record_ids,
            "region_id": region.pk if region is not None else None,
            "api_key_id": api_key.pk if api_key is not None else None,
            "session_id": session.pk if session is not None else None,
            "request_id": getattr(request, "request_id", "") or "",
        }
        # Written once the response is sent: an audit row per read, off the read's latency.
        run_after_response(lambda: _record_safely(**entry))


def _record_safely(**entry: Any) -> None:
    try:
        access_log_record(**entry)
    except DatabaseError as exc:
        # The read already succeeded; losing its log row must not turn it into a 500.
        logger.error("access_log.write_failed", error=type(exc).__name__)
