"""The candidate payloads the schema tests judge: a minimal and a full body, and two corpora of
(case, payload, accepted, fields the rejection names) that the published JSON Schema and the
server's validator must agree on (tests/candidates/test_schema.py)."""

from __future__ import annotations

import base64
from typing import Any

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
