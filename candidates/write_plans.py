"""What a write to an existing candidate means for the engine, shared by the API views, the
staff admin and the retention job, so every path follows the same rules.

A plan names the operation, its payload, and the ordering keys: mutations sharing a key run in
acceptance order (a record's own key, and the email/phone an upsert would match on, so an
upsert never overtakes the create or update of the same person).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mutations.services import Accepted, mutation_accept
from regions.models import ApiKey

from .fields import phone_digits
from .models import Candidate


def candidate_key(environment: str, record_id: str) -> str:
    return f"candidate:{environment}:{record_id}"


def interaction_key(environment: str, record_id: str) -> str:
    return f"interaction:{environment}:{record_id}"


def identity_keys(
    region_id: Any, environment: str, *, email: str | None, phone: str | None
) -> list[str]:
    keys = [f"email:{region_id}:{environment}:{email}"] if email else []
    digits = phone_digits(phone) if phone else None
    if digits:
        keys.append(f"phone:{region_id}:{environment}:{digits}")
    return keys


@dataclass(frozen=True)
class WritePlan:
    operation: str
    payload: dict[str, Any]
    target_ids: list[str]
    ordering_keys: list[str] = field(default_factory=list)


def _own_keys(candidate: Candidate) -> list[str]:
    return [
        candidate_key(candidate.environment, candidate.record_id),
        *identity_keys(
            candidate.region_id, candidate.environment, email=candidate.email, phone=candidate.phone
        ),
    ]


def candidate_update_plan(candidate: Candidate, fields: dict[str, Any]) -> WritePlan:
    """``fields`` are validated and normalised (``schema.validate_candidate``, update)."""
    keys = _own_keys(candidate)
    if fields.get("email") or fields.get("phone"):
        keys += identity_keys(
            candidate.region_id,
            candidate.environment,
            email=fields.get("email"),
            phone=fields.get("phone"),
        )
    return WritePlan("candidate.update", {"fields": fields}, [candidate.record_id], keys)


def candidate_archive_plan(candidate: Candidate, *, archived: bool = True) -> WritePlan:
    operation = "candidate.archive" if archived else "candidate.unarchive"
    return WritePlan(
        operation,
        {},
        [candidate.record_id],
        [candidate_key(candidate.environment, candidate.record_id)],
    )


def candidate_delete_plan(candidate: Candidate) -> WritePlan:
    interaction_ids = list(candidate.interactions.values_list("record_id", flat=True))
    keys = _own_keys(candidate) + [
        interaction_key(candidate.environment, i) for i in interaction_ids
    ]
    return WritePlan(
        "candidate.delete", {"interactionIds": interaction_ids}, [candidate.record_id], keys
    )


def candidate_write_request(
    *,
    candidate: Candidate,
    plan: WritePlan,
    api_key: ApiKey | None = None,
    idempotency_key: str | None = None,
    callback_url: str = "",
) -> Accepted:
    """Queue ``plan`` for the engine (the admin's and the retention job's entry point)."""
    return mutation_accept(
        region=candidate.region,
        environment=candidate.environment,
        operation=plan.operation,
        payload=plan.payload,
        api_key=api_key,
        target_ids=plan.target_ids,
        ordering_keys=plan.ordering_keys,
        idempotency_key=idempotency_key,
        callback_url=callback_url,
        origin="api" if api_key is not None else "staff",
    )
