from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import BadRequest, PayloadTooLarge

# Deeper than any payload the API defines (a candidate with an inline interaction is 4 levels);
# bounds every recursive walk that follows (schema validation, rendering).
MAX_JSON_DEPTH = 32


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    """JSON only, bounded in size, no NaN/Infinity, and the top level must be an object."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        if not raw:
            raise BadRequest("The request body is empty; send a JSON object.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"Malformed JSON: {exc}") from None
        except RecursionError:
            raise BadRequest(_too_deep_message()) from None
        if not isinstance(data, dict):
            raise BadRequest("The request body must be a JSON object.")
        _reject_unstorable_text(data)
        return data


def _too_deep_message() -> str:
    return f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."


def _reject_unstorable_text(value: Any) -> None:
    """NUL characters and lone surrogates are valid JSON escapes but cannot be stored in
    Postgres text or encoded as UTF-8 for Airtable: refuse them up front, not with a 500.
    Nesting deeper than ``MAX_JSON_DEPTH`` is refused on the same walk."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > MAX_JSON_DEPTH:
            raise BadRequest(_too_deep_message())
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise BadRequest("Strings may not contain NUL (\\u0000) characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest("Strings may not contain unpaired UTF-16 surrogates.") from None
