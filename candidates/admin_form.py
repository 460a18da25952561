"""The candidate change form of the back office: the shared fields as staff edit them,
validated with the region's JSON Schema like a ``PATCH /candidates/{id}`` before anything is
queued (``CandidateAdmin`` in admin.py uses it)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Field
from django.utils.text import capfirst
from django.utils.translation import gettext
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from config.api.errors import ValidationFailed

from .fields import (
    PHASES,
    PRIOR_EDUCATION,
    QUALIFICATIONS,
    ROLES,
    SECTORS,
    WRITABLE_CANDIDATE_FIELDS,
)
from .mapping import attribute_name
from .models import Candidate
from .schema import validate_candidate

# Consent is the candidate's to give or withdraw (SPEC 7), so staff see it but cannot edit it.
STAFF_READ_ONLY_FIELDS = frozenset({"privacyConsent"})
API_NAME_OF: dict[str, str] = {
    attribute_name(spec.name): spec.name
    for spec in WRITABLE_CANDIDATE_FIELDS
    if spec.name not in STAFF_READ_ONLY_FIELDS
}
SHORT_TEXT_FIELDS = (
    "name",
    "email",
    "phone",
    "linkedin",
    "address",
    "city",
    "postal_code",
    "source",
    "external_id",
)


def _choices(options: tuple[str, ...], current: list[str]) -> list[tuple[str, str]]:
    """The catalogue's options, plus any value Airtable holds that the catalogue lacks (staff
    can add options in Airtable), so an unrelated edit never silently drops it."""
    extra = [value for value in current if value and value not in options]
    return [(value, value) for value in (*options, *extra)]


def _api_value(value: Any) -> Any:
    if value is None or value == "":
        return None  # clears the field, as ``null`` does in PATCH /candidates/{id}
    if isinstance(value, date):
        return value.isoformat()
    return value


class CandidateChangeForm(forms.ModelForm):
    """The shared fields, validated with the region's JSON Schema like a PATCH.

    Only the fields the user changed are validated and sent, so a value Airtable holds that the
    API would refuse (staff type into Airtable directly) does not block an unrelated edit.
    """

    phase = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    prior_education = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    sectors = forms.MultipleChoiceField(
        required=False, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )
    roles = forms.MultipleChoiceField(
        required=False, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )
    qualifications = forms.MultipleChoiceField(
        required=False, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )

    class Meta:
        model = Candidate
        fields = tuple(API_NAME_OF)
        widgets = {name: UnfoldAdminTextInputWidget for name in SHORT_TEXT_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidate = self.instance
        single = {"phase": PHASES, "prior_education": PRIOR_EDUCATION}
        multiple = {"sectors": SECTORS, "roles": ROLES, "qualifications": QUALIFICATIONS}
        for name, options in {**single, **multiple}.items():
            if name not in self.fields:
                continue
            field = cast(forms.ChoiceField, self.fields[name])
            model_field = cast("Field[Any, Any]", Candidate._meta.get_field(name))
            field.label = capfirst(model_field.verbose_name)
            if name in single:
                current = [getattr(candidate, name) or ""]
                field.choices = [("", "---------"), *_choices(options, current)]
            else:
                field.choices = _choices(options, list(getattr(candidate, name) or []))
        self.update_fields: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        payload = {
            API_NAME_OF[name]: _api_value(cleaned.get(name))
            for name in self.changed_data
            if name in API_NAME_OF
        }
        if not payload:
            return cleaned
        try:
            self.update_fields = validate_candidate(
                region=self.instance.region, operation="update", payload=payload
            )
        except ValidationFailed as exc:
            for detail in exc.details:
                name = attribute_name(re.split(r"[.\[]", detail.field, maxsplit=1)[0])
                # The API answers in English; a staff form speaks the user's language.
                message = gettext(detail.message)
                self.add_error(name if name in self.fields else None, message)
        return cleaned
