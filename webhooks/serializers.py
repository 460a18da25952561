from __future__ import annotations

from typing import Any

from rest_framework import serializers

from config.api.serializers import StrictSerializer

from .http import UnsafeUrl, check_url
from .models import EVENT_TYPES, DeliveryKind, DeliveryStatus, DisabledReason


class SubscriptionSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.URLField(
        max_length=2000,
        help_text="Public http(s) URL; private, loopback and link-local hosts are refused.",
    )
    events = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"One or more of: {', '.join(EVENT_TYPES)}.",
    )
    active = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false pauses deliveries; true also re-enables a disabled subscription.",
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    disabledReason = serializers.ChoiceField(
        source="disabled_reason",
        choices=DisabledReason.choices,
        read_only=True,
        allow_null=True,
        help_text="gone: the receiver answered 410; failing: 3 days without a 2xx.",
    )
    disabledAt = serializers.DateTimeField(source="disabled_at", read_only=True, allow_null=True)
    failingSince = serializers.DateTimeField(
        source="failing_since",
        read_only=True,
        allow_null=True,
        help_text="Start of the current run of failed attempts; null while healthy.",
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    def validate_url(self, value: str) -> str:
        try:
            check_url(value)
        except UnsafeUrl as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in EVENT_TYPES]
        if unknown or not value:
            raise serializers.ValidationError(
                (f"Unknown event {unknown[0]!r}. " if unknown else "")
                + f"Give one or more of: {', '.join(EVENT_TYPES)}."
            )
        return list(dict.fromkeys(value))

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["disabledReason"] = data["disabledReason"] or None
        return data


class SubscriptionUpdateSerializer(SubscriptionSerializer):
    events = serializers.ListField(child=serializers.CharField(), required=False)
    url = serializers.URLField(max_length=2000, required=False)
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DeliveryAttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    startedAt = serializers.DateTimeField(source="started_at")
    durationMs = serializers.IntegerField(source="duration_ms")
    statusCode = serializers.IntegerField(source="status_code", allow_null=True)
    error = serializers.CharField(help_text="Empty when a 2xx–5xx answer came back.")
    response = serializers.CharField(
        source="response_body", help_text="The receiver's answer, truncated to 2 KB."
    )


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Also sent as the webhook-id header.")
    kind = serializers.ChoiceField(choices=DeliveryKind.choices)
    event = serializers.CharField(help_text="Event type, or ping for a test.")
    url = serializers.URLField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)
    lastError = serializers.CharField(source="last_error")
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    payload = serializers.JSONField(help_text="The JSON body sent.")
    attemptLog = DeliveryAttemptSerializer(source="attempt_log.all", many=True)


class SigningSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        help_text="HMAC key for x-mutationengine-signature and webhook-signature (its UTF-8 "
        "bytes, whsec_ prefix included)."
    )
    standardWebhooksSecret = serializers.CharField(
        help_text="The same key as whsec_<standard base64>, for Standard Webhooks libraries "
        "that take a string."
    )
    previousSecret = serializers.CharField(
        required=False, help_text="Still signing in parallel until previousSecretExpiresAt."
    )
    previousSecretExpiresAt = serializers.DateTimeField(required=False)
