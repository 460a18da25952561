"""SPEC 6.3 events: what the finish listener emits for each engine operation, and the public
``event_emit`` service the sync jobs call. Payloads hold ids and field names, never values."""

from __future__ import annotations

import json

import pytest

from candidates.models import Candidate
from mutations.models import Mutation
from webhooks.models import EVENT_TYPES, Delivery
from webhooks.services import delivery_send_due, event_emit, subscription_create

pytestmark = pytest.mark.django_db

ANNA = {
    "name": "Anna de Vries",
    "email": "Anna@Example.nl",
    "privacyConsent": True,
    "phone": "+31 6 1234 5678",
    "phase": "oriënteren",
    "city": "Amersfoort",
}


@pytest.fixture
def subscription(region, receiver, airtable):
    return subscription_create(
        region=region,
        environment="production",
        url=receiver.url("/events"),
        events=list(EVENT_TYPES),
    )


def _accept(response) -> Mutation:
    assert response.status_code == 202, response.content
    return Mutation.objects.get(uuid=response.json()["data"]["mutationId"])


def _events(receiver) -> list[dict]:
    delivery_send_due()
    events = [json.loads(r.body) for r in receiver.requests]
    receiver.requests.clear()
    return events


def _data(events: list[dict]) -> list[tuple[str, dict]]:
    return [(e["type"], e["data"]) for e in events]


def test_created_candidate_event_carries_ids_and_field_names_only(
    region_client, subscription, receiver, run_engine
):
    candidate = {
        **ANNA,
        "interactions": [
            {
                "type": "Telefonisch",
                "performedAt": "2026-11-01T10:00:00Z",
                "subject": "Eerste gesprek met Anna",
            }
        ],
    }
    mutation = _accept(
        region_client.post("/api/v2/candidates", {"candidates": [candidate]}, format="json")
    )
    run_engine()
    mutation.refresh_from_db()
    (record_id,), (interaction_id,) = (
        mutation.result["recordIds"],
        mutation.result["interactionIds"],
    )
    received = receiver.requests
    delivery_send_due()
    events = [json.loads(r.body) for r in received]
    created = next(e for e in events if e["type"] == "candidate.created")
    assert created == {
        "id": created["id"],
        "type": "candidate.created",
        "timestamp": created["timestamp"],
        "sandbox": False,
        "region": "utrecht",
        "position": 1,
        "data": {
            "candidateId": record_id,
            "changedFields": ["city", "email", "name", "phase", "phone", "privacyConsent"],
            "mutationId": str(mutation.uuid),
            "source": "api",
        },
    }
    assert _data(events) == [
        ("candidate.created", created["data"]),
        (
            "interaction.created",
            {
                "interactionId": interaction_id,
                "candidateId": record_id,
                "mutationId": str(mutation.uuid),
                "source": "api",
            },
        ),
    ]
    raw = b"".join(r.body for r in received).decode().lower()
    for value in ("anna", "vries", "example.nl", "12345678", "amersfoort", "oriënteren", "gesprek"):
        assert value not in raw


