from __future__ import annotations

import pytest

from regions.models import CustomField


@pytest.fixture
def custom_fields(region, other_region) -> list[CustomField]:
    """One custom field of every type for ``region``, and one for ``other_region``."""
    CustomField.objects.create(
        region=other_region,
        key="secretCode",
        label="Geheime code",
        type="string",
        airtable_column="Amsterdam: code",
    )
    specs = [
        ("shoeSize", "Schoenmaat", "number", [], True),
        ("hasCar", "Heeft auto", "boolean", [], False),
        ("startDate", "Startdatum", "date", [], False),
        ("favouriteSubject", "Lievelingsvak", "enum", ["Wiskunde", "Geschiedenis"], False),
        ("languages", "Talen", "enum[]", ["Nederlands", "Engels", "Arabisch"], False),
        ("nickname", "Roepnaam", "string", [], False),
    ]
    return [
        CustomField.objects.create(
            region=region,
            key=key,
            label=label,
            type=type_,
            options=options,
            required=required,
            airtable_column=f"Utrecht: {label}",
            position=position,
        )
        for position, (key, label, type_, options, required) in enumerate(specs)
    ]
