from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from config.api.health import HealthApi

api_patterns = [
    path("", include("regions.urls")),
    path("", include("candidates.urls")),
    path("", include("mutations.urls")),
    path("", include("webhooks.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # the back office's language switch
    path("api/health", HealthApi.as_view(), name="health"),
    path("api/v2/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi"), name="api-docs"),
    path("api/v2/", include((api_patterns, "api"), namespace="v2")),
    path("api/sandbox/", include((api_patterns, "api"), namespace="sandbox")),
    # API v1 compatibility (SPEC 14): two routes, also under the unversioned /api/ base.
    path("api/v1/", include(("candidates.v1.urls", "api-v1"), namespace="v1")),
    path("api/", include(("candidates.v1.urls", "api-v1"), namespace="v1-unversioned")),
]

handler404 = "config.api.handlers.not_found"
handler500 = "config.api.handlers.server_error"
