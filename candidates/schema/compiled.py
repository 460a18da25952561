"""Generated schemas and their compiled validators, cached per region and operation.

A candidate schema is cached in Django's cache (Redis, shared by every process) under a key that
changes with the region's custom field definitions and with the generator's own output (a
deploy), and compiled once per process; the interaction and attachment schemas do not depend on
the region and are compiled once. A Redis outage costs a rebuild, never a failed request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import structlog
from django.core.cache import cache as django_cache
from django.db.models import Count, Max
from jsonschema import Draft202012Validator
from jsonschema import validators as jsonschema_validators

from regions.models import CustomField, Region

from .build import (
    OPERATIONS,
    _check_operation,
    attachments_json_schema,
    build_candidate_json_schema,
    interaction_json_schema,
)

logger = structlog.get_logger(__name__)

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
SCHEMA_CACHE_TIMEOUT_S = 24 * 3600
_LOCAL_VALIDATORS_MAX = 256


def _skipped_over_max_items(keyword: str) -> Any:
    """``keyword`` (items, uniqueItems) as in draft 2020-12, except that an array already longer
    than its ``maxItems`` is not walked: ``maxItems`` reports it, in constant time."""
    check = Draft202012Validator.VALIDATORS[keyword]

    def bounded(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        limit = schema.get("maxItems")
        if limit is not None and validator.is_type(instance, "array") and len(instance) > limit:
            return
        yield from check(validator, value, instance, schema)

    return bounded


# Same verdict as Draft202012Validator (maxItems still fails the array); fewer, cheaper errors.
BoundedValidator = jsonschema_validators.extend(
    Draft202012Validator,
    {keyword: _skipped_over_max_items(keyword) for keyword in ("items", "uniqueItems")},
)


@dataclass(frozen=True)
class _Compiled:
    schema: dict[str, Any]
    validator: Draft202012Validator


_local: dict[str, _Compiled] = {}


@cache
def _generator_fingerprint() -> str:
    """Changes when ``build.py`` generates a different schema (a deploy), so cached schemas of
    the previous code are not served."""
    probe = Region(code="probe")
    generated = [
        build_candidate_json_schema(region=probe, custom_fields=(), operation=op)
        for op in OPERATIONS
    ]
    return hashlib.sha256(json.dumps(generated, sort_keys=True).encode()).hexdigest()[:12]


def _custom_fields_version(region: Region) -> str:
    """Changes whenever a definition of the region is added, edited or removed."""
    stats = CustomField.objects.filter(region=region).aggregate(
        n=Count("id"), latest=Max("updated_at")
    )
    latest = stats["latest"].timestamp() if stats["latest"] else 0
    return f"{stats['n']}.{latest:.6f}"


def _shared_cache_get(key: str) -> Any:
    # The shared cache is Redis: an outage must cost a rebuild, never a failed request.
    try:
        return django_cache.get(key)
    except Exception:  # redis-py raises its own ConnectionError/TimeoutError
        logger.warning("candidates.schema_cache_unavailable")
        return None


def _shared_cache_set(key: str, schema: dict[str, Any]) -> None:
    try:
        django_cache.set(key, schema, SCHEMA_CACHE_TIMEOUT_S)
    except Exception:
        logger.warning("candidates.schema_cache_unavailable")


def _compiled(key: str, build: Any) -> _Compiled:
    compiled = _local.get(key)
    if compiled is None:
        schema = _shared_cache_get(key)
        if schema is None:
            schema = build()
            _shared_cache_set(key, schema)
        compiled = _Compiled(schema, BoundedValidator(schema, format_checker=FORMAT_CHECKER))
        if len(_local) >= _LOCAL_VALIDATORS_MAX:
            _local.clear()
        _local[key] = compiled
    return compiled


def _candidate_compiled(region: Region, operation: str) -> _Compiled:
    _check_operation(operation)
    key = (
        f"candidates:schema:{_generator_fingerprint()}:{region.pk}:{operation}:"
        f"{_custom_fields_version(region)}"
    )
    return _compiled(
        key,
        lambda: build_candidate_json_schema(
            region=region,
            custom_fields=CustomField.objects.filter(region=region),
            operation=operation,
        ),
    )


def candidate_json_schema(*, region: Region, operation: str) -> dict[str, Any]:
    """The region's schema for ``operation`` (``create`` | ``update``), cached per region and
    operation under a key that changes with the region's custom field definitions."""
    return _candidate_compiled(region, operation).schema


@cache
def _interaction_validator(operation: str) -> Draft202012Validator:
    return BoundedValidator(
        interaction_json_schema(operation=operation), format_checker=FORMAT_CHECKER
    )


@cache
def _attachments_validator() -> Draft202012Validator:
    return BoundedValidator(attachments_json_schema(), format_checker=FORMAT_CHECKER)
