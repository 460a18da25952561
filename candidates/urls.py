from __future__ import annotations

from django.urls import path

from . import apis, write_apis


# One route, one view: reads (apis.py) and writes (write_apis.py) of the same resource.
class CandidateCollectionApi(apis.CandidateListApi, write_apis.CandidateCreateApi):
    pass


class CandidateResourceApi(apis.CandidateDetailApi, write_apis.CandidateWriteApi):
    pass


class CandidateInteractionsApi(apis.CandidateInteractionListApi, write_apis.InteractionCreateApi):
    pass


class InteractionResourceApi(apis.InteractionDetailApi, write_apis.InteractionWriteApi):
    pass


urlpatterns = [
    path("schema", apis.SchemaApi.as_view(), name="schema"),
    path("candidates", CandidateCollectionApi.as_view(), name="candidates"),
    path("candidates/find", apis.CandidateFindApi.as_view(), name="candidates-find"),
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
