from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("mutations", apis.MutationListApi.as_view(), name="mutations"),
    # GET /mutations/{id} is routed in candidates/urls.py: it also answers candidate sessions.
]
