"""airtable_check's verdict per mapped field, on metadata shaped like Airtable's (issue 18)."""

from __future__ import annotations

import pytest

from candidates.airtable_layout import build_base_layout
from candidates.fields import PHASES
from candidates.layout_check import check_layout
from candidates.layout_file import parse_layout

pytestmark = pytest.mark.django_db


def _schema(region_column: dict, phase_choices) -> list[dict]:
    fields = [
        {"id": "fldNaam0000000001", "name": "Naam", "type": "singleLineText"},
        {
            "id": "fldFase0000000001",
            "name": "Fase",
            "type": "singleSelect",
            "options": {"choices": [{"name": c} for c in phase_choices]},
        },
        {"id": "fldRegio000000001", **region_column},
    ]
    return [{"id": "tblKandidaten0001", "name": "Kandidaten", "fields": fields}]


def _report(schema):
    config = parse_layout({}, source="test")
    report = check_layout(config, build_base_layout(), schema)
    return {f.field.key: f for f in report.fields if f.field.table == "Kandidaten"}


def test_a_region_code_kept_as_a_select_option_is_accepted():
    fields = _report(_schema({"name": "Regio", "type": "singleSelect"}, PHASES))

    assert fields["region"].problems == []
    assert fields["phase"].problems == []
    assert fields["email"].problems == ["missing"]


def test_missing_phase_options_and_a_computed_region_are_blockers():
    schema = _schema({"name": "Regio", "type": "multipleLookupValues"}, PHASES[:2])

    fields = _report(schema)

    assert fields["phase"].problems == [
        'lacks options "oriënteren", "voorbereiden", "in opleiding", "werkzaam", '
        '"uitgestroomd" (add them in Airtable)'
    ]
    assert "Airtable computes this column (multipleLookupValues)" in fields["region"].problems[0]
