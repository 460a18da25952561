"""Test factories: regions, and request bodies for the candidate write API (the mirror's
models have theirs in candidates/factories.py)."""

from __future__ import annotations

from typing import Any

import factory

from regions.models import Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"regio-{n}")
    name = factory.Sequence(lambda n: f"Onderwijsregio {n}")
    contact_email = factory.LazyAttribute(lambda r: f"contact@{r.code}.example.nl")
    signing_secret = factory.Faker("sha256")


# --- request bodies ------------------------------------------------------------------------------


def candidate_body(**fields: Any) -> dict[str, Any]:
    """One candidate as ``POST /api/v2/candidates`` takes it: the least the schema accepts
    (name, email, consent), plus ``fields``. Pass explicitly what the test is about."""
    return {"name": "Anna de Vries", "email": "anna@example.nl", "privacyConsent": True, **fields}


def numbered_candidate_body(n: int, **fields: Any) -> dict[str, Any]:
    """The ``n``-th of many distinct candidates (``Persoon n``, ``pn@example.nl``); ``fields``
    may override either."""
    return {**candidate_body(name=f"Persoon {n}", email=f"p{n}@example.nl"), **fields}


def create_body(*candidates: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The body of ``POST /api/v2/candidates``: ``candidates`` (one default candidate if none)
    and any top-level member such as ``callbackUrl``."""
    return {"candidates": list(candidates) or [candidate_body()], **extra}
