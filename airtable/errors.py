"""Every failed Airtable request as one :class:`AirtableError`, classified once for every
caller: ``rate_limited`` (429), ``retryable`` (5xx, timeouts, connection errors, unreadable
responses) or ``permanent`` (any other 4xx), with ``ambiguous`` (a write may have been applied
although no success answer arrived) and the ``scope`` of a 4xx (record, table or base).

Split from ``airtable/gateway.py``: the gateway sends the request, this module reads what
came back. Callers outside ``airtable`` take the error and its kinds from the gateway, which
re-exports them.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

MAX_ERROR_MESSAGE_CHARS = 1000  # error messages end up in mutation rows; keep them bounded

KIND_RATE_LIMITED = "rate_limited"
KIND_RETRYABLE = "retryable"
KIND_PERMANENT = "permanent"
ERROR_KINDS = (KIND_RATE_LIMITED, KIND_RETRYABLE, KIND_PERMANENT)

# error_type values for failures that never got an Airtable error body.
ERROR_TIMEOUT = "TIMEOUT"
ERROR_CONNECTION = "CONNECTION_ERROR"
ERROR_INVALID_RESPONSE = "INVALID_RESPONSE"
ERROR_REQUEST = "REQUEST_ERROR"

HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429

# What a 4xx is about. A missing table or base is configuration (a wrong base id, a misnamed
# table in the layout, a token without access), never "this record does not exist": callers
# must stop rather than count a delete as done or a record as gone.
SCOPE_RECORD = "record"
SCOPE_TABLE = "table"
SCOPE_BASE = "base"
RECORD_NOT_FOUND_TYPES = frozenset({"MODEL_ID_NOT_FOUND", "ROW_DOES_NOT_EXIST"})
# Real Airtable has answered an unknown table with 404 TABLE_NOT_FOUND, and (personal access
# tokens) with 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND, which also covers an unknown base;
# the legacy ``{"error": "NOT_FOUND"}`` body answers an unknown base or route.
TABLE_NOT_FOUND_TYPES = frozenset({"TABLE_NOT_FOUND"})
BASE_NOT_FOUND_TYPES = frozenset(
    {"NOT_FOUND", "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", "INVALID_PERMISSIONS"}
)
HTTP_SERVER_ERROR = 500


class AirtableError(Exception):
    """Any failed Airtable request, classified once for every caller."""

    def __init__(
        self,
        *,
        kind: str,
        message: str,
        status: int | None = None,
        error_type: str | None = None,
        ambiguous: bool = False,
        scope: str | None = None,
    ) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown Airtable error kind {kind!r}")
        super().__init__(f"{error_type or kind}: {message}")
        self.kind = kind
        self.status = status
        self.error_type = error_type
        self.message = message
        self.ambiguous = ambiguous
        self.scope = scope

    @property
    def retryable(self) -> bool:
        return self.kind != KIND_PERMANENT

    @property
    def record_not_found(self) -> bool:
        return self.scope == SCOPE_RECORD

    @property
    def table_or_base_not_found(self) -> bool:
        """The table or base cannot be reached: configuration, never a missing record."""
        return self.scope in (SCOPE_TABLE, SCOPE_BASE)

    def __repr__(self) -> str:
        return (
            f"AirtableError(kind={self.kind!r}, status={self.status!r}, "
            f"error_type={self.error_type!r}, ambiguous={self.ambiguous!r})"
        )


def classify_request_exception(exc: requests.RequestException, *, writes: bool) -> AirtableError:
    """Map what requests/pyairtable raised to an :class:`AirtableError`.

    ``writes`` says whether the request could change data; only then can a lost answer leave
    the caller unsure whether it was applied (``ambiguous``).
    """
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return _from_response(exc.response, writes=writes)
    if isinstance(exc, requests.ConnectTimeout):
        return AirtableError(
            kind=KIND_RETRYABLE,
            error_type=ERROR_TIMEOUT,
            ambiguous=False,
            message="Timed out connecting to Airtable",
        )
    if isinstance(exc, requests.ReadTimeout):
        return AirtableError(
            kind=KIND_RETRYABLE,
            error_type=ERROR_TIMEOUT,
            ambiguous=writes,
            message="Timed out waiting for Airtable's answer",
        )
    if isinstance(exc, requests.ConnectionError):
        sent = not _never_sent(exc)
        return AirtableError(
            kind=KIND_RETRYABLE,
            error_type=ERROR_CONNECTION,
            ambiguous=writes and sent,
            message=(
                "Connection to Airtable lost before an answer arrived"
                if sent
                else "Could not connect to Airtable"
            ),
        )
    if isinstance(
        exc,
        requests.exceptions.InvalidJSONError
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    ):
        return invalid_response(writes=writes)
    # Invalid URL, missing schema and the like: configuration, not weather.
    return AirtableError(
        kind=KIND_PERMANENT,
        error_type=ERROR_REQUEST,
        message=f"Request to Airtable could not be made ({type(exc).__name__})",
    )


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection itself failed (refused, DNS, TLS), so nothing was sent."""
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _from_response(response: requests.Response, *, writes: bool) -> AirtableError:
    status = response.status_code
    error_type, message = _error_body(response)
    if status == HTTP_TOO_MANY_REQUESTS:
        kind = KIND_RATE_LIMITED
    elif status >= HTTP_SERVER_ERROR:
        kind = KIND_RETRYABLE
    else:
        kind = KIND_PERMANENT
    # A 5xx may come from a proxy after Airtable committed the write; treat it as unknown.
    ambiguous = writes and status >= HTTP_SERVER_ERROR
    return AirtableError(
        kind=kind,
        status=status,
        error_type=error_type,
        message=message[:MAX_ERROR_MESSAGE_CHARS],
        ambiguous=ambiguous,
        scope=_scope(status, error_type),
    )


