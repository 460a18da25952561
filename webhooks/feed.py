"""The change feed (SPEC 6.4): one ordered, durable event log per region and environment.

**Positions are handed out in commit order.** A reader asks for "events after position N";
it must never miss an event that commits *later* with a *lower* position. A plain sequence
cannot promise that: transaction A takes 7, B takes 8 and commits first, a reader sees 8 and
moves its cursor past 7, which A then commits. So the position comes from a counter row per
region and environment (``EventSequence``), bumped with ``UPDATE … RETURNING`` inside the
transaction that inserts the events. The UPDATE row-locks the counter until that transaction
commits or rolls back, so a second writer for the same feed waits, and its position is higher
*and* its commit later. Whatever a reader's snapshot holds is therefore a gap-free prefix
of the feed (a rolled-back transaction undoes its bump too). The price: event-producing
transactions of one region and environment serialise on their last few milliseconds (the
events are appended at the end of the transaction that ends a mutation or applies a sync
page). docs/architecture.md explains the choice against the alternative.

Retention deletes events older than ``EVENT_FEED_RETENTION_DAYS`` and remembers the highest
deleted position per feed, so a reader behind it gets a 410 instead of a silent gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from config.api.errors import ApiError, BadRequest, ErrorDetail
from regions.models import Region

from .models import EVENT_TYPES, Event, EventSequence

MAX_PAGE_SIZE = 100
PRUNE_BATCH_SIZE = 5000
# A filtered read looks at most this many pages of positions ahead before it answers.
FILTER_WINDOW_PAGES = 50
# Members of event data stored in their own columns (they are what readers filter and join on).
_COLUMN_KEYS = {"candidateId": "candidate_id", "interactionId": "interaction_id"}


class CursorExpired(ApiError):
    status_code, code = 410, "CURSOR_EXPIRED"
    default_message = "Events after this cursor were removed by retention."


@dataclass(frozen=True)
class NewEvent:
    type: str
    source: str
    data: dict[str, Any]
    mutation_id: str = ""


def _bump(region: Region, environment: str, count: int) -> int:
    """Reserve ``count`` positions; returns the last one. Holds the counter's row lock until
    the caller's transaction ends (that is the point, see the module docstring)."""
    sql = (
        "UPDATE webhooks_eventsequence SET last_position = last_position + %s "
        "WHERE region_id = %s AND environment = %s RETURNING last_position"
    )
    region_pk = region.pk.hex if connection.vendor == "sqlite" else region.pk
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(sql, [count, region_pk, environment])
            row = cursor.fetchone()
            if row is not None:
                return int(row[0])
            # First event of this feed: create the counter (a racing writer may win; fine).
            EventSequence.objects.bulk_create(
                [EventSequence(region=region, environment=environment)], ignore_conflicts=True
            )
    raise RuntimeError("event sequence row missing after insert")


@transaction.atomic
def feed_append(*, region: Region, environment: str, events: Sequence[NewEvent]) -> list[Event]:
    """Append ``events`` to the region's feed, in order, in the caller's transaction."""
    if not events:
        return []
    last = _bump(region, environment, len(events))
    first = last - len(events) + 1
    now = timezone.now()  # taken under the counter lock: occurred_at follows position
    rows = []
    for offset, new in enumerate(events):
        data = dict(new.data)
        columns = {column: str(data.pop(key, "") or "") for key, column in _COLUMN_KEYS.items()}
        data.pop("mutationId", None)
        data.pop("source", None)
        rows.append(
            Event(
                region=region,
                environment=environment,
                position=first + offset,
                type=new.type,
                source=new.source,
                occurred_at=now,
                mutation_id=new.mutation_id,
                data=data,
                **columns,
            )
        )
    return Event.objects.bulk_create(rows)


def event_payload_data(event: Event) -> dict[str, Any]:
    """The ``data`` member of the event's webhook payload and feed item."""
    data: dict[str, Any] = {}
    if event.candidate_id:
        data["candidateId"] = event.candidate_id
    if event.interaction_id:
        data["interactionId"] = event.interaction_id
    data.update(event.data)
    if event.mutation_id:
        data["mutationId"] = event.mutation_id
    data["source"] = event.source
    return data


# --- reading -------------------------------------------------------------------------------------


