from __future__ import annotations

from django.urls import path

from .apis import read, resources, session, write

urlpatterns = [
    path(
        "mutations/<str:mutation_id>",
        session.MutationDetailApi.as_view(),
        name="mutation-detail",
    ),
    path("auth/verification", session.VerificationApi.as_view(), name="auth-verification"),
    path("auth/session", session.SessionApi.as_view(), name="auth-session"),
    path("auth/candidates/me", session.MyCandidatesApi.as_view(), name="auth-candidates-me"),
    path(
        "auth/candidates/me/export",
        session.MyDataExportApi.as_view(),
        name="auth-candidates-me-export",
    ),
    path("schema", read.SchemaApi.as_view(), name="schema"),
    path("candidates", resources.CandidateCollectionApi.as_view(), name="candidates"),
    path("candidates/find", resources.CandidateFindApi.as_view(), name="candidates-find"),
    path("candidates/upsert", write.CandidateUpsertApi.as_view(), name="candidates-upsert"),
    path(
        "candidates/<str:candidate_id>",
        resources.CandidateResourceApi.as_view(),
        name="candidate-detail",
    ),
    path(
        "candidates/<str:candidate_id>/archive",
        write.CandidateArchiveApi.as_view(),
        name="candidate-archive",
    ),
    path(
        "candidates/<str:candidate_id>/unarchive",
        write.CandidateUnarchiveApi.as_view(),
        name="candidate-unarchive",
    ),
    path(
        "candidates/<str:candidate_id>/interactions",
        resources.CandidateInteractionsApi.as_view(),
        name="candidate-interactions",
    ),
    path(
        "candidates/<str:candidate_id>/attachments",
        write.AttachmentAddApi.as_view(),
        name="candidate-attachments",
    ),
    path(
        "candidates/<str:candidate_id>/attachments/<str:attachment_id>",
        write.AttachmentRemoveApi.as_view(),
        name="candidate-attachment-detail",
    ),
    path(
        "interactions/<str:interaction_id>",
        resources.InteractionResourceApi.as_view(),
        name="interaction-detail",
    ),
]
