from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from config.api import auth_failures
from regions.models import ApiKeyScope, Region
from regions.services import api_key_create

from .factories import RegionFactory

# Fixtures more than one test directory uses live in tests/fixtures; every test sees them.
pytest_plugins = [
    "tests.fixtures.airtable",
    "tests.fixtures.custom_fields",
    "tests.fixtures.sync",
    "tests.fixtures.webhooks",
]


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings, monkeypatch):
    # A generous limit by default; rate-limit tests set their own.
    settings.API_RATE_LIMIT_PER_S = 1000
    settings.API_RATE_LIMIT_BURST = 1000
    # Failed authentications count per client address in the shared Redis, and every test
    # client is 127.0.0.1: each test gets its own buckets.
    monkeypatch.setattr(auth_failures, "NAMESPACE", f"api-auth-failures-{uuid.uuid4().hex}")


@pytest.fixture
def region(db) -> Region:
    return RegionFactory(code="utrecht", name="Onderwijsregio Utrecht")


@pytest.fixture
def other_region(db) -> Region:
    return RegionFactory(code="amsterdam", name="Onderwijsregio Amsterdam")


def _client_for(full_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=full_key)
    return client


@pytest.fixture
def region_key(region):
    return api_key_create(region=region, name="website")


@pytest.fixture
def region_client(region_key) -> APIClient:
    return _client_for(region_key.full_key)


@pytest.fixture
def other_region_client(other_region) -> APIClient:
    return _client_for(api_key_create(region=other_region, name="partner").full_key)


@pytest.fixture
def admin_key(db):
    return api_key_create(region=None, name="platform", scope=ApiKeyScope.ADMIN)


@pytest.fixture
def admin_key_client(admin_key) -> APIClient:
    return _client_for(admin_key.full_key)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()
