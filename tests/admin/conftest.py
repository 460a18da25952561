from __future__ import annotations

import pytest

from candidates.factories import AttachmentFactory, CandidateFactory, InteractionFactory
from regions.services import api_key_create

from .support import COORDINATOR, PLATFORM_STAFF, accept_update, client_for, staff_user


@pytest.fixture
def coordinator(region):
    return staff_user("coordinator", group=COORDINATOR, regions=[region])


@pytest.fixture
def coordinator_client(coordinator):
    return client_for(coordinator)


@pytest.fixture
def platform_staff(region):
    return staff_user("platform", group=PLATFORM_STAFF, regions=[region])


@pytest.fixture
def platform_client(platform_staff):
    return client_for(platform_staff)


@pytest.fixture
def superuser_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def own_candidate(region):
    candidate = CandidateFactory(
        region=region,
        name="Lotte Visser",
        email="lotte@example.com",
        phone="+31612345678",
        phone_digits="31612345678",
        phase="nieuw",
        postal_code="3511 AB",
    )
    InteractionFactory(candidate=candidate, subject="Kennismaking")
    AttachmentFactory(candidate=candidate, filename="cv-lotte.pdf")
    return candidate


@pytest.fixture
def foreign_candidate(other_region):
    candidate = CandidateFactory(
        region=other_region,
        name="Bram de Groot",
        email="bram@example.org",
        phone="+31687654321",
        phone_digits="31687654321",
        phase="matchen",
    )
    InteractionFactory(candidate=candidate, subject="Geheim gesprek")
    AttachmentFactory(candidate=candidate, filename="cv-bram.pdf")
    return candidate


@pytest.fixture
def own_mutation(region):
    return accept_update(region, "recOwnOwnOwnOwn01")


@pytest.fixture
def foreign_mutation(other_region):
    return accept_update(other_region, "recForeignForei01")


@pytest.fixture
def own_key(region):
    return api_key_create(region=region, name="own website").api_key


@pytest.fixture
def foreign_key(other_region):
    return api_key_create(region=other_region, name="foreign website").api_key