def test_each_operation_emits_its_event(region_client, subscription, receiver, run_engine):
    mutation = _accept(region_client.post("/api/v2/candidates/upsert", ANNA, format="json"))
    run_engine()
    record_id = Candidate.objects.get().record_id
    base = {"source": "api"}

    def last(m: Mutation) -> dict:
        return {**base, "mutationId": str(m.uuid)}

    assert _data(_events(receiver)) == [
        (
            "candidate.created",
            {"candidateId": record_id, "changedFields": sorted(ANNA), **last(mutation)},
        )
    ]

    mutation = _accept(
        region_client.post("/api/v2/candidates/upsert", {**ANNA, "phase": "matchen"}, format="json")
    )
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "candidate.updated",
            {"candidateId": record_id, "changedFields": sorted(ANNA), **last(mutation)},
        )
    ]

    url = f"/api/v2/candidates/{record_id}"
    mutation = _accept(region_client.patch(url, {"phase": "werkzaam", "city": None}, format="json"))
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "candidate.updated",
            {"candidateId": record_id, "changedFields": ["city", "phase"], **last(mutation)},
        )
    ]

    archive = _accept(region_client.post(f"{url}/archive"))
    run_engine()
    unarchive = _accept(region_client.post(f"{url}/unarchive"))
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "candidate.archived",
            {"candidateId": record_id, "changedFields": ["archived"], **last(archive)},
        ),
        (
            "candidate.unarchived",
            {"candidateId": record_id, "changedFields": ["archived"], **last(unarchive)},
        ),
    ]

    mutation = _accept(
        region_client.post(
            f"{url}/interactions",
            {"interactions": [{"type": "E-mail", "performedAt": "2026-11-02T10:00:00Z"}]},
            format="json",
        )
    )
    run_engine()
    mutation.refresh_from_db()
    interaction_id = mutation.result["recordIds"][0]
    assert _data(_events(receiver)) == [
        (
            "interaction.created",
            {"interactionId": interaction_id, "candidateId": record_id, **last(mutation)},
        )
    ]

    interaction_url = f"/api/v2/interactions/{interaction_id}"
    update = _accept(region_client.patch(interaction_url, {"subject": "Bel"}, format="json"))
    run_engine()
    delete = _accept(region_client.delete(interaction_url))
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "interaction.updated",
            {"interactionId": interaction_id, "changedFields": ["subject"], **last(update)},
        ),
        ("interaction.deleted", {"interactionId": interaction_id, **last(delete)}),
    ]

    mutation = _accept(region_client.delete(url))
    run_engine()
    assert _data(_events(receiver)) == [
        ("candidate.deleted", {"candidateId": record_id, **last(mutation)})
    ]


def test_failed_mutation_emits_mutation_failed_without_the_message(
    region_client, subscription, receiver, airtable, run_engine
):
    airtable.remove_select_option("Kandidaten", "Fase", "uitgestroomd")
    mutation = _accept(
        region_client.post(
            "/api/v2/candidates", {"candidates": [{**ANNA, "phase": "uitgestroomd"}]}, format="json"
        )
    )
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "mutation.failed",
            {
                "mutationId": str(mutation.uuid),
                "source": "api",
                "operation": "candidate.create",
                "targetIds": [],
                "error": {
                    "code": "AIRTABLE_REJECTED",
                    "retryable": False,
                    "airtableErrorType": "INVALID_MULTIPLE_CHOICE_OPTIONS",
                },
            },
        )
    ]


def test_events_go_only_to_matching_active_subscriptions_of_the_environment(
    region, other_region, receiver, private_hosts
):
    def subscribe(**kwargs):
        defaults = {
            "region": region,
            "environment": "production",
            "url": receiver.url(),
            "events": ["candidate.updated"],
        }
        return subscription_create(**{**defaults, **kwargs})

    wanted = subscribe()
    subscribe(events=["candidate.created"])
    subscribe(environment="sandbox")
    subscribe(region=other_region)
    subscribe(active=False)
    data = {"candidateId": "recAAAAAAAAAAAAAA", "changedFields": ["phase"], "source": "airtable"}
    deliveries = event_emit(
        region=region, environment="production", event="candidate.updated", data=data
    )
    assert [d.subscription for d in deliveries] == [wanted]
    assert deliveries[0].payload["data"] == data


@pytest.mark.parametrize(
    ("event", "data", "message"),
    [
        ("candidate.renamed", {}, "unknown event"),
        ("candidate.updated", {"candidateId": "rec1", "email": "a@b.nl"}, "may not carry"),
        ("candidate.updated", {"changedFields": "phase"}, "list of field names"),
    ],
)
def test_event_emit_refuses_unknown_events_and_personal_data(region, event, data, message):
    with pytest.raises(ValueError, match=message):
        event_emit(region=region, environment="production", event=event, data=data)
    assert not Delivery.objects.exists()


def _interaction(subject: str) -> dict:
    return {"type": "Telefonisch", "performedAt": "2026-11-01T10:00:00Z", "subject": subject}


