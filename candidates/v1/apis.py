"""API v1 compatibility (SPEC 14): ``GET /schema`` and ``POST /create-user`` under ``/api/v1``
and the deprecated unversioned ``/api``.

Nothing here writes on its own: create-user is v2's upsert (same validation, same mutation,
same engine), renamed from and to v1 names, that then waits for the mutation to end so a v1
client gets the synchronous answer it was built for. See docs/migration-v1-to-v2.md.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.errors import ApiError, ValidationFailed
from mutations.apis import accepted
from mutations.models import Mutation, MutationStatus
from mutations.serializers import mutation_links
from mutations.waiting import mutation_wait
from regions.apis import KeyView
from regions.authentication import key_principal
from regions.services import api_key_touch_v1

from .. import schema, selectors
from ..apis.staging import body_without_reserved
from ..apis.write import CandidateUpsertApi
from ..serializers import SELECTABLE_FIELDS, CandidateRenderer
from . import names
from .schema import v1_schema

_RENDERER = CandidateRenderer(SELECTABLE_FIELDS)


class MutationFailed(ApiError):
    """The engine could not write the candidate (the mutation failed or staff cancelled it)."""

    status_code, code = 502, "MUTATION_FAILED"
    default_message = "The candidate could not be written to the system of record."


_FAILURE_STATUS = {"AIRTABLE_REJECTED": 422, "AIRTABLE_UNAVAILABLE": 503}


class WaitSlots:
    """At most ``API_V1_MAX_WAITING`` create-user requests of this process wait at once; the
    others answer 202 straight away. A waiting request parks a server thread, so without a cap
    a slow engine would let v1 occupy every thread and starve v2 traffic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_use = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        with self._lock:
            granted = self.in_use < settings.API_V1_MAX_WAITING
            self.in_use += granted
        try:
            yield granted
        finally:
            if granted:
                with self._lock:
                    self.in_use -= 1


wait_slots = WaitSlots()


def deprecation_headers(request: Request, successor_path: str) -> dict[str, str]:
    """RFC 9745 ``Deprecation`` (structured date ``@<epoch>``), the successor link and, when
    configured, RFC 8594 ``Sunset`` (an HTTP-date)."""
    successor = request.build_absolute_uri(successor_path)
    headers = {
        "Deprecation": f"@{int(settings.API_V1_DEPRECATED_AT.timestamp())}",
        "Link": f'<{successor}>; rel="successor-version"',
    }
    if settings.API_V1_SUNSET_AT is not None:
        headers["Sunset"] = http_date(settings.API_V1_SUNSET_AT.timestamp())
    return headers


class V1View(KeyView):
    """Auth by ``api-key`` (or ``x-api-key``), like v2; records that the key still uses v1."""

    successor_path = "/api/v2/"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        api_key_touch_v1(api_key=key_principal(request).api_key)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in deprecation_headers(request, self.successor_path).items():
            response[name] = value
        return response


class V1SchemaApi(V1View):
    successor_path = "/api/v2/schema"

    def get(self, request: Request) -> Response:
        return ok(request, v1_schema(region=self.region))


class V1CreateUserApi(V1View, CandidateUpsertApi):
    successor_path = "/api/v2/candidates/upsert"

    def post(self, request: Request) -> Response:
        translated = names.candidate_from_v1(body_without_reserved(request))
        try:
            if translated.details:
                # Report every problem at once: the untranslatable members and the rest.
                schema.validate_candidate(
                    region=self.region, operation="create", payload=translated.payload
                )
                raise ValidationFailed(details=[])
            mutation = self.upsert_mutation(request, translated.payload).mutation
        except ValidationFailed as exc:
            details = translated.details + [
                names.detail_to_v1(d, translated.custom_positions) for d in exc.details
            ]
            raise ValidationFailed(details=sorted(details, key=lambda d: d.field)) from None
        with wait_slots.slot() as granted:
            if granted:
                mutation = mutation_wait(mutation=mutation, timeout_s=settings.API_V1_WAIT_S)
        return self._outcome(request, mutation)

    def _outcome(self, request: Request, mutation: Mutation) -> Response:
        result = mutation.result or {}
        if mutation.status == MutationStatus.SUCCEEDED:
            record_ids = result.get("recordIds") or [""]
            candidate = selectors.candidate_get(
                region=self.region,
                environment=mutation.environment,
                record_id=record_ids[0],
                include_interactions=True,
            )
            if candidate is not None:
                created = bool(result.get("created"))
                return ok(
                    request,
                    names.record_to_v1(_RENDERER.render(candidate)),
                    status=201 if created else 200,
                    mutationId=str(mutation.uuid),
                )
        elif mutation.status in (MutationStatus.FAILED, MutationStatus.CANCELLED):
            error = mutation.error or {}
            failure = MutationFailed(
                error.get("message") or None,
                headers={"Location": mutation_links(request, mutation)["self"]},
            )
            failure.code = error.get("code") or mutation.status.upper()
            failure.status_code = _FAILURE_STATUS.get(failure.code, 502)
            raise failure
        # Slower than API_V1_WAIT_S (or the record vanished meanwhile): answer like v2.
        return accepted(request, mutation)
