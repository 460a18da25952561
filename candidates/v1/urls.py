from __future__ import annotations

from django.urls import path

from . import apis

# Served under /api/v1/ and, deprecated twice over, under the unversioned /api/ (SPEC 14).
urlpatterns = [
    path("schema", apis.V1SchemaApi.as_view(), name="schema"),
    path("create-user", apis.V1CreateUserApi.as_view(), name="create-user"),
]
