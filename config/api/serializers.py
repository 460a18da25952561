from __future__ import annotations

from typing import Any

from rest_framework import serializers

# JSON types each DRF field class accepts. DRF coerces by default ("1" → 1, 0 → "0",
# "yes" → True); an API with a published schema must reject what the schema rejects.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...]], ...] = (
    (serializers.BooleanField, (bool,)),
    (serializers.IntegerField, (int,)),
    (serializers.FloatField, (int, float)),
    (serializers.CharField, (str,)),
    (serializers.ChoiceField, (str,)),
    (serializers.ListField, (list,)),
    (serializers.DictField, (dict,)),
)


def _wrong_type(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # allow_null decides
    for field_class, accepted in _JSON_TYPES:
        if isinstance(field, field_class):
            if isinstance(value, bool) and bool not in accepted:
                return f"Expected {field_class.__name__.removesuffix('Field').lower()}."
            if not isinstance(value, accepted):
                return f"Expected {field_class.__name__.removesuffix('Field').lower()}."
            return None
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects members it does not declare as writable and values of the wrong JSON type,
    reported together with every other violation."""

    def to_internal_value(self, data: Any) -> Any:
        problems: dict[str, list[str]] = {}
        if isinstance(data, dict):
            writable = {name: f for name, f in self.fields.items() if not f.read_only}
            for name in set(data) - set(writable):
                problems[name] = ["Unknown or read-only field."]
            for name, field in writable.items():
                message = _wrong_type(field, data.get(name)) if name in data else None
                if message:
                    problems[name] = [message]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            raise serializers.ValidationError({**detail, **problems}) from None
        if problems:
            raise serializers.ValidationError(problems)
        return value
