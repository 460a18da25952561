"""SPEC 6.4 acceptance: creates, upserts, staff edits in Airtable (found by sync), a delete and
a retention archive all land in GET /events exactly once, in order; a middle cursor returns the
tail; a receiver that was down catches up from the position of its last delivered webhook."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from candidates.models import Candidate
from candidates.retention import candidates_archive_stale
from mutations.models import Mutation, MutationStatus
from tests.factories import candidate_body
from webhooks.models import EVENT_TYPES
from webhooks.services import delivery_send_due, subscription_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sync_share_out_of_the_way")]

ANNA = candidate_body()
BRAM = candidate_body(name="Bram Bos", email="bram@example.nl")


def _run(region_client, run_engine, method: str, url: str, body=None) -> Mutation:
    response = getattr(region_client, method)(url, body, format="json")
    assert response.status_code == 202, response.content
    run_engine()
    mutation = Mutation.objects.get(uuid=response.json()["data"]["mutationId"])
    assert mutation.status == MutationStatus.SUCCEEDED, mutation.error
    return mutation


def _read_all(client, after: int = 0, page_size: int = 3) -> list[dict]:
    items = []
    while True:
        response = client.get("/api/v2/events", {"after": after, "pageSize": page_size})
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["data"]
        if not body["data"]:
            assert body["meta"]["cursor"] == str(after)  # an empty page keeps the cursor
            return items
        after = int(body["meta"]["cursor"])


def test_the_feed_replays_every_change_once_in_order(
    region,
    region_client,
    run_engine,
    staff,
    sync,
    receiver,
    private_hosts,
):
    subscription_create(
        region=region, environment="production", url=receiver.url("/hook"), events=EVENT_TYPES
    )
    anna = {
        **ANNA,
        "interactions": [{"type": "E-mail", "performedAt": "2026-11-02T10:00:00Z"}],
    }
    create = _run(region_client, run_engine, "post", "/api/v2/candidates", {"candidates": [anna]})
    anna_id, interaction_id = create.result["recordIds"][0], create.result["interactionIds"][0]
    assert sync().status == "succeeded"  # the initial load: nothing new to announce
    upsert = _run(
        region_client, run_engine, "post", "/api/v2/candidates/upsert", {**ANNA, "city": "Ede"}
    )
    bram = _run(region_client, run_engine, "post", "/api/v2/candidates/upsert", BRAM)
    bram_id = bram.result["recordIds"][0]
    delivery_send_due()  # the receiver is up for these four events
    delivered = [json.loads(r.body) for r in receiver.requests]

    receiver.answer(*[503] * 50)  # ... and down from here on
    staff.update("Kandidaten", anna_id, {"Fase": "matchen"})
    staff.update("Interacties", interaction_id, {"Onderwerp": "Teruggebeld"})
    assert sync().status == "succeeded"
    delete = _run(region_client, run_engine, "delete", f"/api/v2/candidates/{bram_id}")
    region.retention_months = 1
    region.save()
    assert candidates_archive_stale(now=timezone.now() + timedelta(days=62)) == 1
    run_engine()
    archive = Mutation.objects.get(operation="candidate.archive")
    delivery_send_due()

    items = _read_all(region_client)

    # A create names the members its payload carried; defaults (phase) are the engine's (SPEC 5.5).
    api, changed = "api", ["email", "name", "privacyConsent"]
    assert [(i["type"], i["source"], i["data"]) for i in items] == [
        (
            "candidate.created",
            api,
            {
                "candidateId": anna_id,
                "changedFields": changed,
                "mutationId": str(create.uuid),
                "source": api,
            },
        ),
        (
            "interaction.created",
            api,
            {
                "candidateId": anna_id,
                "interactionId": interaction_id,
                "mutationId": str(create.uuid),
                "source": api,
            },
        ),
        (
            "candidate.updated",
            api,
            {
                "candidateId": anna_id,
                "changedFields": sorted([*changed, "city"]),
                "mutationId": str(upsert.uuid),
                "source": api,
            },
        ),
        (
            "candidate.created",
            api,
            {
                "candidateId": bram_id,
                "changedFields": changed,
                "mutationId": str(bram.uuid),
                "source": api,
            },
        ),
        (
            "candidate.updated",
            "airtable",
            {"candidateId": anna_id, "changedFields": ["phase"], "source": "airtable"},
        ),
        (
            "interaction.updated",
            "airtable",
            {
                "candidateId": anna_id,
                "interactionId": interaction_id,
                "changedFields": ["subject"],
                "source": "airtable",
            },
        ),
        (
            "candidate.deleted",
            api,
            {"candidateId": bram_id, "mutationId": str(delete.uuid), "source": api},
        ),
        (
            "candidate.archived",
            "retention",
            {
                "candidateId": anna_id,
                "changedFields": ["archived"],
                "mutationId": str(archive.uuid),
                "source": "retention",
            },
        ),
    ]
    positions = [i["position"] for i in items]
    assert positions == list(range(1, len(items) + 1))
    assert not Candidate.objects.filter(record_id=bram_id).exists()

    # Reading again from a cursor in the middle returns exactly the tail.
    assert _read_all(region_client, after=positions[3]) == items[4:]

    # Webhooks and the feed are the same rows: same id, type, data and position.
    by_position = {i["position"]: i for i in items}
    assert [d["position"] for d in delivered] == [1, 2, 3, 4]
    for payload in delivered:
        item = by_position[payload["position"]]
        assert (payload["id"], payload["type"], payload["data"]) == (
            item["id"],
            item["type"],
            item["data"],
        )

    # The receiver was down for everything after its last delivery: the feed from that
    # delivery's position is exactly what it missed.
    missed = _read_all(region_client, after=delivered[-1]["position"])
    assert [i["id"] for i in missed] == [i["id"] for i in items[4:]]
    failed_ids = {json.loads(r.body)["id"] for r in receiver.requests[len(delivered) :]}
    assert failed_ids == {i["id"] for i in missed}
