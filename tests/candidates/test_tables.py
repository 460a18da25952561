"""The table specs: one registry names every mirrored table, and anything asked about a table
it does not describe refuses loudly instead of treating it as one it knows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.exceptions import ImproperlyConfigured

from candidates.airtable_layout import build_base_layout
from candidates.layout_file import SECTION_TABLES
from candidates.operations import RecordUpdate
from candidates.tables import (
    TABLES,
    TableLink,
    UnknownTableError,
    _in_dependency_order,
    table_spec,
)


def test_the_registry_names_both_tables_parents_first():
    assert [spec.name for spec in TABLES] == ["Kandidaten", "Interacties"]
    assert table_spec("Interacties").links[0].table == "Kandidaten"
    assert SECTION_TABLES == {"candidates": "Kandidaten", "interactions": "Interacties"}


def test_an_unknown_table_is_refused_with_a_clear_error():
    with pytest.raises(UnknownTableError, match=r"'Scholen' is not a mirrored Airtable table"):
        table_spec("Scholen")


def test_the_engine_refuses_an_update_operation_for_an_unknown_table():
    # Before the table spec, any table other than Kandidaten was mirrored as an interaction.
    with pytest.raises(UnknownTableError, match="Scholen"):
        RecordUpdate("Scholen", event="school.updated", id_member="schoolId")


def test_a_table_listed_before_the_table_it_links_to_is_refused():
    candidates, interactions = TABLES
    schools = replace(
        candidates, name="Scholen", links=(TableLink("candidate", "Kandidaat", "Kandidaten"),)
    )
    with pytest.raises(ImproperlyConfigured, match="Scholen links to Kandidaten"):
        _in_dependency_order((schools, candidates, interactions))
    assert _in_dependency_order((candidates, schools)) == (candidates, schools)


@pytest.mark.django_db
def test_the_expected_base_layout_has_one_table_per_spec():
    layout = build_base_layout()
    assert [table.name for table in layout.tables] == [spec.name for spec in TABLES]
    interactions = layout.table("Interacties")
    assert interactions is not None and interactions.primary_field == "Onderwerp"
    assert interactions.field("Kandidaat").linked_table == "Kandidaten"
