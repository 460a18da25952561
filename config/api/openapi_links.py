"""OpenAPI links: how an answer's ids feed the next operation (create → mutation → candidate).

They document the API's flows for people and let a stateful fuzzer (``make fuzz``) walk real
sequences instead of guessing ids. Links are keyed by operation id, so this kernel module names
no app. Links that would let a fuzzer revoke its own key or deactivate its region are left out
on purpose (``api_keys_list`` → revoke, ``regions_list`` → update).
"""

from __future__ import annotations

from typing import Any

MUTATION_ID = "$response.body#/data/mutationId"
FIRST_ID = "$response.body#/data/0/id"
OWN_ID = "$response.body#/data/id"

# Operations answering 202 with an accepted mutation: each links to that mutation.
_ACCEPTING = (
    "candidates_create",
    "candidates_upsert",
    "candidates_update",
    "candidates_delete",
    "candidates_archive_create",
    "candidates_unarchive_create",
    "interactions_create",
    "interactions_update",
    "interactions_delete",
    "attachments_add",
    "attachments_remove",
)

_CANDIDATE_FOLLOW_UPS = (
    "candidates_get",
    "candidates_update",
    "candidates_archive_create",
    "candidate_interactions_list",
    "interactions_create",
    "attachments_add",
)
_SUBSCRIPTION_FOLLOW_UPS = (
    "webhooks_get",
    "webhooks_update",
    "webhooks_deliveries",
    "webhooks_test",
    "webhooks_delete",
)

# source operation id → [(target operation id, {parameter: runtime expression})]
LINKS: dict[str, list[tuple[str, dict[str, str]]]] = {
    **{op: [("mutations_get", {"mutation_id": MUTATION_ID})] for op in _ACCEPTING},
    "mutations_list": [("mutations_get", {"mutation_id": "$response.body#/data/0/mutationId"})],
    # A candidate.* mutation targets the candidate: follow it back to the record.
    "mutations_get": [("candidates_get", {"candidate_id": "$response.body#/data/targetIds/0"})],
    "candidates_list": [(op, {"candidate_id": FIRST_ID}) for op in _CANDIDATE_FOLLOW_UPS],
    "candidates_find": [(op, {"candidate_id": FIRST_ID}) for op in _CANDIDATE_FOLLOW_UPS],
    "auth_candidates_me": [
        ("candidates_get", {"candidate_id": FIRST_ID}),
        ("candidates_update", {"candidate_id": FIRST_ID}),
    ],
    "candidates_get": [
        (op, {"candidate_id": OWN_ID})
        for op in ("candidate_interactions_list", "interactions_create", "attachments_add")
    ],
    "candidate_interactions_list": [
        (op, {"interaction_id": FIRST_ID})
        for op in ("interactions_get", "interactions_update", "interactions_delete")
    ],
    "webhooks_create": [(op, {"subscription_id": OWN_ID}) for op in _SUBSCRIPTION_FOLLOW_UPS],
    "webhooks_list": [(op, {"subscription_id": FIRST_ID}) for op in _SUBSCRIPTION_FOLLOW_UPS],
    "api_keys_create": [("api_keys_revoke", {"key_id": OWN_ID})],
    "regions_create": [("regions_update", {"region_id": OWN_ID})],
}


def add_links(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: attach ``LINKS`` to each source's 2xx answer."""
    operations = {
        operation.get("operationId"): operation
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict)
    }
    for source, targets in LINKS.items():
        operation = operations.get(source)
        if operation is None:
            continue
        success = [code for code in operation.get("responses", {}) if code.startswith("2")]
        if not success:
            continue
        links = operation["responses"][success[0]].setdefault("links", {})
        for target, parameters in targets:
            if target in operations:
                links[target] = {"operationId": target, "parameters": dict(parameters)}
    return result
