"""Every candidate, interaction and attachment write (SPEC 3): validate, persist, 202.

Nothing here talks to Airtable. A view validates with the region's schema, stages inline files,
and hands one mutation to the engine; the 202 body points at ``/mutations/{id}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.environment import request_environment
from config.api.errors import ErrorDetail, NotFound, ValidationFailed
from mutations.apis import ACCEPTED_RESPONSE, accepted
from mutations.services import Accepted, mutation_accept
from regions.apis import KeyView
from regions.authentication import key_principal

from .. import openapi as bodies
from .. import schema, selectors, write_plans
from ..authentication import CandidateSessionAllowed, allow_candidate_session, is_candidate_session
from ..models import Candidate
from ..write_plans import candidate_key, identity_keys, interaction_key
from .session import consent_patch
from .staging import (
    CALLBACK_PARAMETER,
    IDEMPOTENCY_PARAMETER,
    StagedFiles,
    body_without_reserved,
    check_url_attachments,
    parse_reserved,
    prefixed,
)

MAX_CANDIDATES_PER_REQUEST = 10


class WriteView(KeyView):
    # (idempotency key, callback URL) of this write, parsed once in initial(); a view instance
    # lives for one request.
    reserved_members: tuple[str | None, str] = (None, "")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        handles = hasattr(self, (request.method or "").lower())  # else DRF answers 405
        if handles and request.method in {"POST", "PATCH", "DELETE"}:
            # Once per write, before a handler stages files: idempotency key and callbackUrl
            # (the callback host is resolved here, for the SSRF guard).
            body = request.data if isinstance(request.data, dict) else {}
            self.reserved_members = parse_reserved(request, body)

    def accept(self, request: Request, **mutation: Any) -> Response:
        """:meth:`accept_mutation`, answered 202 (or the original 202 for a replay)."""
        result = self.accept_mutation(request, **mutation)
        return accepted(request, result.mutation, replayed=not result.created)

    def accept_mutation(
        self,
        request: Request,
        *,
        operation: str,
        payload: dict[str, Any],
        target_ids: Iterable[str] = (),
        ordering_keys: Iterable[str] = (),
        staged: StagedFiles | None = None,
    ) -> Accepted:
        idempotency_key, callback_url = self.reserved_members
        try:
            result = mutation_accept(
                region=self.region,
                environment=request_environment(request),
                operation=operation,
                payload=payload,
                api_key=key_principal(request).api_key,
                target_ids=list(target_ids),
                ordering_keys=ordering_keys,
                idempotency_key=idempotency_key,
                callback_url=callback_url,
                staged_files=staged.paths if staged else (),
            )
        except BaseException:
            if staged:
                staged.discard()
            raise
        if staged and not result.created:
            staged.discard()  # an idempotent replay: the original mutation has its own files
        return result

    def accept_plan(self, request: Request, plan: write_plans.WritePlan) -> Response:
        return self.accept(
            request,
            operation=plan.operation,
            payload=plan.payload,
            target_ids=plan.target_ids,
            ordering_keys=plan.ordering_keys,
        )

    def candidate(self, request: Request, record_id: str) -> Candidate:
        candidate = selectors.candidate_get(
            region=self.region,
            environment=request_environment(request),
            record_id=record_id,
            include_attachments=True,
        )
        if candidate is None:
            raise NotFound("No such candidate.")
        return candidate


def _validated_candidates(region: Any, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CANDIDATES_PER_REQUEST:
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "candidates", f"Give 1–{MAX_CANDIDATES_PER_REQUEST} candidates as an array."
                )
            ]
        )
    details: list[ErrorDetail] = []
    omitted = 0
    validated = []
    for index, item in enumerate(items):
        prefix = f"candidates[{index}]"
        try:
            validated.append(
                schema.validate_candidate(region=region, operation="create", payload=item)
            )
            details += check_url_attachments(item, f"{prefix}.")
        except ValidationFailed as exc:
            details += prefixed(exc, prefix)
            omitted += exc.omitted_details
    if details:
        raise ValidationFailed(details=details, omitted_details=omitted)
    details = _repeated_people(validated)
    if details:
        raise ValidationFailed(details=details)
    return validated


def _repeated_people(candidates: list[dict[str, Any]]) -> list[ErrorDetail]:
    """The same email or phone twice in one create request would make two records of one
    person; name every item involved. ``candidates`` are normalised (email trimmed and
    lower-cased, phone in E.164), so notations do not hide a repeat."""
    details = []
    for member in ("email", "phone"):
        seen: dict[str, list[int]] = {}
        for index, candidate in enumerate(candidates):
            if candidate.get(member):
                seen.setdefault(candidate[member], []).append(index)
        for indexes in seen.values():
            if len(indexes) > 1:
                items = ", ".join(f"candidates[{i}]" for i in indexes)
                details += [
                    ErrorDetail(f"candidates[{i}].{member}", f"The same {member} as {items}.")
                    for i in indexes
                ]
    return sorted(details, key=lambda d: d.field)


class CandidateCreateApi(WriteView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_create",
        parameters=[IDEMPOTENCY_PARAMETER],
        request={"application/json": bodies.candidates_create_body()},
        responses={202: ACCEPTED_RESPONSE},
        description="Create 1–10 candidates (see GET /schema?operation=create for "
        'one candidate\'s shape): {"candidates": [...], '
        '"idempotencyKey"?, "callbackUrl"?}.',
    )
    def post(self, request: Request) -> Response:
        body = body_without_reserved(request)
        details = [ErrorDetail(k, "Unknown member.") for k in sorted(set(body) - {"candidates"})]
        try:
            candidates = _validated_candidates(self.region, body.get("candidates"))
        except ValidationFailed as exc:
            raise ValidationFailed(
                details=details + exc.details, omitted_details=exc.omitted_details
            ) from None
        if details:
            raise ValidationFailed(details=details)
        staged = StagedFiles()
        payload = {"candidates": [staged.stage(c) for c in candidates]}
        keys = [
            k
            for c in candidates
            for k in identity_keys(
                self.region.pk, request_environment(request), email=c["email"], phone=c.get("phone")
            )
        ]
        return self.accept(
            request,
            operation="candidate.create",
            payload=payload,
            ordering_keys=keys,
            staged=staged,
        )


class CandidateUpsertApi(WriteView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_upsert",
        parameters=[IDEMPOTENCY_PARAMETER],
        request={"application/json": bodies.candidate_upsert_body()},
        responses={202: ACCEPTED_RESPONSE},
        description="Create or update one candidate, matched by email, then phone (any "
        "notation), within the region when the mutation runs. The body is one "
        "candidate (schema operation=create) plus the reserved members. On a match only "
        "the members sent change (no create defaults) and files are appended; several "
        "matches: the oldest record is updated and the result lists matchedIds.",
    )
    def post(self, request: Request) -> Response:
        result = self.upsert_mutation(request, body_without_reserved(request))
        return accepted(request, result.mutation, replayed=not result.created)

    def upsert_mutation(self, request: Request, body: dict[str, Any]) -> Accepted:
        """Validate and queue one upsert (also API v1's create-user, SPEC 14)."""
        candidate = schema.validate_candidate(region=self.region, operation="create", payload=body)
        details = check_url_attachments(candidate, "")
        if details:
            raise ValidationFailed(details=details)
        keys = identity_keys(
            self.region.pk,
            request_environment(request),
            email=candidate["email"],
            phone=candidate.get("phone"),
        )
        matches = selectors.candidate_find(
            region=self.region,
            environment=request_environment(request),
            email=candidate["email"],
            include_archived=True,
            include_attachments=False,  # only the record ids order the upsert
        )
        for record_id in matches.values_list("record_id", flat=True):
            keys.append(candidate_key(request_environment(request), record_id))
        staged = StagedFiles()
        return self.accept_mutation(
            request,
            operation="candidate.upsert",
            payload={"candidate": staged.stage(candidate)},
            ordering_keys=keys,
            staged=staged,
        )


class CandidateWriteApi(CandidateSessionAllowed, WriteView):
    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_update",
        request={"application/json": bodies.candidate_update_body()},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
        description="Partial update (schema operation=update): arrays replace, "
        "null clears. A candidate session may send only "
        '{"privacyConsent": true|false} for its own records; false '
        "also archives the record (a second mutation; the 202 names it).",
    )
    @allow_candidate_session
    def patch(self, request: Request, candidate_id: str) -> Response:
        record_id = candidate_id
        if is_candidate_session(request):
            return consent_patch(
                request,
                record_id=record_id,
                ordering_key=candidate_key(request_environment(request), record_id),
            )
        candidate = self.candidate(request, record_id)
        fields = schema.validate_candidate(
            region=self.region, operation="update", payload=body_without_reserved(request)
        )
        return self.accept_plan(request, write_plans.candidate_update_plan(candidate, fields))

    @extend_schema(
        tags=["Candidates"],
        operation_id="candidates_delete",
        parameters=[CALLBACK_PARAMETER, IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
        description="Permanent deletion (GDPR erasure) of the candidate, its "
        "interactions and files.",
    )
    def delete(self, request: Request, candidate_id: str) -> Response:
        record_id = candidate_id
        candidate = self.candidate(request, record_id)
        return self.accept_plan(request, write_plans.candidate_delete_plan(candidate))


class CandidateArchiveApi(WriteView):
    archived = True

    @extend_schema(
        tags=["Candidates"],
        request={"application/json": bodies.reserved_only_body()},
        responses={202: ACCEPTED_RESPONSE},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request: Request, candidate_id: str) -> Response:
        candidate = self.candidate(request, candidate_id)
        unknown = sorted(body_without_reserved(request))
        if unknown:
            raise ValidationFailed(details=[ErrorDetail(k, "Unknown member.") for k in unknown])
        return self.accept_plan(
            request, write_plans.candidate_archive_plan(candidate, archived=self.archived)
        )


class CandidateUnarchiveApi(CandidateArchiveApi):
    archived = False


class InteractionCreateApi(WriteView):
    @extend_schema(
        tags=["Interactions"],
        operation_id="interactions_create",
        request={"application/json": bodies.interactions_create_body()},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
        description='Create 1–10 interactions: {"interactions": [...]}.',
    )
    def post(self, request: Request, candidate_id: str) -> Response:
        record_id = candidate_id
        self.candidate(request, record_id)
        body = body_without_reserved(request)
        items = body.get("interactions")
        details = [ErrorDetail(k, "Unknown member.") for k in sorted(set(body) - {"interactions"})]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_CANDIDATES_PER_REQUEST:
            details.append(ErrorDetail("interactions", "Give 1–10 interactions as an array."))
            items = []
        validated = []
        omitted = 0
        for index, item in enumerate(items):
            try:
                validated.append(schema.validate_interaction(operation="create", payload=item))
            except ValidationFailed as exc:
                details += prefixed(exc, f"interactions[{index}]")
                omitted += exc.omitted_details
        if details:
            raise ValidationFailed(details=details, omitted_details=omitted)
        return self.accept(
            request,
            operation="interaction.create",
            payload={"candidateId": record_id, "interactions": validated},
            target_ids=[record_id],
            ordering_keys=[candidate_key(request_environment(request), record_id)],
        )


class InteractionWriteApi(WriteView):
    def interaction(self, request: Request, record_id: str) -> Any:
        interaction = selectors.interaction_get(
            region=self.region, environment=request_environment(request), record_id=record_id
        )
        if interaction is None:
            raise NotFound("No such interaction.")
        return interaction

    @extend_schema(
        tags=["Interactions"],
        operation_id="interactions_update",
        request={"application/json": bodies.interaction_update_body()},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
    )
    def patch(self, request: Request, interaction_id: str) -> Response:
        record_id = interaction_id
        self.interaction(request, record_id)
        fields = schema.validate_interaction(
            operation="update", payload=body_without_reserved(request)
        )
        return self.accept(
            request,
            operation="interaction.update",
            payload={"fields": fields},
            target_ids=[record_id],
            ordering_keys=[interaction_key(request_environment(request), record_id)],
        )

    @extend_schema(
        tags=["Interactions"],
        operation_id="interactions_delete",
        parameters=[CALLBACK_PARAMETER, IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
    )
    def delete(self, request: Request, interaction_id: str) -> Response:
        record_id = interaction_id
        self.interaction(request, record_id)
        return self.accept(
            request,
            operation="interaction.delete",
            payload={},
            target_ids=[record_id],
            ordering_keys=[interaction_key(request_environment(request), record_id)],
        )


class AttachmentAddApi(WriteView):
    @extend_schema(
        tags=["Attachments"],
        operation_id="attachments_add",
        request={"application/json": bodies.attachments_body()},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
        description='{"curriculumVitae": [..≤5], "otherAttachments": [..≤5]}, ≥1 '
        "file; each file is a public https URL or base64 (≤ 5 MB).",
    )
    def post(self, request: Request, candidate_id: str) -> Response:
        record_id = candidate_id
        self.candidate(request, record_id)
        files = schema.validate_attachments(payload=body_without_reserved(request))
        details = check_url_attachments(files, "")
        if details:
            raise ValidationFailed(details=details)
        staged = StagedFiles()
        return self.accept(
            request,
            operation="attachment.add",
            payload={"candidateId": record_id, **staged.stage(files)},
            target_ids=[record_id],
            staged=staged,
            ordering_keys=[candidate_key(request_environment(request), record_id)],
        )


class AttachmentRemoveApi(WriteView):
    @extend_schema(
        tags=["Attachments"],
        operation_id="attachments_remove",
        parameters=[CALLBACK_PARAMETER, IDEMPOTENCY_PARAMETER],
        responses={202: ACCEPTED_RESPONSE},
    )
    def delete(self, request: Request, candidate_id: str, attachment_id: str) -> Response:
        record_id = candidate_id
        candidate = self.candidate(request, record_id)
        if not candidate.attachments.filter(attachment_id=attachment_id).exists():
            raise NotFound("No such attachment.")
        return self.accept(
            request,
            operation="attachment.remove",
            payload={"attachmentId": attachment_id},
            target_ids=[record_id],
            ordering_keys=[candidate_key(request_environment(request), record_id)],
        )