def parse_after(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    value = raw.strip()
    if not value.isdigit() or len(value) > 18:
        raise BadRequest(
            "after must be a position: a whole number ≥ 0 (meta.cursor of the previous page, "
            "or the position of a webhook event).",
            details=[ErrorDetail("after", f"Expected a whole number ≥ 0, got {raw!r}.")],
        )
    return int(value)


def parse_types(raw: Sequence[str]) -> list[str]:
    types = [name.strip() for value in raw for name in value.split(",")]
    if "" in types:
        raise BadRequest(
            "types may not be empty.", details=[ErrorDetail("types", "Empty event type.")]
        )
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise BadRequest(
            f"Unknown event type(s): {', '.join(unknown)}. Allowed: {', '.join(EVENT_TYPES)}.",
            details=[ErrorDetail("types", f"Unknown event type {name!r}.") for name in unknown],
        )
    return list(dict.fromkeys(types))


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    cursor: int
    has_more: bool


def feed_read(
    *, region: Region, environment: str, after: int, page_size: int, types: Sequence[str] = ()
) -> FeedPage:
    """Up to ``page_size`` events after position ``after``, in order, and the cursor to read
    on from. With ``types`` the cursor still moves past skipped events of other types (up to
    the last position the page looked at), so a filtered reader never rescans them."""
    queryset = Event.objects.filter(region=region, environment=environment, position__gt=after)
    if not types:
        rows = list(queryset.order_by("position")[: page_size + 1])
        # Positions have no gaps, so a page that starts right after the cursor cannot have
        # lost anything to retention; only otherwise is the counter row read.
        if not rows or rows[0].position != after + 1:
            _check_not_pruned(region=region, environment=environment, after=after)
        events = rows[:page_size]
        return FeedPage(events, events[-1].position if events else after, len(rows) > page_size)
    _check_not_pruned(region=region, environment=environment, after=after)
    # Filtered: look at most a bounded window ahead so a rare type cannot make one request
    # scan the whole feed; the cursor moves to the end of what was looked at. The feed's end
    # is read *first*: every position up to it is committed (positions follow commit order),
    # so the events query, a later snapshot, sees all of them and the cursor skips nothing.
    last = sequence_last_position(region=region, environment=environment)
    window_end = min(after + page_size * FILTER_WINDOW_PAGES, last)
    events = list(
        queryset.filter(position__lte=window_end, type__in=list(types)).order_by("position")[
            :page_size
        ]
    )
    if len(events) == page_size:
        return FeedPage(events, events[-1].position, events[-1].position < last)
    return FeedPage(events, max(after, window_end), window_end < last)


def _check_not_pruned(*, region: Region, environment: str, after: int) -> None:
    sequence = EventSequence.objects.filter(region=region, environment=environment).first()
    if sequence is not None and after < sequence.pruned_through:
        raise CursorExpired(
            f"Events up to position {sequence.pruned_through} were removed after "
            f"{settings.EVENT_FEED_RETENTION_DAYS} days. Resync with "
            "GET /candidates?updatedSince=<the time of your last successful read> and "
            f"continue the feed with after={sequence.pruned_through}.",
            details=[ErrorDetail("after", f"Older than the retention window ({after}).")],
        )


def sequence_last_position(*, region: Region, environment: str) -> int:
    """The highest committed position visible now (0 for an empty feed)."""
    last = Event.objects.filter(region=region, environment=environment).aggregate(
        last=Max("position")
    )["last"]
    return int(last or 0)


# --- retention -----------------------------------------------------------------------------------


def feed_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=settings.EVENT_FEED_RETENTION_DAYS)


def feed_prune(*, now: datetime, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete events older than the retention window, feed by feed, and move each feed's
    ``pruned_through`` first so no reader is ever served a page with a hole in it."""
    cutoff = feed_cutoff(now)
    deleted = 0
    for sequence in EventSequence.objects.all().order_by("pk"):
        boundary = Event.objects.filter(
            region_id=sequence.region_id,
            environment=sequence.environment,
            occurred_at__lt=cutoff,
        ).aggregate(last=Max("position"))["last"]
        if boundary is None:
            continue
        # Record the boundary before deleting: a reader between the two steps gets a 410 for
        # a cursor it could still have read, never a page that silently skips.
        EventSequence.objects.filter(pk=sequence.pk, pruned_through__lt=boundary).update(
            pruned_through=boundary
        )
        while True:
            ids = list(
                Event.objects.filter(
                    region_id=sequence.region_id,
                    environment=sequence.environment,
                    position__lte=boundary,
                ).values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            deleted += Event.objects.filter(pk__in=ids).delete()[0]
    return deleted
