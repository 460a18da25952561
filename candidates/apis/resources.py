"""One view per route: the reads (``read.py``) and writes (``write.py``) of the same resource,
composed here so ``urls.py`` only maps paths. ``AccessLogged`` records who read which candidate
(GET only)."""

from __future__ import annotations

from ..access_log import AccessLogged
from . import read, write


class CandidateCollectionApi(AccessLogged, read.CandidateListApi, write.CandidateCreateApi):
    pass


class CandidateFindApi(AccessLogged, read.CandidateFindApi):
    pass


class CandidateResourceApi(AccessLogged, read.CandidateDetailApi, write.CandidateWriteApi):
    pass


class CandidateInteractionsApi(
    AccessLogged, read.CandidateInteractionListApi, write.InteractionCreateApi
):
    pass


class InteractionResourceApi(AccessLogged, read.InteractionDetailApi, write.InteractionWriteApi):
    pass
