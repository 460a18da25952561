from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("mutations", apis.MutationListApi.as_view(), name="mutations"),
    path("mutations/<str:mutation_id>", apis.MutationDetailApi.as_view(), name="mutation-detail"),
]
