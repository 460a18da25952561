"""A short schemathesis run in every test suite (``make fuzz`` runs the long one): every
documented operation, with valid and invalid data and a region key, never answers 5xx and
always answers as documented (status code, content type, body schema)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from regions.services import api_key_create
from tests.factories import RegionFactory

schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", application)


@pytest.fixture
def fuzz_key(db, settings) -> Iterator[str]:
    # Generated callback URLs name random hosts; resolving them would only wait on DNS.
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = True
    # Raw WSGI calls fire request_finished, which would close the test's database connection
    # mid-transaction; Django's own test client disconnects this handler the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield api_key_create(region=RegionFactory(code="fuzz"), name="fuzz").full_key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case, fuzz_key):
    # Not positive_data_acceptance: opaque cursors and random ids are schema-valid strings the
    # API rightly refuses (400/404), which that check would count as failures.
    case.call_and_validate(
        headers={"x-api-key": fuzz_key}, excluded_checks=[positive_data_acceptance]
    )
