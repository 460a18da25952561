from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Mutation, MutationStatus


def mutation_links(request: Any, mutation: Mutation) -> dict[str, str]:
    prefix = "/api/sandbox" if mutation.environment == "sandbox" else "/api/v2"
    return {"self": request.build_absolute_uri(f"{prefix}/mutations/{mutation.uuid}")}


def accepted_body(request: Any, mutation: Mutation) -> dict[str, Any]:
    """The 202 body (SPEC 3). An idempotent replay returns it again for the same mutation,
    with the status the mutation has now (SPEC 5.5), as Stripe's replays do."""
    return {
        "mutationId": str(mutation.uuid),
        "status": mutation.status,
        "operation": mutation.operation,
        "idempotencyKey": mutation.idempotency_key,
        "callbackUrl": mutation.callback_url or None,
        "links": mutation_links(request, mutation),
    }


class LinksSerializer(serializers.Serializer):
    self = serializers.URLField()


class AcceptedSerializer(serializers.Serializer):
    mutationId = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=MutationStatus.choices,
        help_text="queued for a new write; an idempotent replay gives the current status.",
    )
    operation = serializers.CharField()
    idempotencyKey = serializers.CharField(allow_null=True)
    callbackUrl = serializers.URLField(allow_null=True)
    links = LinksSerializer()


class MutationErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    retryable = serializers.BooleanField()
    airtableErrorType = serializers.CharField(allow_null=True)


class CallbackStatusSerializer(serializers.Serializer):
    """Delivery state of the mutation's callback (the latest one, if staff resent it)."""

    status = serializers.ChoiceField(choices=["pending", "delivered", "failed", "cancelled"])
    attempts = serializers.IntegerField()
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)


class MutationSerializer(serializers.Serializer):
    mutationId = serializers.UUIDField(source="uuid")
    operation = serializers.CharField()
    status = serializers.ChoiceField(choices=MutationStatus.choices)
    targetIds = serializers.ListField(child=serializers.CharField(), source="target_ids")
    idempotencyKey = serializers.CharField(source="idempotency_key", allow_null=True)
    callbackUrl = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    result = serializers.SerializerMethodField(
        help_text='Record ids in request order ({"recordIds": [...], ...}); null until done.'
    )
    error = MutationErrorSerializer(allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at", allow_null=True)
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    callback = serializers.SerializerMethodField(
        help_text="Delivery of the signed callback to callbackUrl; null without one or "
        "while the mutation is still running."
    )
    links = serializers.SerializerMethodField()

    @extend_schema_field(CallbackStatusSerializer(allow_null=True))
    def get_callback(self, obj: Mutation) -> dict[str, Any] | None:
        # The relation is webhooks' (Delivery.mutation, related_name="callback_deliveries");
        # read through getattr so the engine never imports webhooks. ``.all()`` honours a
        # prefetch_related("callback_deliveries") on list queries.
        deliveries = getattr(obj, "callback_deliveries", None)
        if deliveries is None:
            return None
        latest = max(deliveries.all(), key=lambda d: d.created_at, default=None)
        return CallbackStatusSerializer(latest).data if latest is not None else None

    def get_callbackUrl(self, obj: Mutation) -> str | None:
        return obj.callback_url or None

    @extend_schema_field({"type": ["object", "null"], "additionalProperties": True})
    def get_result(self, obj: Mutation) -> dict[str, Any] | None:
        return obj.result

    def get_links(self, obj: Mutation) -> dict[str, str]:
        return mutation_links(self.context["request"], obj)
