from __future__ import annotations

from rest_framework import serializers

from config.api.serializers import StrictSerializer

from .models import ApiKeyScope, Region


class RegionSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    code = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=200)
    contactEmail = serializers.EmailField(source="contact_email", required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True, max_length=200)
    active = serializers.BooleanField(required=False)
    retentionMonths = serializers.IntegerField(
        source="retention_months", required=False, min_value=1, max_value=240
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    def validate_code(self, value: str) -> str:
        if Region.objects.filter(code=value).exists():
            raise serializers.ValidationError("A region with this code exists.")
        return value


class RegionUpdateSerializer(RegionSerializer):
    code = serializers.SlugField(read_only=True)


class ApiKeySerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    prefix = serializers.SerializerMethodField()
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices, default=ApiKeyScope.REGION)
    region = serializers.CharField(source="region.code", read_only=True, allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", read_only=True, allow_null=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", read_only=True, allow_null=True)

    def get_prefix(self, obj: object) -> str:
        return f"ork_{obj.prefix}"  # type: ignore[attr-defined]


class CreatedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown only once.")
