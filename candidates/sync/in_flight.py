"""What the engine may be writing right now: a record a running mutation may be writing is
deferred by the sync, not applied (docs/sync.md "Our own changes")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mutations.models import ACTIVE_STATUSES, Mutation

from ..fields import COL_MUTATION_KEY

_RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")


@dataclass
class InFlight:
    record_ids: set[str]
    mutation_ids: set[str]

    def touches(self, record: dict[str, Any]) -> bool:
        if record["id"] in self.record_ids:
            return True
        key = str((record.get("fields") or {}).get(COL_MUTATION_KEY) or "")
        return bool(key) and key.partition(":")[0] in self.mutation_ids


def _record_ids_in(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if _RECORD_ID.match(value):
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _record_ids_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _record_ids_in(item, found)


def in_flight_now(environment: str) -> InFlight:
    """Records that active mutations which were already claimed once may be writing: their
    targets, the records their finished steps returned, and (through ``API Mutation Key``)
    records they created. A mutation never claimed has sent nothing yet."""
    record_ids: set[str] = set()
    mutation_ids: set[str] = set()
    for uuid, target_ids, state in Mutation.objects.filter(
        environment=environment, status__in=ACTIVE_STATUSES, started_at__isnull=False
    ).values_list("uuid", "target_ids", "state"):
        mutation_ids.add(str(uuid))
        _record_ids_in(target_ids, record_ids)
        _record_ids_in(state, record_ids)
    return InFlight(record_ids=record_ids, mutation_ids=mutation_ids)
