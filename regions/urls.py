from __future__ import annotations

from django.urls import path

from . import apis, coverage_apis

urlpatterns = [
    path("regions/me", apis.RegionMeApi.as_view(), name="regions-me"),
    path("regions", apis.RegionListCreateApi.as_view(), name="regions"),
    # The fixed paths come before "regions/<id>" so they are never read as a region id.
    path("regions/lookup", coverage_apis.RegionLookupApi.as_view(), name="regions-lookup"),
    path("regions/coverage", coverage_apis.CoverageOverviewApi.as_view(), name="regions-coverage"),
    path(
        "regions/<str:region_id>/coverage",
        coverage_apis.RegionCoverageApi.as_view(),
        name="region-coverage",
    ),
    path("regions/<str:region_id>", apis.RegionDetailApi.as_view(), name="region-detail"),
    path("api-keys", apis.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/<str:key_id>", apis.ApiKeyRevokeApi.as_view(), name="api-key-detail"),
]
