"""SPEC 15: region coverage by postcode ranges and municipality codes, the lookup any key may
call, the admin-key coverage routes and the back office inline and overview."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from regions import coverage
from regions.coverage import PostcodeRange, region_coverage_replace
from regions.models import RegionCoverage

pytestmark = pytest.mark.django_db
LOOKUP = "/api/v2/regions/lookup"


@pytest.fixture
def covered(region, other_region, django_capture_on_commit_callbacks):
    region.website = "https://utrecht.example.nl"
    region.save()
    with django_capture_on_commit_callbacks(execute=True):
        region_coverage_replace(
            region=region,
            postcode_ranges=[PostcodeRange(3400, 3599), PostcodeRange(3700, 3799)],
            municipalities=["GM0344"],
        )
        region_coverage_replace(
            region=other_region, postcode_ranges=[PostcodeRange(3500, 3519)], municipalities=[]
        )
    return region, other_region


UTRECHT = {
    "code": "utrecht",
    "name": "Onderwijsregio Utrecht",
    "contactEmail": "contact@utrecht.example.nl",
    "website": "https://utrecht.example.nl",
}


@pytest.mark.parametrize("postcode", ["3511AB", "3511 ab", "3511", " 3511  AB "])
def test_lookup_accepts_every_notation(region_client, covered, postcode):
    response = region_client.get(LOOKUP, {"postcode": postcode})
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "code": "amsterdam",
                "name": "Onderwijsregio Amsterdam",
                "contactEmail": covered[1].contact_email,
                "website": "",
            },
            UTRECHT,
        ],
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }


def test_lookup_of_an_uncovered_postcode_is_an_empty_list(region_client, covered):
    assert region_client.get(LOOKUP, {"postcode": "9999ZZ"}).json()["data"] == []
    assert [r["code"] for r in region_client.get(LOOKUP, {"postcode": "3750"}).json()["data"]] == [
        "utrecht"
    ]


@pytest.mark.parametrize("postcode", ["hallo", "12345", "0123AB", "3511ABC", ""])
def test_malformed_postcode_is_400_naming_the_parameter(region_client, covered, postcode):
    response = region_client.get(LOOKUP, {"postcode": postcode})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["details"][0]["field"]) == ("BAD_REQUEST", "postcode")


def test_municipality_is_used_only_when_passed(region_client, covered):
    assert region_client.get(LOOKUP, {"postcode": "9999"}).json()["data"] == []
    both = region_client.get(LOOKUP, {"postcode": "9999", "municipality": "gm0344"})
    assert both.json()["data"] == [UTRECHT]
    bad = region_client.get(LOOKUP, {"municipality": "Utrecht"})
    assert (bad.status_code, bad.json()["error"]["details"][0]["field"]) == (400, "municipality")
    missing = region_client.get(LOOKUP)
    assert (missing.status_code, missing.json()["error"]["details"][0]["field"]) == (
        400,
        "postcode",
    )


def test_any_key_may_look_up_and_no_key_may_not(admin_key_client, anon_client, covered):
    assert admin_key_client.get(LOOKUP, {"postcode": "3511"}).status_code == 200
    assert anon_client.get(LOOKUP, {"postcode": "3511"}).status_code == 401


def test_inactive_regions_are_not_served(region_client, covered):
    other = covered[1]
    other.active = False
    other.save()
    coverage.coverage_changed()  # what region_update does (outside a transaction: at once)
    assert region_client.get(LOOKUP, {"postcode": "3511"}).json()["data"] == [UTRECHT]


def test_the_cache_follows_coverage_changes(
    region_client, admin_key_client, covered, django_capture_on_commit_callbacks
):
    assert region_client.get(LOOKUP, {"postcode": "8000"}).json()["data"] == []
    stamp = cache.get(coverage.VERSION_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_key_client.put(
            "/api/v2/regions/utrecht/coverage",
            {"postcodeRanges": [{"from": 8000, "to": 8099}]},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert cache.get(coverage.VERSION_CACHE_KEY) != stamp
    assert [r["code"] for r in region_client.get(LOOKUP, {"postcode": "8000"}).json()["data"]] == [
        "utrecht"
    ]
    assert region_client.get(LOOKUP, {"postcode": "3750"}).json()["data"] == []  # replaced


def test_admin_api_reads_and_replaces_coverage_and_reports_shared_ranges(
    admin_key_client, covered, django_capture_on_commit_callbacks
):
    body = admin_key_client.get("/api/v2/regions/utrecht/coverage").json()["data"]
    assert body == {
        "region": "utrecht",
        "postcodeRanges": [{"from": 3400, "to": 3599}, {"from": 3700, "to": 3799}],
        "municipalities": ["GM0344"],
        "overlapsWithOtherRegions": [
            {"from": 3500, "to": 3519, "regions": ["amsterdam", "utrecht"]}
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_key_client.put(
            f"/api/v2/regions/{covered[1].pk}/coverage",
            {"postcodeRanges": [{"from": 1000, "to": 1099}], "municipalities": ["GM0363"]},
            format="json",
        )
    assert response.json()["data"] == {
        "region": "amsterdam",
        "postcodeRanges": [{"from": 1000, "to": 1099}],
        "municipalities": ["GM0363"],
        "overlapsWithOtherRegions": [],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"postcodeRanges": [{"from": 3500, "to": 3600}, {"from": 3600, "to": 3700}]},
            "postcodeRanges.1",
        ),
        ({"postcodeRanges": [{"from": 3600, "to": 3500}]}, "postcodeRanges.0"),
        ({"postcodeRanges": [{"from": 999, "to": 1500}]}, "postcodeRanges.0.from"),
        ({"municipalities": ["GM0344", "gm0344"]}, "municipalities.1"),
        ({"municipalities": ["GM344"]}, "municipalities.0"),
        ({"postcodes": []}, "postcodes"),
    ],
)
def test_admin_api_refuses_overlaps_within_a_region(admin_key_client, covered, body, field):
    response = admin_key_client.put("/api/v2/regions/utrecht/coverage", body, format="json")
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert RegionCoverage.objects.filter(region=covered[0]).count() == 3  # unchanged


def test_coverage_routes_need_an_admin_key(region_client, covered):
    assert region_client.get("/api/v2/regions/utrecht/coverage").status_code == 403
    assert region_client.get("/api/v2/regions/coverage").status_code == 403


def test_coverage_overview_lists_gaps_and_shared_ranges(admin_key_client, covered):
    data = admin_key_client.get("/api/v2/regions/coverage").json()["data"]
    assert data["shared"] == [{"from": 3500, "to": 3519, "regions": ["amsterdam", "utrecht"]}]
    assert data["uncovered"] == [
        {"from": 1000, "to": 3399, "regions": []},
        {"from": 3600, "to": 3699, "regions": []},
        {"from": 3800, "to": 9999, "regions": []},
    ]


def test_unknown_region_is_404(admin_key_client):
    assert admin_key_client.get("/api/v2/regions/nowhere/coverage").status_code == 404


# --- back office ---------------------------------------------------------------------------------


def _change_form(region, coverage_rows):
    data = {
        "name": region.name,
        "contact_email": region.contact_email,
        "website": "",
        "active": "on",
        "retention_months": region.retention_months,
        "_save": "Save",
    }
    for prefix in ("custom_fields", "api_keys"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update({"coverage-TOTAL_FORMS": len(coverage_rows), "coverage-INITIAL_FORMS": 0})
    for index, row in enumerate(coverage_rows):
        for key, value in row.items():
            data[f"coverage-{index}-{key}"] = value
    return data


def test_admin_inline_saves_coverage_and_refuses_overlaps(admin_client, region):
    url = f"/admin/regions/region/{region.pk}/change/"
    overlapping = [
        {"postcode_from": 3500, "postcode_to": 3599},
        {"postcode_from": 3550, "postcode_to": 3650},
    ]
    response = admin_client.post(url, _change_form(region, overlapping))
    assert response.status_code == 200  # the form again, with the error
    assert "overlaps" in response.content.decode()
    assert not RegionCoverage.objects.exists()

    rows = [{"postcode_from": 3500, "postcode_to": 3599}, {"municipality_code": "GM0344"}]
    response = admin_client.post(url, _change_form(region, rows))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert sorted(str(row) for row in RegionCoverage.objects.all()) == ["3500–3599", "GM0344"]


def test_admin_coverage_overview_page(admin_client, covered):
    response = admin_client.get("/admin/regions/region/coverage/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "3500" in page and "amsterdam, utrecht" in page
    change = admin_client.get(f"/admin/regions/region/{covered[0].pk}/change/").content.decode()
    assert "3500–3519 (amsterdam)" in change


def test_a_region_deleted_in_the_admin_leaves_the_lookup(
    admin_client, region_client, covered, django_capture_on_commit_callbacks
):
    other = covered[1]
    assert len(region_client.get(LOOKUP, {"postcode": "3511"}).json()["data"]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/regions/region/{other.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert region_client.get(LOOKUP, {"postcode": "3511"}).json()["data"] == [UTRECHT]