def _scope(status: int, error_type: str | None) -> str | None:
    if error_type in TABLE_NOT_FOUND_TYPES:
        return SCOPE_TABLE
    if error_type in BASE_NOT_FOUND_TYPES:
        return SCOPE_BASE
    if error_type in RECORD_NOT_FOUND_TYPES:
        return SCOPE_RECORD
    if status == HTTP_NOT_FOUND:
        return SCOPE_BASE  # a 404 without a record error type: nothing tells it is a record
    return None


def with_context(error: AirtableError, *, base_id: str, table: str | None) -> AirtableError:
    """The same error, with a message an operator can act on."""
    where = f'table "{table}" in base {base_id}' if table else f"base {base_id}"
    if error.scope == SCOPE_TABLE:
        what = f"Airtable has no {where}"
    else:
        what = f"Airtable refused access to {where} (unknown base or table, or no permission)"
    return AirtableError(
        kind=error.kind,
        status=error.status,
        error_type=error.error_type,
        message=(
            f"{what}: check AIRTABLE_BASE_ID, the token's access and the table names of "
            f"the Airtable layout ({error.message})"
        )[:MAX_ERROR_MESSAGE_CHARS],
        ambiguous=error.ambiguous,
        scope=error.scope,
    )


def _error_body(response: requests.Response) -> tuple[str | None, str]:
    """(type, message) from any of Airtable's error body shapes:
    ``{"error": {"type", "message"}}``, ``{"error": "NOT_FOUND"}`` and, for 429,
    ``{"errors": [{"error": "RATE_LIMIT_REACHED", "message"}]}``."""
    fallback = f"HTTP {response.status_code} {response.reason or ''}".strip()
    try:
        body = response.json()
    except ValueError:
        return None, fallback
    if not isinstance(body, dict):
        return None, fallback
    error = body.get("error")
    if isinstance(error, dict):
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        message = error.get("message")
        return error_type, message if isinstance(message, str) else (error_type or fallback)
    if isinstance(error, str):
        message = body.get("message")
        return error, message if isinstance(message, str) else error
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        error_type = first.get("error") or first.get("type")
        error_type = error_type if isinstance(error_type, str) else None
        message = first.get("message")
        return error_type, message if isinstance(message, str) else (error_type or fallback)
    return None, fallback


def invalid_response(*, writes: bool) -> AirtableError:
    return AirtableError(
        kind=KIND_RETRYABLE,
        error_type=ERROR_INVALID_RESPONSE,
        ambiguous=writes,
        message="Airtable's answer could not be read",
    )
