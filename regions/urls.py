from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("regions/me", apis.RegionMeApi.as_view(), name="regions-me"),
    path("regions", apis.RegionListCreateApi.as_view(), name="regions"),
    path("regions/<str:region_id>", apis.RegionDetailApi.as_view(), name="region-detail"),
    path("api-keys", apis.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/<str:key_id>", apis.ApiKeyRevokeApi.as_view(), name="api-key-detail"),
]
