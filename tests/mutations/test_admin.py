from __future__ import annotations

import pytest

from mutations.models import Mutation, MutationKey
from mutations.services import mutation_accept

pytestmark = pytest.mark.django_db


def _accept(region, **kwargs):
    return mutation_accept(
        region=region,
        environment="production",
        operation="candidate.update",
        payload={"fields": {"phase": "matchen"}},
        target_ids=["recAAAAAAAAAAAAAA"],
        ordering_keys=["candidate:production:recAAAAAAAAAAAAAA"],
        **kwargs,
    ).mutation


def test_changelist_filters_and_detail_render(admin_client, region):
    mutation = _accept(region)
    assert admin_client.get("/admin/mutations/mutation/?status__exact=queued").status_code == 200
    page = admin_client.get(f"/admin/mutations/mutation/{mutation.pk}/change/")
    assert page.status_code == 200
    assert "Airtable-verzoeken (tijdlijn)" in page.content.decode() and b"matchen" in page.content


def test_cancel_then_retry_through_services(admin_client, region):
    mutation = _accept(region)
    changelist = "/admin/mutations/mutation/"
    admin_client.post(changelist, {"action": "cancel", "_selected_action": [mutation.pk]})
    mutation.refresh_from_db()
    assert mutation.status == "cancelled" and not MutationKey.objects.filter(mutation=mutation)
    admin_client.post(changelist, {"action": "retry", "_selected_action": [mutation.pk]})
    mutation.refresh_from_db()
    assert mutation.status == "queued" and mutation.finished_at is None
    assert list(MutationKey.objects.filter(mutation=mutation).values_list("key", flat=True)) == [
        "candidate:production:recAAAAAAAAAAAAAA"
    ]


def test_succeeded_mutations_cannot_be_retried_or_cancelled(admin_client, region):
    mutation = _accept(region)
    Mutation.objects.filter(pk=mutation.pk).update(status="succeeded")
    for action in ("retry", "cancel"):
        admin_client.post(
            "/admin/mutations/mutation/", {"action": action, "_selected_action": [mutation.pk]}
        )
    mutation.refresh_from_db()
    assert mutation.status == "succeeded"


def test_scrubbed_mutations_are_not_retried(region):
    from django.utils import timezone

    from mutations.services import mutation_retry

    mutation = _accept(region)
    Mutation.objects.filter(pk=mutation.pk).update(
        status="failed", scrubbed_at=timezone.now(), payload={"scrubbed": True}
    )
    mutation.refresh_from_db()
    assert mutation_retry(mutation=mutation).status == "failed"
