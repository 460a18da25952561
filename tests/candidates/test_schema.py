"""SPEC 4.5: the published JSON Schema and the server's validator give the same verdict."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from candidates.schema import (
    MAX_BASE64_LENGTH,
    attachments_json_schema,
    candidate_json_schema,
    interaction_json_schema,
    validate_attachments,
    validate_candidate,
    validate_interaction,
)
from config.api.errors import ErrorDetail, ValidationFailed
from regions.models import CustomField

from .schema_corpus import (
    B64_FILE,
    CREATE_CORPUS,
    INTERACTION,
    UPDATE_CORPUS,
    URL_FILE,
    _custom,
    _with,
)

pytestmark = pytest.mark.django_db


def _verdicts(client, custom_fields, operation, corpus):
    response = client.get(f"/api/v2/schema?operation={operation}")
    assert response.status_code == 200
    published = Draft202012Validator(
        response.json()["data"], format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    region = custom_fields[0].region
    for case, payload, accepted, fields in corpus:
        schema_says = published.is_valid(payload)
        try:
            validate_candidate(region=region, operation=operation, payload=payload)
            server_says, named = True, set()
        except ValidationFailed as exc:
            server_says, named = False, {d.field for d in exc.details}
        yield case, schema_says, server_says, accepted, named, fields


def test_corpus_is_large_enough():
    assert len(CREATE_CORPUS) + len(UPDATE_CORPUS) >= 40
    assert sum(1 for c in CREATE_CORPUS if c[2]) >= 10
    assert sum(1 for c in CREATE_CORPUS if not c[2]) >= 30


@pytest.mark.parametrize(
    ("operation", "corpus"), [("create", CREATE_CORPUS), ("update", UPDATE_CORPUS)]
)
def test_published_schema_and_validator_give_the_same_verdict(
    region_client, custom_fields, operation, corpus
):
    for case, schema_says, server_says, accepted, named, fields in _verdicts(
        region_client, custom_fields, operation, corpus
    ):
        assert schema_says == server_says == accepted, case
        assert named == fields, case


def test_violations_are_listed_together_with_readable_messages(region, custom_fields):
    payload = {
        "name": "",
        "email": "nope",
        "privacyConsent": False,
        "phase": "x",
        "colour": "blauw",
        "customFields": {"secretCode": "1", "shoeSize": "38"},
        "interactions": [{"type": "Brief"}],
    }
    with pytest.raises(ValidationFailed) as caught:
        validate_candidate(region=region, operation="create", payload=payload)
    assert caught.value.details == [
        ErrorDetail("colour", "Unknown field."),
        ErrorDetail("customFields.secretCode", "Unknown field."),
        ErrorDetail("customFields.shoeSize", "Must be a number."),
        ErrorDetail("email", "Not a valid email address."),
        ErrorDetail("interactions[0].performedAt", "This field is required."),
        ErrorDetail(
            "interactions[0].type",
            'Must be one of: "Telefonisch", "E-mail", "Persoonlijk", "Anders", '
            '"Doorverwijzing", "Adviesgesprek", "Kennismakingsgesprek", '
            '"Inschrijving activiteit", "Niet van toepassing".',
        ),
        ErrorDetail("name", "Must not be empty."),
        ErrorDetail(
            "phase",
            'Must be one of: "nieuw", "matchen", "oriënteren", "voorbereiden", '
            '"in opleiding", "werkzaam", "uitgestroomd".',
        ),
        ErrorDetail("privacyConsent", "Must be true."),
    ]


def test_validator_returns_the_normalised_payload(region, custom_fields):
    payload = _with(email=" Fatima@Example.COM ", phone="(06) 12 34 56 78", postalCode="3511aa")
    # No create defaults here: the engine applies them when it creates a record (SPEC 5.5).
    assert validate_candidate(region=region, operation="create", payload=payload) == {
        **payload,
        "email": "fatima@example.com",
        "phone": "+31612345678",
        "postalCode": "3511 AA",
    }
    assert validate_candidate(
        region=region, operation="update", payload={"phone": None, "email": "A@B.NL"}
    ) == {"phone": None, "email": "a@b.nl"}


# The documented server-side additions (package docstring): the schema admits these payloads
# because JSON Schema cannot express the rule, and the server refuses them.
@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (_with(dateOfBirth="2999-01-01"), "dateOfBirth", "Must not be in the future."),
        (_with(phone="+1 234 567 89"), "phone", "Not a valid phone number for its country."),
        # A Dutch mobile number one digit short: a possible length, but no such number.
        (_with(phone="+3161234567"), "phone", "Not a valid phone number for its country."),
        (_with(phone="+31 6 0000 0000"), "phone", "Not a valid phone number for its country."),
        (
            _with(curriculumVitae=[{**B64_FILE, "base64": "A" * MAX_BASE64_LENGTH}]),
            "curriculumVitae[0].base64",
            "Must be at most 5 MB once decoded.",
        ),
    ],
)
def test_server_side_rules_beyond_the_schema(region, custom_fields, payload, field, message):
    schema = candidate_json_schema(region=region, operation="create")
    assert Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    ).is_valid(payload)
    with pytest.raises(ValidationFailed) as caught:
        validate_candidate(region=region, operation="create", payload=payload)
    assert caught.value.details == [ErrorDetail(field, message)]


def test_interaction_and_attachment_validators():
    assert validate_interaction(operation="create", payload=INTERACTION) == INTERACTION
    assert validate_interaction(operation="update", payload={"subject": None}) == {"subject": None}
    with pytest.raises(ValidationFailed) as caught:
        validate_interaction(operation="update", payload={"type": None, "performedAt": None})
    assert {d.field for d in caught.value.details} == {"type", "performedAt"}
    with pytest.raises(ValidationFailed) as caught:
        validate_interaction(operation="update", payload={})
    assert caught.value.details == [ErrorDetail("", "Send at least one field.")]

    body = {"curriculumVitae": [URL_FILE], "otherAttachments": [B64_FILE]}
    assert validate_attachments(payload=body) == body
    assert validate_attachments(payload={"otherAttachments": [B64_FILE]})
    for bad, fields in [
        ({}, {""}),
        ({"curriculumVitae": []}, {""}),
        ({"curriculumVitae": [URL_FILE] * 6}, {"curriculumVitae"}),
        ({"photos": [URL_FILE]}, {"photos", ""}),
        ({"curriculumVitae": [{"url": "ftp://example.com/cv.pdf"}]}, {"curriculumVitae[0].url"}),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            validate_attachments(payload=bad)
        assert {d.field for d in caught.value.details} == fields, bad
    for schema in (
        interaction_json_schema(operation="create"),
        interaction_json_schema(operation="update"),
        attachments_json_schema(),
    ):
        Draft202012Validator.check_schema(schema)


def test_schema_endpoint(region_client, region, custom_fields):
    response = region_client.get("/api/v2/schema")
    assert response.json() == {
        "data": candidate_json_schema(region=region, operation="create"),
        "meta": {"requestId": response["x-request-id"], "sandbox": False},
    }
    schema = response.json()["data"]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["name", "email", "privacyConsent", "customFields"]
    assert schema["properties"]["privacyConsent"]["const"] is True
    assert schema["properties"]["phase"]["default"] == "nieuw"
    assert list(schema["properties"]["customFields"]["properties"]) == [
        "shoeSize",
        "hasCar",
        "startDate",
        "favouriteSubject",
        "languages",
        "nickname",
    ]
    update = region_client.get("/api/v2/schema?operation=update").json()["data"]
    assert "required" not in update and update["minProperties"] == 1
    assert "interactions" not in update["properties"]
    # The update schema says which members null clears (SPEC 5.5) ...
    assert update["description"] == (
        "Changes exactly the members sent; absent members stay as they are. Arrays replace "
        "the stored list. null clears a member; clearable: phone, sectors, roles, "
        "qualifications, priorEducation, linkedin, dateOfBirth, motivation, notes, exitReason, "
        "address, city, postalCode, source, externalId, customFields.hasCar, "
        "customFields.startDate, customFields.favouriteSubject, customFields.languages, "
        "customFields.nickname. Never cleared (required, or defaulted on create): name, email, "
        "privacyConsent, phase, customFields.shoeSize."
    )
    # ... and its types agree: phase admits no null, city does.
    assert None not in update["properties"]["phase"]["enum"]
    assert update["properties"]["city"]["type"] == ["string", "null"]
    bad = region_client.get("/api/v2/schema?operation=delete")
    assert bad.status_code == 400
    assert bad.json()["error"]["details"] == [
        {"field": "operation", "message": "Unknown operation 'delete'."}
    ]


def test_schema_follows_custom_field_changes(region_client, region, custom_fields):
    def custom_properties() -> dict[str, Any]:
        data = region_client.get("/api/v2/schema").json()["data"]
        return data["properties"]["customFields"]["properties"]

    assert "schoolName" not in custom_properties()
    added = CustomField.objects.create(
        region=region,
        key="schoolName",
        label="School",
        type="string",
        airtable_column="Utrecht: School",
    )
    assert custom_properties()["schoolName"]["title"] == "School"
    added.label = "Huidige school"
    added.save()
    assert custom_properties()["schoolName"]["title"] == "Huidige school"
    added.delete()
    assert "schoolName" not in custom_properties()
    # And the validator follows too: the key is unknown again.
    with pytest.raises(ValidationFailed):
        validate_candidate(region=region, operation="create", payload=_custom(schoolName="x"))


def test_schema_follows_custom_fields_edited_in_the_admin(admin_client, region):
    assert (
        candidate_json_schema(region=region, operation="create")["properties"]["customFields"][
            "properties"
        ]
        == {}
    )
    response = admin_client.post(
        f"/admin/regions/region/{region.pk}/change/",
        {
            "name": region.name,
            "contact_email": region.contact_email,
            "active": "on",
            "retention_months": "24",
            "custom_fields-TOTAL_FORMS": "1",
            "custom_fields-INITIAL_FORMS": "0",
            "custom_fields-MIN_NUM_FORMS": "0",
            "custom_fields-MAX_NUM_FORMS": "1000",
            "custom_fields-0-key": "teachingSubject",
            "custom_fields-0-label": "Vak",
            "custom_fields-0-type": "enum",
            "custom_fields-0-options": '["Wiskunde", "Biologie"]',
            "custom_fields-0-required": "on",
            "custom_fields-0-airtable_column": "Utrecht: Vak",
            "custom_fields-0-position": "0",
            "custom_fields-0-description": "",
            "coverage-TOTAL_FORMS": "0",
            "coverage-INITIAL_FORMS": "0",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
            "api_keys-MIN_NUM_FORMS": "0",
            "api_keys-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    schema = candidate_json_schema(region=region, operation="create")
    assert schema["properties"]["customFields"]["properties"]["teachingSubject"] == {
        "title": "Vak",
        "enum": ["Wiskunde", "Biologie"],
    }
    assert schema["properties"]["customFields"]["required"] == ["teachingSubject"]


def test_schema_is_cached_per_region_and_operation(
    region, other_region, custom_fields, monkeypatch
):
    from candidates.schema import compiled as schema_module

    first = candidate_json_schema(region=region, operation="create")
    schema_module._local.clear()  # a fresh process: only Django's cache remains

    def no_rebuild(**kwargs):
        raise AssertionError("served from the cache, not rebuilt")

    monkeypatch.setattr(schema_module, "build_candidate_json_schema", no_rebuild)
    assert candidate_json_schema(region=region, operation="create") == first
    with pytest.raises(AssertionError, match="not rebuilt"):
        candidate_json_schema(region=other_region, operation="create")
    with pytest.raises(AssertionError, match="not rebuilt"):
        candidate_json_schema(region=region, operation="update")
    with pytest.raises(ValueError):
        candidate_json_schema(region=region, operation="delete")
