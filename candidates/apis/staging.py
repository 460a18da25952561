"""What every write parses besides its body: the reserved members (``idempotencyKey`` /
``Idempotency-Key`` and ``callbackUrl``, checked once per request) and inline files, which are
staged to storage before the mutation commits and removed if it does not."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework.request import Request

from config.api.errors import BadRequest, ErrorDetail, ValidationFailed
from webhooks.http import UnsafeUrl, check_url

from ..fields import ATTACHMENT_MEMBERS

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200
RESERVED = ("idempotencyKey", "callbackUrl")

CALLBACK_PARAMETER = OpenApiParameter(
    "callbackUrl", OpenApiTypes.URI, description="Where to POST the signed outcome (DELETE)."
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Alternative to the body member idempotencyKey; unique per region for 24 h.",
)


def parse_reserved(request: Request, body: dict[str, Any]) -> tuple[str | None, str]:
    details: list[ErrorDetail] = []
    key = body.get("idempotencyKey")
    header_key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and header_key is not None and key != header_key:
        raise BadRequest("idempotencyKey and the Idempotency-Key header differ.")
    key = key if key is not None else header_key
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY):
        details.append(ErrorDetail("idempotencyKey", "A string of 1–200 characters."))
    callback = body.get("callbackUrl", request.query_params.get("callbackUrl"))
    if callback is not None:
        try:
            check_url(callback)
        except UnsafeUrl as exc:
            details.append(ErrorDetail("callbackUrl", str(exc)))
    if details:
        raise ValidationFailed(details=details)
    return key, callback or ""


def body_without_reserved(request: Request) -> dict[str, Any]:
    data = request.data
    return {k: v for k, v in data.items() if k not in RESERVED} if isinstance(data, dict) else {}


def prefixed(exc: ValidationFailed, prefix: str) -> list[ErrorDetail]:
    return [
        ErrorDetail(f"{prefix}.{d.field}" if d.field else prefix, d.message) for d in exc.details
    ]


def check_url_attachments(files_by_member: dict[str, Any], prefix: str) -> list[ErrorDetail]:
    details = []
    for member in ATTACHMENT_MEMBERS:
        for index, item in enumerate(files_by_member.get(member) or []):
            if isinstance(item, dict) and "url" in item:
                try:
                    check_url(item["url"])
                except UnsafeUrl as exc:
                    details.append(ErrorDetail(f"{prefix}{member}[{index}].url", str(exc)))
    return details


def storage_name(filename: str) -> str:
    """A safe name for the staged copy; Airtable still gets the original filename."""
    try:
        return get_valid_filename(filename)
    except SuspiciousFileOperation:  # nothing usable left, e.g. ".." or only punctuation
        return "file"


class StagedFiles:
    """Base64 files written to storage before the mutation commits; removed if it doesn't."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def stage(self, files_by_member: dict[str, Any]) -> dict[str, Any]:
        staged = dict(files_by_member)
        for member in ATTACHMENT_MEMBERS:
            if member in staged:
                staged[member] = [self._stage_one(f) for f in staged[member] or []]
        return staged

    def _stage_one(self, item: dict[str, Any]) -> dict[str, Any]:
        if "base64" not in item:
            return item
        content = base64.b64decode(item["base64"])
        name = storage_name(item["filename"])
        path = default_storage.save(f"staged/{uuid.uuid4().hex}/{name}", ContentFile(content))
        self.paths.append(path)
        return {
            "staged": path,
            "filename": item["filename"],
            "contentType": item["contentType"],
            "size": len(content),
        }

    def discard(self) -> None:
        for path in self.paths:
            default_storage.delete(path)
