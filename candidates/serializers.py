"""Mirror rows → API JSON (SPEC 4.1–4.3).

Reads are the hot path (a page of 100 candidates), so rows become dicts through precomputed
getters rather than DRF serializers. The DRF serializers below document the same shapes in the
OpenAPI document; they are generated from the same catalogue, and a test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from rest_framework import serializers

from config.api.openapi import MetaSerializer

from .fields import CANDIDATE_FIELDS, INTERACTION_FIELDS, FieldSpec, Kind
from .mapping import CANDIDATE_ATTRIBUTES, INTERACTION_ATTRIBUTES
from .models import Attachment, Candidate, Interaction
from .selectors import ATTACHMENT_ROWS

SHARED_OUTPUT_FIELDS: tuple[str, ...] = (
    "id",
    *(f.name for f in CANDIDATE_FIELDS),
    "region",
    "createdAt",
    "updatedAt",
)
OPTIONAL_OUTPUT_FIELDS: tuple[str, ...] = ("customFields", "interactions")
SELECTABLE_FIELDS: tuple[str, ...] = SHARED_OUTPUT_FIELDS + OPTIONAL_OUTPUT_FIELDS
ATTACHMENT_OUTPUT_FIELDS = tuple(f.name for f in CANDIDATE_FIELDS if f.kind is Kind.ATTACHMENTS)
INTERACTION_OUTPUT_FIELDS: tuple[str, ...] = (
    "id",
    "candidateId",
    *(f.name for f in INTERACTION_FIELDS),
    "createdAt",
    "updatedAt",
)

Getter = Callable[[Any], Any]
_PREFETCHED = object()  # no ATTACHMENT_ROWS on the row: read the prefetched attachments


def api_datetime(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z``, as DRF renders the other endpoints' timestamps."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _api_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value_getter(spec: FieldSpec, attribute: str) -> Getter:
    get = attrgetter(attribute)
    match spec.kind:
        case Kind.BOOLEAN | Kind.ENUM_LIST | Kind.INTEGER | Kind.NUMBER:
            return get
        case Kind.DATE:
            return lambda row: _api_date(get(row))
        case Kind.DATETIME:
            return lambda row: api_datetime(get(row))
    return lambda row: get(row) or None  # the mirror keeps "" for an empty text column


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.attachment_id,
        "filename": attachment.filename,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "url": attachment.url,
    }


def _attachments_getter(member: str) -> Getter:
    def get(candidate: Candidate) -> list[dict[str, Any]]:
        rows: Any = getattr(candidate, ATTACHMENT_ROWS, _PREFETCHED)
        if rows is _PREFETCHED:
            return [attachment_data(a) for a in candidate.attachments.all() if a.field == member]
        return [
            {"id": id_, "filename": name, "contentType": kind, "size": size, "url": url}
            for field, id_, name, kind, size, url in rows or ()
            if field == member
        ]

    return get


_INTERACTION_GETTERS: dict[str, Getter] = {
    "id": attrgetter("record_id"),
    **{
        spec.name: _value_getter(spec, INTERACTION_ATTRIBUTES[spec.name])
        for spec in INTERACTION_FIELDS
    },
    "createdAt": lambda row: api_datetime(row.airtable_created_at),
    "updatedAt": lambda row: api_datetime(row.airtable_modified_at),
}


def interaction_data(
    interaction: Interaction, *, candidate_id: str | None = None
) -> dict[str, Any]:
    """``candidate_id`` saves a query when the caller already knows the candidate."""
    data = {name: get(interaction) for name, get in _INTERACTION_GETTERS.items()}
    data["candidateId"] = candidate_id or interaction.candidate.record_id
    return {name: data[name] for name in INTERACTION_OUTPUT_FIELDS}


def _interactions_getter(candidate: Candidate) -> list[dict[str, Any]]:
    return [
        interaction_data(i, candidate_id=candidate.record_id) for i in candidate.interactions.all()
    ]


_CANDIDATE_GETTERS: dict[str, Getter] = {
    "id": attrgetter("record_id"),
    **{
        spec.name: (
            _attachments_getter(spec.name)
            if spec.kind is Kind.ATTACHMENTS
            else _value_getter(spec, CANDIDATE_ATTRIBUTES[spec.name])
        )
        for spec in CANDIDATE_FIELDS
    },
    "region": lambda row: row.region.code,
    "createdAt": lambda row: api_datetime(row.airtable_created_at),
    "updatedAt": lambda row: api_datetime(row.airtable_modified_at),
    "customFields": attrgetter("custom_fields"),
    "interactions": _interactions_getter,
}


class CandidateRenderer:
    """Renders candidates with a fixed selection of output fields (always including ``id``)."""

    def __init__(self, fields: Iterable[str]) -> None:
        wanted = {"id", *fields}
        unknown = wanted - set(SELECTABLE_FIELDS)
        if unknown:
            raise ValueError(f"unknown output fields: {sorted(unknown)}")
        self.fields = tuple(name for name in SELECTABLE_FIELDS if name in wanted)
        self._getters = [(name, _CANDIDATE_GETTERS[name]) for name in self.fields]

    @property
    def needs_attachments(self) -> bool:
        return any(name in ATTACHMENT_OUTPUT_FIELDS for name in self.fields)

    @property
    def needs_interactions(self) -> bool:
        return "interactions" in self.fields

    def render(self, candidate: Candidate) -> dict[str, Any]:
        return {name: get(candidate) for name, get in self._getters}

    def render_many(self, candidates: Iterable[Candidate]) -> list[dict[str, Any]]:
        getters = self._getters
        return [{name: get(c) for name, get in getters} for c in candidates]


# --- OpenAPI documentation -------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Airtable attachment id (att…).")
    filename = serializers.CharField()
    contentType = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    url = serializers.URLField(help_text="Airtable's download URL; it expires after hours.")


def _doc_field(spec: FieldSpec) -> serializers.Field:
    common: dict[str, Any] = {"required": False, "help_text": spec.description or None}
    match spec.kind:
        case Kind.ATTACHMENTS:
            return AttachmentSerializer(many=True, required=False)
        case Kind.BOOLEAN:
            return serializers.BooleanField(**common)
        case Kind.ENUM:
            return serializers.ChoiceField(choices=spec.options, allow_null=True, **common)
        case Kind.ENUM_LIST:
            return serializers.ListField(
                child=serializers.ChoiceField(choices=spec.options), **common
            )
        case Kind.DATE:
            return serializers.DateField(allow_null=True, **common)
        case Kind.DATETIME:
            return serializers.DateTimeField(allow_null=True, **common)
        case Kind.INTEGER:
            return serializers.IntegerField(allow_null=True, **common)
        case Kind.EMAIL:
            return serializers.EmailField(allow_null=True, **common)
        case Kind.URI:
            return serializers.URLField(allow_null=True, **common)
    return serializers.CharField(allow_null=True, **common)


InteractionSerializer = type(
    "InteractionSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "An interaction (SPEC 4.2).",
        "id": serializers.CharField(help_text="Airtable record id (rec…)."),
        "candidateId": serializers.CharField(),
        **{spec.name: _doc_field(spec) for spec in INTERACTION_FIELDS},
        "createdAt": serializers.DateTimeField(),
        "updatedAt": serializers.DateTimeField(
            help_text="Last change in Airtable (`Laatst gewijzigd`); the creation time until "
            "the first edit."
        ),
    },
)

CandidateSerializer = type(
    "CandidateSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "A candidate (SPEC 4.1). With `fields`, only the selected members (and `id`).",
        "id": serializers.CharField(help_text="Airtable record id (rec…)."),
        **{spec.name: _doc_field(spec) for spec in CANDIDATE_FIELDS},
        "region": serializers.CharField(required=False, help_text="Region code."),
        "createdAt": serializers.DateTimeField(required=False),
        "updatedAt": serializers.DateTimeField(required=False),
        "customFields": serializers.DictField(
            required=False, help_text="Region-specific fields; with includeCustomFields=true."
        ),
        "interactions": InteractionSerializer(
            many=True, required=False, help_text="With includeInteractions=true."
        ),
    },
)


class SchemaEnvelopeSerializer(serializers.Serializer):
    # The envelope's member is called ``data``, which the stubs know as Serializer.data.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="A JSON Schema (draft 2020-12) document."
    )
    meta = MetaSerializer()
