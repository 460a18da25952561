"""The Airtable tables the mirror holds, one :class:`TableSpec` each (docs/airtable.md "Adding a
table").

Everything that handles "a table" generically reads its spec here instead of branching on the
table's name: the expected base layout (``airtable_layout``, so ``airtable_bootstrap`` and the
drift check), the layout file's sections (``layout_file``), the sync jobs (which columns to
list, how to apply a page, how to delete and announce what Airtable no longer lists) and the
engine's generic record update. :data:`TABLES` is in dependency order: a table comes after the
tables it links to, so the sync mirrors a candidate before its interactions (and the sandbox
wipe empties them in reverse). :func:`table_spec` refuses a table nobody described.

The sync's page appliers live in ``candidates.sync.pages``; importing them here makes this
module and that package import each other, so the sync modules read this registry through
the module (``from .. import tables``), never by name at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from regions.models import CustomField

from .fields import (
    CANDIDATE_FIELDS,
    CANDIDATES_TABLE,
    COL_INTERACTION_CANDIDATE,
    COL_LAST_MODIFIED,
    COL_MUTATION_KEY,
    COL_REGION,
    INTERACTION_FIELDS,
    INTERACTIONS_TABLE,
    FieldSpec,
)
from .mapping import candidate_to_airtable, interaction_to_airtable
from .mirror import (
    candidate_mirror_apply,
    candidate_mirror_delete,
    interaction_mirror_apply,
    interaction_mirror_delete,
)
from .models import Candidate, Interaction
from .sync.pages import (
    DeletionEvents,
    PageApplier,
    candidate_deletion_events,
    interaction_deletion_events,
    sync_candidate_page,
    sync_interaction_page,
)

# The columns the platform maintains in every table, by the key the layout file names them with.
SYSTEM_COLUMNS = {
    "region": COL_REGION,
    "lastModified": COL_LAST_MODIFIED,
    "mutationKey": COL_MUTATION_KEY,
}

ToAirtable = Callable[..., dict[str, Any]]  # (payload, *, custom_fields) -> Airtable columns
MirrorApply = Callable[..., Sequence[Any]]  # (*, environment, records) -> mirror rows
MirrorDelete = Callable[..., int]  # (*, environment, record_ids) -> rows removed


class UnknownTableError(LookupError):
    """A table no :class:`TableSpec` describes: nothing may guess how to mirror or write it."""


@dataclass(frozen=True)
class TableLink:
    """A link column to another mirrored table (the record it belongs to)."""

    key: str  # the layout file's key for the column, e.g. "candidate"
    column: str  # the default layout's column name
    table: str  # the table it links to; that table is mirrored first


@dataclass(frozen=True)
class TableSpec:
    name: str  # the table's name in the default layout (what the code speaks)
    section: str  # its section in the layout file
    primary_field: str  # the column Airtable shows as the record's name
    fields: tuple[FieldSpec, ...]  # the catalogue: API name, column, kind
    # System columns (keys of SYSTEM_COLUMNS) the mirror reads, so the base must have them.
    # Every table gets all of them in the default layout.
    read_keys: tuple[str, ...]
    model: type[models.Model]  # the mirror model (``environment``, ``record_id``, …)
    to_airtable: ToAirtable
    mirror_apply: MirrorApply
    mirror_delete: MirrorDelete
    sync_page: PageApplier  # compare a listed page with the mirror, apply it, announce it
    deletion_events: DeletionEvents  # the events for rows about to leave the mirror
    links: tuple[TableLink, ...] = ()
    custom_fields: bool = False  # regions' custom fields are columns of this table

    @property
    def default_columns(self) -> dict[str, str]:
        """Layout file key → the default layout's column, for every column the code names."""
        return {
            **{spec.name: spec.column for spec in self.fields},
            **SYSTEM_COLUMNS,
            **{link.key: link.column for link in self.links},
        }

    @property
    def required_keys(self) -> frozenset[str]:
        """Layout file keys that must be in the base: the columns the mirror reads."""
        return frozenset({*self.read_keys, *(link.key for link in self.links)})

    @property
    def mapped_columns(self) -> list[str]:
        """The columns the mirror maps, without custom fields (the sync lists only these)."""
        return [
            *(spec.column for spec in self.fields),
            *(link.column for link in self.links),
            *(SYSTEM_COLUMNS[key] for key in self.read_keys),
        ]


def _interaction_to_airtable(
    payload: Mapping[str, Any], *, custom_fields: Sequence[CustomField] = ()
) -> dict[str, Any]:
    return interaction_to_airtable(payload)  # interactions have no custom fields


def _in_dependency_order(specs: Iterable[TableSpec]) -> tuple[TableSpec, ...]:
    ordered: list[TableSpec] = []
    for spec in specs:
        known = {earlier.name for earlier in ordered}
        for link in spec.links:
            if link.table not in known:
                raise ImproperlyConfigured(
                    f"table {spec.name} links to {link.table}, which must come before it in "
                    "candidates.tables.TABLES"
                )
        ordered.append(spec)
    return tuple(ordered)


TABLES: tuple[TableSpec, ...] = _in_dependency_order(
    (
        TableSpec(
            name=CANDIDATES_TABLE,
            section="candidates",
            primary_field="Naam",
            fields=CANDIDATE_FIELDS,
            read_keys=("region", "lastModified", "mutationKey"),
            model=Candidate,
            to_airtable=candidate_to_airtable,
            mirror_apply=candidate_mirror_apply,
            mirror_delete=candidate_mirror_delete,
            sync_page=sync_candidate_page,
            deletion_events=candidate_deletion_events,
            custom_fields=True,
        ),
        TableSpec(
            name=INTERACTIONS_TABLE,
            section="interactions",
            # The subject: what staff recognise an interaction by in linked-record chips.
            primary_field="Onderwerp",
            fields=INTERACTION_FIELDS,
            # Its region comes from its candidate.
            read_keys=("lastModified", "mutationKey"),
            model=Interaction,
            to_airtable=_interaction_to_airtable,
            mirror_apply=interaction_mirror_apply,
            mirror_delete=interaction_mirror_delete,
            sync_page=sync_interaction_page,
            deletion_events=interaction_deletion_events,
            links=(TableLink("candidate", COL_INTERACTION_CANDIDATE, CANDIDATES_TABLE),),
        ),
    )
)
TABLE_NAMES = tuple(spec.name for spec in TABLES)
_BY_NAME = {spec.name: spec for spec in TABLES}


def table_spec(name: str) -> TableSpec:
    """The spec of a mirrored table; :class:`UnknownTableError` for any other name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownTableError(
            f"{name!r} is not a mirrored Airtable table (known: {', '.join(TABLE_NAMES)}); "
            "describe it with a TableSpec in candidates/tables.py"
        ) from None