def test_inline_interactions_are_created_events_of_their_own_candidate_in_request_order(
    region_client, subscription, receiver, run_engine
):
    bram = {"name": "Bram", "email": "bram@example.nl", "privacyConsent": True}
    candidates = [
        {**ANNA, "interactions": [_interaction("Eerste"), _interaction("Tweede")]},
        bram,
        {
            "name": "Cas",
            "email": "cas@example.nl",
            "privacyConsent": True,
            "curriculumVitae": [{"url": "https://files.example.org/cv.pdf"}],
            "interactions": [_interaction("Derde")],
        },
    ]
    mutation = _accept(
        region_client.post("/api/v2/candidates", {"candidates": candidates}, format="json")
    )
    run_engine()
    mutation.refresh_from_db()
    anna, bram_id, cas = mutation.result["recordIds"]
    first, second, third = mutation.result["interactionIds"]
    base = {"mutationId": str(mutation.uuid), "source": "api"}
    assert _data(_events(receiver)) == [
        ("candidate.created", {"candidateId": anna, "changedFields": sorted(ANNA), **base}),
        (
            "candidate.created",
            {"candidateId": bram_id, "changedFields": ["email", "name", "privacyConsent"], **base},
        ),
        (
            "candidate.created",
            {
                "candidateId": cas,
                "changedFields": ["curriculumVitae", "email", "name", "privacyConsent"],
                **base,
            },
        ),
        ("interaction.created", {"interactionId": first, "candidateId": anna, **base}),
        ("interaction.created", {"interactionId": second, "candidateId": anna, **base}),
        ("interaction.created", {"interactionId": third, "candidateId": cas, **base}),
    ]


def test_upsert_with_inline_interactions_emits_the_exact_payloads(
    region_client, subscription, receiver, run_engine
):
    _accept(region_client.post("/api/v2/candidates/upsert", ANNA, format="json"))
    run_engine()
    record_id = Candidate.objects.get().record_id
    _events(receiver)
    matched = {**ANNA, "phase": "matchen", "interactions": [_interaction("Bel")]}
    mutation = _accept(region_client.post("/api/v2/candidates/upsert", matched, format="json"))
    run_engine()
    mutation.refresh_from_db()
    (interaction_id,) = mutation.result["interactionIds"]
    delivery_send_due()
    bodies = [r.body for r in receiver.requests]
    events = [json.loads(body) for body in bodies]
    updated, created = events
    # Byte for byte, as the receiver gets them (compact JSON in the stored key order).
    assert bodies == [
        json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() for e in events
    ]
    assert updated == {
        "id": updated["id"],
        "type": "candidate.updated",
        "timestamp": updated["timestamp"],
        "sandbox": False,
        "region": "utrecht",
        "position": 2,
        "data": {
            "candidateId": record_id,
            "changedFields": sorted(ANNA),
            "mutationId": str(mutation.uuid),
            "source": "api",
        },
    }
    assert created == {
        "id": created["id"],
        "type": "interaction.created",
        "timestamp": created["timestamp"],
        "sandbox": False,
        "region": "utrecht",
        "position": 3,
        "data": {
            "interactionId": interaction_id,
            "candidateId": record_id,
            "mutationId": str(mutation.uuid),
            "source": "api",
        },
    }


def test_attachment_events_name_the_members_and_the_removed_file(
    region_client, subscription, receiver, run_engine
):
    from candidates.models import Attachment

    _accept(region_client.post("/api/v2/candidates/upsert", ANNA, format="json"))
    run_engine()
    record_id = Candidate.objects.get().record_id
    _events(receiver)
    url = f"/api/v2/candidates/{record_id}/attachments"
    cv = {"url": "https://files.example.org/cv.pdf", "filename": "cv.pdf"}
    added = _accept(region_client.post(url, {"curriculumVitae": [cv]}, format="json"))
    run_engine()
    (attachment,) = Attachment.objects.all()
    removed = _accept(region_client.delete(f"{url}/{attachment.attachment_id}"))
    run_engine()
    assert _data(_events(receiver)) == [
        (
            "attachment.added",
            {
                "candidateId": record_id,
                "changedFields": ["curriculumVitae"],
                "mutationId": str(added.uuid),
                "source": "api",
            },
        ),
        (
            "attachment.removed",
            {
                "candidateId": record_id,
                "changedFields": [],
                "attachmentIds": [attachment.attachment_id],
                "mutationId": str(removed.uuid),
                "source": "api",
            },
        ),
    ]
