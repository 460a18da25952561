from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("schema", apis.SchemaApi.as_view(), name="schema"),
    path("candidates", apis.CandidateListApi.as_view(), name="candidates"),
    path("candidates/find", apis.CandidateFindApi.as_view(), name="candidates-find"),
    path("candidates/<str:candidate_id>", apis.CandidateDetailApi.as_view(),
         name="candidate-detail"),
    path("candidates/<str:candidate_id>/interactions", apis.CandidateInteractionListApi.as_view(),
         name="candidate-interactions"),
    path("interactions/<str:interaction_id>", apis.InteractionDetailApi.as_view(),
         name="interaction-detail"),
]
