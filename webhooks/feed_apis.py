"""GET /events: the region's change feed (SPEC 6.4)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.envelope import ok
from config.api.environment import request_environment
from config.api.openapi import envelope
from config.api.pagination import parse_page_size
from regions.apis import KeyView

from . import feed
from .models import EVENT_TYPES, Event, EventSource
from .services import isoformat


class FeedEventSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Increases by one per event of this feed.")
    id = serializers.UUIDField(help_text="The same id as the webhook delivery of this event.")
    type = serializers.ChoiceField(choices=list(EVENT_TYPES))
    occurredAt = serializers.DateTimeField()
    # ``source`` and ``data`` are the feed's member names; the stubs know them as Field attributes.
    source = serializers.ChoiceField(choices=EventSource.choices)  # type: ignore[assignment]
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="Ids and changed field names only, as in the webhook payload; read the "
        "record itself for its values."
    )


def feed_item(event: Event) -> dict[str, Any]:
    return {
        "position": event.position,
        "id": str(event.uuid),
        "type": event.type,
        "occurredAt": isoformat(event.occurred_at),
        "source": event.source,
        "data": feed.event_payload_data(event),
    }


class EventFeedApi(KeyView):
    multi_value_params = frozenset({"types"})

    @extend_schema(
        tags=["Webhooks"],
        operation_id="events_list",
        summary="The region's ordered change feed",
        description=(
            "Every event the webhooks send (including staff edits found by sync, deletions and "
            "retention archives), in position order, for this environment. Pass `after=0` for "
            "the start, then `meta.cursor` of the previous page, or the `position` of the last "
            "webhook delivery you processed. An empty page returns the same cursor: poll again "
            "later. Events are kept "
            "`EVENT_FEED_RETENTION_DAYS` (30) days; an older cursor answers 410 "
            "`CURSOR_EXPIRED`: resync with `GET /candidates?updatedSince=` and continue from the "
            "position named in the message."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                str,
                description="A position (whole number ≥ 0): events after it are returned. "
                "Default 0, the start of the feed.",
            ),
            OpenApiParameter("pageSize", int, description="1–100, default 100."),
            OpenApiParameter(
                "types",
                str,
                many=True,
                explode=True,
                enum=list(EVENT_TYPES),
                description="Only these event types (repeat or comma-separate). The cursor "
                "still moves past events of other types.",
            ),
        ],
        responses={200: envelope(FeedEventSerializer, many=True)},
    )
    def get(self, request: Request) -> Response:
        after = feed.parse_after(request.query_params.get("after"))
        page_size = parse_page_size(request.query_params.get("pageSize"))
        types = feed.parse_types(request.query_params.getlist("types"))
        page = feed.feed_read(
            region=self.region,
            environment=request_environment(request),
            after=after,
            page_size=page_size,
            types=types,
        )
        return ok(
            request,
            [feed_item(event) for event in page.events],
            cursor=str(page.cursor),
            hasMore=page.has_more,
        )
