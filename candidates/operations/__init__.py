"""The candidate domain's Mutation Engine operations (SPEC 5.1).

Each handler turns an accepted mutation into Airtable steps and applies the outcome to the
mirror. Handlers are pure with respect to Airtable: the engine sends the requests; a handler
only reads ``mutation.payload``/``mutation.state`` and, when the mutation completes, writes the
mirror. ``next_step`` must be a function of the payload and state alone, because a retry or
another worker may ask again at any time.

Payload shapes (written by ``candidates/apis/write.py``): attachments arrive either as
``{"url", "filename"?}`` or, staged at accept time, as ``{"staged", "filename", "contentType",
"size"}``.

``events`` names the webhook events a succeeded mutation produces (SPEC 6.3): ids and the names
of changed members, never values; webhooks adds ``mutationId`` and ``source`` and delivers them.

``create`` holds candidate create and upsert, ``records`` the writes to one existing record
(update, archive, delete, interactions), ``attachments`` adding and removing files, ``common``
what they share.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mutations.registry import OperationHandler, register_operation

from ..fields import CANDIDATES_TABLE, COL_ARCHIVED, INTERACTIONS_TABLE
from .attachments import AttachmentAdd, AttachmentRemove
from .create import CandidateCreate, CandidateUpsert
from .records import CandidateDelete, InteractionCreate, InteractionDelete, RecordUpdate

HANDLERS: dict[str, OperationHandler] = {
    "candidate.create": CandidateCreate(),
    "candidate.upsert": CandidateUpsert(),
    "candidate.update": RecordUpdate(
        CANDIDATES_TABLE, event="candidate.updated", id_member="candidateId"
    ),
    "candidate.archive": RecordUpdate(
        CANDIDATES_TABLE,
        fixed_fields={COL_ARCHIVED: True},
        event="candidate.archived",
        id_member="candidateId",
        changed=("archived",),
    ),
    "candidate.unarchive": RecordUpdate(
        CANDIDATES_TABLE,
        fixed_fields={COL_ARCHIVED: False},
        event="candidate.unarchived",
        id_member="candidateId",
        changed=("archived",),
    ),
    "candidate.delete": CandidateDelete(),
    "interaction.create": InteractionCreate(),
    "interaction.update": RecordUpdate(
        INTERACTIONS_TABLE, event="interaction.updated", id_member="interactionId"
    ),
    "interaction.delete": InteractionDelete(),
    "attachment.add": AttachmentAdd(),
    "attachment.remove": AttachmentRemove(),
}


LABELS = {
    "candidate.create": _("Create candidate"),
    "candidate.upsert": _("Create or update candidate"),
    "candidate.update": _("Update candidate"),
    "candidate.archive": _("Archive candidate"),
    "candidate.unarchive": _("Unarchive candidate"),
    "candidate.delete": _("Delete candidate"),
    "interaction.create": _("Add interaction"),
    "interaction.update": _("Update interaction"),
    "interaction.delete": _("Delete interaction"),
    "attachment.add": _("Add attachment"),
    "attachment.remove": _("Remove attachment"),
}


def register_operations() -> None:
    for name, handler in HANDLERS.items():
        register_operation(name, handler, LABELS[name])
