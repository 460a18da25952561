from __future__ import annotations

from django.urls import path

from . import apis, session_apis, write_apis
from .access_log import AccessLogged


# One route, one view: reads (apis.py) and writes (write_apis.py) of the same resource.
# AccessLogged records who read which candidate (GET only).
class CandidateCollectionApi(AccessLogged, apis.CandidateListApi, write_apis.CandidateCreateApi):
    pass


class CandidateFindApi(AccessLogged, apis.CandidateFindApi):
    pass


class CandidateResourceApi(AccessLogged, apis.CandidateDetailApi, write_apis.CandidateWriteApi):
    pass


class CandidateInteractionsApi(
    AccessLogged, apis.CandidateInteractionListApi, write_apis.InteractionCreateApi
):
    pass


class InteractionResourceApi(
    AccessLogged, apis.InteractionDetailApi, write_apis.InteractionWriteApi
):
    pass


urlpatterns = [
    path(
        "mutations/<str:mutation_id>",
        session_apis.MutationDetailApi.as_view(),
        name="mutation-detail",
    ),
    path("auth/verification", session_apis.VerificationApi.as_view(), name="auth-verification"),
    path("auth/session", session_apis.SessionApi.as_view(), name="auth-session"),
    path("auth/candidates/me", session_apis.MyCandidatesApi.as_view(), name="auth-candidates-me"),
    path(
        "auth/candidates/me/export",
        session_apis.MyDataExportApi.as_view(),
        name="auth-candidates-me-export",
    ),
    path("schema", apis.SchemaApi.as_view(), name="schema"),
    path("candidates", CandidateCollectionApi.as_view(), name="candidates"),
    path("candidates/find", CandidateFindApi.as_view(), name="candidates-find"),
    path("candidates/upsert", write_apis.CandidateUpsertApi.as_view(), name="candidates-upsert"),
    path("candidates/<str:candidate_id>", CandidateResourceApi.as_view(), name="candidate-detail"),
    path(
        "candidates/<str:candidate_id>/archive",
        write_apis.CandidateArchiveApi.as_view(),
        name="candidate-archive",
    ),
    path(
        "candidates/<str:candidate_id>/unarchive",
        write_apis.CandidateUnarchiveApi.as_view(),
        name="candidate-unarchive",
    ),
    path(
        "candidates/<str:candidate_id>/interactions",
        CandidateInteractionsApi.as_view(),
        name="candidate-interactions",
    ),
    path(
        "candidates/<str:candidate_id>/attachments",
        write_apis.AttachmentAddApi.as_view(),
        name="candidate-attachments",
    ),
    path(
        "candidates/<str:candidate_id>/attachments/<str:attachment_id>",
        write_apis.AttachmentRemoveApi.as_view(),
        name="candidate-attachment-detail",
    ),
    path(
        "interactions/<str:interaction_id>",
        InteractionResourceApi.as_view(),
        name="interaction-detail",
    ),
]
