"""SPEC 10: the two back-office roles exist after migrate, with exactly these permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError

from regions.models import StaffMembership

from .support import COORDINATOR, PLATFORM_STAFF

pytestmark = pytest.mark.django_db


def _permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_coordinators_follow_up_candidates_and_watch_the_engine():
    assert _permissions(COORDINATOR) == {
        "regions.view_region",
        "regions.view_customfield",
        "regions.view_regioncoverage",
        "candidates.view_candidate",
        "candidates.change_candidate",
        "candidates.view_interaction",
        "candidates.change_interaction",
        "candidates.view_attachment",
        "candidates.change_attachment",
        "mutations.view_mutation",
        "mutations.view_mutationattempt",
        "webhooks.view_delivery",
        "webhooks.view_deliveryattempt",
        "webhooks.view_subscription",
    }


def test_platform_staff_run_everything_but_superuser_powers():
    permissions = _permissions(PLATFORM_STAFF)
    assert permissions >= {
        "regions.add_region",
        "regions.change_region",
        "regions.add_customfield",
        "regions.delete_customfield",
        "regions.add_regioncoverage",
        "regions.delete_regioncoverage",
        "regions.add_apikey",
        "regions.change_apikey",  # revoke
        "candidates.delete_candidate",  # queued for the engine
        "mutations.change_mutation",  # retry, cancel
        "webhooks.change_delivery",  # resend
        "webhooks.add_subscription",
        "airtable.view_syncstate",
        "airtable.view_syncrun",
    }
    superuser_powers = {
        p
        for p in permissions
        if p.startswith(("auth.", "admin.", "contenttypes.", "sessions."))
        or "staffmembership" in p
        or "candidateaccesslog" in p
        or p in {"regions.delete_region", "regions.delete_apikey", "mutations.delete_mutation"}
    }
    assert superuser_powers == set()


def test_a_user_is_a_member_of_a_region_once(coordinator, region):
    with pytest.raises(IntegrityError):
        StaffMembership.objects.create(user=coordinator, region=region)
