"""Airtable-compatible error responses.

Each factory returns an :class:`ApiError` carrying the HTTP status and the exact JSON body
shape Airtable uses, so clients can be tested against realistic failures.
"""

from __future__ import annotations

from typing import Any

HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_PAYLOAD_TOO_LARGE = 413
HTTP_UNPROCESSABLE = 422
HTTP_TOO_MANY_REQUESTS = 429

PARAMETER_VALIDATION_MESSAGE = (
    "Invalid request: parameter validation failed. Check your request data."
)
MODEL_NOT_FOUND_MESSAGE = (
    "Invalid permissions, or the requested model was not found. Check that both your user"
    " and your token have the required permissions, and that the model names and/or ids"
    " are correct."
)
RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please try again later"

# Error type for an upsert whose merge fields match more than one record. Airtable documents
# that such a request fails but not the exact type string; this is the emulator's choice.
UPSERT_MULTIPLE_MATCHES = "INVALID_RECORDS"

_SERVER_ERROR_TYPES = {
    500: ("SERVER_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Airtable's servers are restarting or an outage is in progress"),
    503: ("SERVICE_UNAVAILABLE", "The server could not process your request in time"),
    504: ("GATEWAY_TIMEOUT", "The server timed out processing your request"),
}


class ApiError(Exception):
    """An error answered to the client as ``status`` with a JSON ``payload``."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str | None = None,
        *,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message
        self._payload = payload

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is not None:
            return self._payload
        error: dict[str, Any] = {"type": self.error_type}
        if self.message is not None:
            error["message"] = self.message
        return {"error": error}


def authentication_required() -> ApiError:
    return ApiError(HTTP_UNAUTHORIZED, "AUTHENTICATION_REQUIRED", "Authentication required")


def route_not_found() -> ApiError:
    # Airtable answers unknown routes with the legacy string form of the error body.
    return ApiError(HTTP_NOT_FOUND, "NOT_FOUND", payload={"error": "NOT_FOUND"})


def model_not_found() -> ApiError:
    return ApiError(
        HTTP_FORBIDDEN, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", MODEL_NOT_FOUND_MESSAGE
    )


def table_not_found(table_ref: str, base_id: str) -> ApiError:
    """How real Airtable has answered an unknown table name (the 404 form)."""
    return ApiError(
        HTTP_NOT_FOUND,
        "TABLE_NOT_FOUND",
        f'Could not find table "{table_ref}" in application {base_id}',
    )


def record_not_found() -> ApiError:
    return ApiError(HTTP_NOT_FOUND, "MODEL_ID_NOT_FOUND", "Record not found")


def row_does_not_exist(record_id: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "ROW_DOES_NOT_EXIST",
        f"Record ID {record_id} does not exist in this table",
    )


def linked_row_does_not_exist(record_id: str, field_name: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "ROW_DOES_NOT_EXIST",
        f'Record ID {record_id} for field "{field_name}" does not exist',
    )


def invalid_records(message: str) -> ApiError:
    return ApiError(HTTP_UNPROCESSABLE, "INVALID_RECORDS", message)


def unknown_field_name(name: str) -> ApiError:
    return ApiError(HTTP_UNPROCESSABLE, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')


def invalid_value_for_column(field_name: str, detail: str | None = None) -> ApiError:
    message = f'Field "{field_name}" cannot accept the provided value'
    if detail:
        message = f"{message}: {detail}"
    return ApiError(HTTP_UNPROCESSABLE, "INVALID_VALUE_FOR_COLUMN", message)


def computed_field(field_name: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "INVALID_VALUE_FOR_COLUMN",
        f'Field "{field_name}" cannot accept a value because the field is computed',
    )


def invalid_select_option(value: str) -> ApiError:
    # Airtable's own message doubles the quotes around the option name.
    return ApiError(
        HTTP_UNPROCESSABLE,
        "INVALID_MULTIPLE_CHOICE_OPTIONS",
        f'Insufficient permissions to create new select option ""{value}""',
    )


def invalid_filter(detail: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "INVALID_FILTER_BY_FORMULA",
        f"The formula for filtering records is invalid: {detail}",
    )


def invalid_request(message: str = PARAMETER_VALIDATION_MESSAGE) -> ApiError:
    return ApiError(HTTP_UNPROCESSABLE, "INVALID_REQUEST_UNKNOWN", message)


def invalid_offset(value: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE, "INVALID_OFFSET_VALUE", f"The value of offset {value} is invalid"
    )


def iterator_not_available() -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
        "The list records iterator is no longer available; restart the listing",
    )


def invalid_json() -> ApiError:
    return ApiError(
        HTTP_BAD_REQUEST, "INVALID_REQUEST_BODY", "The request body could not be parsed as JSON"
    )


def request_too_large() -> ApiError:
    return ApiError(
        HTTP_PAYLOAD_TOO_LARGE,
        "REQUEST_TOO_LARGE",
        "The request exceeded the maximum allowed payload size",
    )


def attachment_too_large(limit_bytes: int) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "INVALID_ATTACHMENT_UPLOAD",
        f"Attachment exceeds the maximum upload size of {limit_bytes} bytes;"
        " upload larger files by URL instead",
    )


def duplicate_field_name(name: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "DUPLICATE_OR_EMPTY_FIELD_NAME",
        f'Field name "{name}" is empty or already exists in this table',
    )


def duplicate_table_name(name: str) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "DUPLICATE_TABLE_NAME",
        f'Table name "{name}" already exists in this base',
    )


def invalid_field_type(field_type: object) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        "UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
        f"Field type {field_type!r} is not supported by this emulator",
    )


def invalid_field_options(detail: str) -> ApiError:
    return ApiError(HTTP_UNPROCESSABLE, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE", detail)


def upsert_multiple_matches(count: int) -> ApiError:
    return ApiError(
        HTTP_UNPROCESSABLE,
        UPSERT_MULTIPLE_MATCHES,
        f"Cannot upsert: fieldsToMergeOn matched {count} records; at most one"
        " existing record may match",
    )


def rate_limited() -> ApiError:
    # Real 429 bodies use the plural "errors" list, unlike every other error.
    payload = {"errors": [{"error": "RATE_LIMIT_REACHED", "message": RATE_LIMIT_MESSAGE}]}
    return ApiError(
        HTTP_TOO_MANY_REQUESTS, "RATE_LIMIT_REACHED", RATE_LIMIT_MESSAGE, payload=payload
    )


def server_error(status: int) -> ApiError:
    error_type, message = _SERVER_ERROR_TYPES.get(status, ("SERVER_ERROR", "Server error"))
    return ApiError(status, error_type, message)
