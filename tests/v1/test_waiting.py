"""A v1 create-user waits for its mutation without holding a database connection (SPEC 14)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from mutations import waiting
from mutations.models import Mutation, MutationStatus
from mutations.services import mutation_accept
from mutations.waiting import mutation_signal_finished, mutation_wait
from tests.factories import candidate_body

pytestmark = pytest.mark.django_db(transaction=True)


def _queued(region) -> Mutation:
    return mutation_accept(
        region=region,
        environment="production",
        operation="candidate.upsert",
        payload={"candidate": candidate_body()},
    ).mutation


def _finish(mutation: Mutation) -> None:
    """What the engine does when a mutation ends, from another thread (its own connection)."""

    def run() -> None:
        try:
            with transaction.atomic():
                Mutation.objects.filter(pk=mutation.pk).update(
                    status=MutationStatus.SUCCEEDED, result={"recordIds": ["recX"]}
                )
                mutation_signal_finished(Mutation.objects.get(pk=mutation.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


# Django never closes the in-memory SQLite test database, so "no connection held" needs Postgres.
@pytest.mark.postgres_only
def test_waits_on_redis_without_a_connection_and_wakes_when_the_mutation_ends(region, monkeypatch):
    mutation = _queued(region)
    client = waiting._client()
    real_blpop = client.blpop
    connection_held: list[bool] = []

    def blpop(keys, timeout):
        connection_held.append(connection.connection is not None)
        if len(connection_held) == 1:
            _finish(mutation)
        return real_blpop(keys, timeout)

    monkeypatch.setattr(client, "blpop", blpop)
    finished = mutation_wait(mutation=mutation, timeout_s=30)
    assert finished.status == MutationStatus.SUCCEEDED
    assert finished.result == {"recordIds": ["recX"]}
    assert connection_held and not any(connection_held)
    assert connection.connection is None  # released again after the final status read


@pytest.mark.postgres_only
def test_without_redis_polls_the_database_without_holding_a_connection(
    region, settings, monkeypatch
):
    settings.REDIS_URL = ""
    mutation = _queued(region)
    connection_held: list[bool] = []

    def sleep(seconds):
        connection_held.append(connection.connection is not None)
        if len(connection_held) == 3:
            _finish(mutation)

    monkeypatch.setattr(waiting.time, "sleep", sleep)
    finished = mutation_wait(mutation=mutation, timeout_s=30)
    assert finished.status == MutationStatus.SUCCEEDED
    assert len(connection_held) == 3 and not any(connection_held)


def test_a_mutation_that_ended_before_the_wait_is_seen_at_once(region):
    mutation = _queued(region)
    _finish(mutation)
    assert mutation_wait(mutation=mutation, timeout_s=30).status == MutationStatus.SUCCEEDED


def test_gives_up_at_the_bound_and_returns_the_mutation_as_it_stands(region):
    mutation = _queued(region)
    assert mutation_wait(mutation=mutation, timeout_s=0.2).status == MutationStatus.QUEUED
