from __future__ import annotations

import pytest
from django.test import override_settings

from candidates import schema
from candidates.schema import compiled

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_validation_works_while_the_shared_cache_is_down(region):
    compiled._local.clear()
    with override_settings(CACHES=DEAD_REDIS):
        validated = schema.validate_candidate(
            region=region,
            operation="create",
            payload={"name": "Anna", "email": "ANNA@example.nl", "privacyConsent": True},
        )
    assert validated["email"] == "anna@example.nl"
