"""The coverage overview shows only the regions the staff user works for (SPEC 10, 15)."""

from __future__ import annotations

import pytest

from regions.coverage import PostcodeRange, region_coverage_replace

pytestmark = pytest.mark.django_db


def test_overview_is_scoped_to_the_users_regions(region, other_region, coordinator_client):
    region_coverage_replace(
        region=region, postcode_ranges=[PostcodeRange(3400, 3599)], municipalities=[]
    )
    region_coverage_replace(
        region=other_region, postcode_ranges=[PostcodeRange(3500, 3519)], municipalities=[]
    )
    response = coordinator_client.get("/admin/regions/region/coverage/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "amsterdam" not in page
    assert response.context["shared"] == []
    assert [(s.start, s.end) for s in response.context["gaps"]] == [(1000, 3399), (3600, 9999)]


def test_overview_needs_a_back_office_login(client):
    response = client.get("/admin/regions/region/coverage/")
    assert response.status_code == 302
