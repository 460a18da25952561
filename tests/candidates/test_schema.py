"""SPEC 4.5: the published JSON Schema and the server's validator give the same verdict."""

from __future__ import annotations

import base64
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

pytestmark = pytest.mark.django_db

BASE: dict[str, Any] = {
    "name": "Fatima el Amrani",
    "email": "fatima@example.com",
    "privacyConsent": True,
    "customFields": {"shoeSize": 38},
}
PDF = base64.b64encode(b"%PDF-1.4 demo").decode()
INTERACTION = {"type": "Telefonisch", "performedAt": "2025-03-01T10:00:00Z"}
URL_FILE = {"url": "https://files.example.com/cv.pdf", "filename": "cv.pdf"}
B64_FILE = {"filename": "cv.pdf", "contentType": "application/pdf", "base64": PDF}
FULL = {
    **BASE,
    "phone": "06 12345678",
    "phase": "matchen",
    "sectors": ["Primair onderwijs", "Hoger onderwijs"],
    "roles": ["Docent / leraar"],
    "qualifications": ["Tweedegraads"],
    "priorEducation": "wo master",
    "linkedin": "https://www.linkedin.com/in/fatima",
    "dateOfBirth": "1991-02-28",
    "motivation": "Ik wil lesgeven.",
    "notes": "Belt liever na 17 uur.",
    "exitReason": "",
    "address": "Biltstraat 10",
    "city": "Utrecht",
    "postalCode": "3572aa",
    "source": "open dag",
    "externalId": "CRM-42",
    "customFields": {
        "shoeSize": 38.5,
        "hasCar": False,
        "startDate": "2025-09-01",
        "favouriteSubject": "Wiskunde",
        "languages": ["Nederlands", "Arabisch"],
        "nickname": "Faat",
    },
    "interactions": [
        INTERACTION,
        {
            **INTERACTION,
            "subject": "Intake",
            "summary": "Goed",
            "notes": "x",
            "performedBy": "Bram",
            "durationMinutes": 30,
        },
    ],
    "curriculumVitae": [URL_FILE],
    "otherAttachments": [B64_FILE, {"url": "https://files.example.com/d.png"}],
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def _custom(**changes: Any) -> dict[str, Any]:
    return {**BASE, "customFields": {**BASE["customFields"], **changes}}


def _without(name: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != name}


# (case, payload, accepted, fields the rejection names)
CREATE_CORPUS: list[tuple[str, Any, bool, set[str]]] = [
    ("minimal", BASE, True, set()),
    ("every field", FULL, True, set()),
    ("missing name", _without("name"), False, {"name"}),
    ("missing email", _without("email"), False, {"email"}),
    ("missing consent", _without("privacyConsent"), False, {"privacyConsent"}),
    ("missing required custom field object", _without("customFields"), False, {"customFields"}),
    (
        "missing required custom field",
        _with(customFields={"hasCar": True}),
        False,
        {"customFields.shoeSize"},
    ),
    ("consent false", _with(privacyConsent=False), False, {"privacyConsent"}),
    ("consent as text", _with(privacyConsent="true"), False, {"privacyConsent"}),
    ("empty name", _with(name=""), False, {"name"}),
    ("name too long", _with(name="x" * 201), False, {"name"}),
    ("name wrong type", _with(name=["Fatima"]), False, {"name"}),
    ("email no at", _with(email="not-an-email"), False, {"email"}),
    ("email no dot", _with(email="fatima@localhost"), False, {"email"}),
    ("email with space", _with(email="fa tima@example.com"), False, {"email"}),
    ("email upper case", _with(email="Fatima@Example.COM"), True, set()),
    ("email with surrounding spaces", _with(email="  fatima@example.com \t"), True, set()),
    ("email with inner and outer spaces", _with(email=" fa tima@example.com "), False, {"email"}),
    ("phone international", _with(phone="+31 6 1234 5678"), True, set()),
    ("phone 0031", _with(phone="0031612345678"), True, set()),
    ("phone national dashed", _with(phone="06-12345678"), True, set()),
    ("phone too short", _with(phone="12345"), False, {"phone"}),
    ("phone national with brackets", _with(phone="(06) 123 456 78"), True, set()),
    ("phone landline with brackets", _with(phone="(020) 123 4567"), True, set()),
    ("phone international with (0)", _with(phone="+31 (0)6 12345678"), True, set()),
    ("phone international in brackets", _with(phone="(+31) 6 12345678"), True, set()),
    ("phone with surrounding spaces", _with(phone=" 06 12345678 "), True, set()),
    ("phone two opening brackets", _with(phone="((06) 12345678"), False, {"phone"}),
    ("phone letters", _with(phone="call me"), False, {"phone"}),
    ("phone number type", _with(phone=612345678), False, {"phone"}),
    ("postcode compact", _with(postalCode="3511AA"), True, set()),
    ("postcode digits only", _with(postalCode="3511"), False, {"postalCode"}),
    ("postcode leading zero", _with(postalCode="0123 AB"), False, {"postalCode"}),
    *[
        (f"phase {p}", _with(phase=p), True, set())
        for p in ("nieuw", "oriënteren", "in opleiding", "uitgestroomd")
    ],
    ("phase unknown", _with(phase="gepensioneerd"), False, {"phase"}),
    ("phase wrong case", _with(phase="Nieuw"), False, {"phase"}),
    ("sector unknown", _with(sectors=["Basisonderwijs"]), False, {"sectors[0]"}),
    ("sectors not a list", _with(sectors="Primair onderwijs"), False, {"sectors"}),
    ("sectors repeated", _with(sectors=["Hoger onderwijs", "Hoger onderwijs"]), False, {"sectors"}),
    ("role unknown", _with(roles=["Directeur"]), False, {"roles[0]"}),
    ("roles every option", _with(roles=["OOP", "Anders", "Schoolleiding"]), True, set()),
    ("qualification unknown", _with(qualifications=["Master"]), False, {"qualifications[0]"}),
    ("qualification odd option", _with(qualifications=["Geen: gastdocentschap"]), True, set()),
    ("prior education unknown", _with(priorEducation="mbo 5"), False, {"priorEducation"}),
    ("prior education PhD", _with(priorEducation="PhD"), True, set()),
    ("linkedin without scheme", _with(linkedin="linkedin.com/in/x"), False, {"linkedin"}),
    ("linkedin ftp", _with(linkedin="ftp://linkedin.com/in/x"), False, {"linkedin"}),
    ("linkedin http", _with(linkedin="http://linkedin.com/in/x"), True, set()),
    ("date of birth Dutch notation", _with(dateOfBirth="28-02-1991"), False, {"dateOfBirth"}),
    ("date of birth impossible", _with(dateOfBirth="1991-02-30"), False, {"dateOfBirth"}),
    ("motivation too long", _with(motivation="x" * 10_001), False, {"motivation"}),
    ("motivation at limit", _with(motivation="x" * 10_000), True, set()),
    ("source too long", _with(source="x" * 201), False, {"source"}),
    ("unknown field", _with(favouriteColour="blauw"), False, {"favouriteColour"}),
    ("read-only archived", _with(archived=True), False, {"archived"}),
    ("read-only id", _with(id="rec123"), False, {"id"}),
    ("unknown custom field", _custom(shoeColour="rood"), False, {"customFields.shoeColour"}),
    (
        "another region's custom field",
        _custom(secretCode="1234"),
        False,
        {"customFields.secretCode"},
    ),
    ("custom number as text", _custom(shoeSize="38"), False, {"customFields.shoeSize"}),
    ("custom boolean as text", _custom(hasCar="ja"), False, {"customFields.hasCar"}),
    ("custom date invalid", _custom(startDate="morgen"), False, {"customFields.startDate"}),
    (
        "custom enum unknown",
        _custom(favouriteSubject="Gym"),
        False,
        {"customFields.favouriteSubject"},
    ),
    ("custom enum[] unknown", _custom(languages=["Frans"]), False, {"customFields.languages[0]"}),
    ("custom string as number", _custom(nickname=7), False, {"customFields.nickname"}),
    ("null name", _with(name=None), False, {"name"}),
    ("null phone on create", _with(phone=None), False, {"phone"}),
    ("null custom field on create", _custom(nickname=None), False, {"customFields.nickname"}),
    ("null phase on create", _with(phase=None), False, {"phase"}),
    ("inline interaction", _with(interactions=[INTERACTION]), True, set()),
    (
        "interaction type unknown",
        _with(interactions=[{**INTERACTION, "type": "Brief"}]),
        False,
        {"interactions[0].type"},
    ),
    (
        "interaction without performedAt",
        _with(interactions=[{"type": "Anders"}]),
        False,
        {"interactions[0].performedAt"},
    ),
    (
        "interaction date-time invalid",
        _with(interactions=[INTERACTION, {**INTERACTION, "performedAt": "gisteren"}]),
        False,
        {"interactions[1].performedAt"},
    ),
    (
        "interaction date without time",
        _with(interactions=[{**INTERACTION, "performedAt": "2025-03-01"}]),
        False,
        {"interactions[0].performedAt"},
    ),
    (
        "interaction too long",
        _with(interactions=[{**INTERACTION, "durationMinutes": 1441}]),
        False,
        {"interactions[0].durationMinutes"},
    ),
    (
        "interaction negative",
        _with(interactions=[{**INTERACTION, "durationMinutes": -1}]),
        False,
        {"interactions[0].durationMinutes"},
    ),
    (
        "interaction unknown member",
        _with(interactions=[{**INTERACTION, "candidateId": "rec1"}]),
        False,
        {"interactions[0].candidateId"},
    ),
    ("eleven interactions", _with(interactions=[INTERACTION] * 11), False, {"interactions"}),
    ("ten interactions", _with(interactions=[INTERACTION] * 10), True, set()),
    ("cv by url", _with(curriculumVitae=[{"url": "https://example.com/cv.pdf"}]), True, set()),
    (
        "cv by plain http url",
        _with(curriculumVitae=[{"url": "http://example.com/cv.pdf"}]),
        False,
        {"curriculumVitae[0].url"},
    ),
    ("cv by base64", _with(curriculumVitae=[B64_FILE]), True, set()),
    (
        "cv bad base64",
        _with(curriculumVitae=[URL_FILE, {**B64_FILE, "base64": "not base64!"}]),
        False,
        {"curriculumVitae[1].base64"},
    ),
    (
        "cv unpadded base64",
        _with(curriculumVitae=[{**B64_FILE, "base64": "QUJD" + "QQ"}]),
        False,
        {"curriculumVitae[0].base64"},
    ),
    (
        "cv zip",
        _with(curriculumVitae=[{**B64_FILE, "contentType": "application/zip"}]),
        False,
        {"curriculumVitae[0].contentType"},
    ),
    (
        "cv url and base64",
        _with(curriculumVitae=[{**URL_FILE, "base64": PDF}]),
        False,
        {"curriculumVitae[0].base64"},
    ),
    (
        "cv neither url nor base64",
        _with(curriculumVitae=[{"filename": "cv.pdf"}]),
        False,
        {"curriculumVitae[0].contentType", "curriculumVitae[0].base64"},
    ),
    (
        "cv base64 without filename",
        _with(curriculumVitae=[{"contentType": "application/pdf", "base64": PDF}]),
        False,
        {"curriculumVitae[0].filename"},
    ),
    ("six files", _with(otherAttachments=[URL_FILE] * 6), False, {"otherAttachments"}),
    ("five files", _with(otherAttachments=[URL_FILE] * 5), True, set()),
    ("not an object", [BASE], False, {""}),
]

UPDATE_CORPUS: list[tuple[str, Any, bool, set[str]]] = [
    ("one field", {"phase": "werkzaam"}, True, set()),
    ("nothing", {}, False, {""}),
    ("null name", {"name": None}, False, {"name"}),
    ("null email", {"email": None}, False, {"email"}),
    ("null consent", {"privacyConsent": None}, False, {"privacyConsent"}),
    ("withdraw consent", {"privacyConsent": False}, True, set()),
    ("clear phone", {"phone": None}, True, set()),
    ("clear sectors", {"sectors": None}, True, set()),
    ("empty sectors", {"sectors": []}, True, set()),
    ("clear date of birth", {"dateOfBirth": None}, True, set()),
    ("clear phase", {"phase": None}, False, {"phase"}),
    ("change phase", {"phase": "voorbereiden"}, True, set()),
    ("clear linkedin", {"linkedin": None}, True, set()),
    ("bad phase", {"phase": "x"}, False, {"phase"}),
    ("bad email", {"email": "nope"}, False, {"email"}),
    ("upper-case email", {"email": "FATIMA@EXAMPLE.COM"}, True, set()),
    ("clear a custom field", {"customFields": {"nickname": None, "languages": None}}, True, set()),
    (
        "clear a required custom field",
        {"customFields": {"shoeSize": None}},
        False,
        {"customFields.shoeSize"},
    ),
    ("phone with brackets", {"phone": "(06) 123 456 78"}, True, set()),
    ("email with spaces", {"email": " fatima@example.com "}, True, set()),
    ("required custom field may be omitted", {"customFields": {"hasCar": True}}, True, set()),
    (
        "another region's custom field",
        {"customFields": {"secretCode": "x"}},
        False,
        {"customFields.secretCode"},
    ),
    ("no inline interactions", {"interactions": [INTERACTION]}, False, {"interactions"}),
    ("no inline files", {"curriculumVitae": [URL_FILE]}, False, {"curriculumVitae"}),
    ("unknown field", {"name": "x", "shoeSize": 40}, False, {"shoeSize"}),
    ("name empty", {"name": ""}, False, {"name"}),
]


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
