"""The one catalogue of candidate and interaction fields (SPEC 4.1, 4.2).

Every other module derives from here: the JSON Schema and validator, the mirror columns, the
API ⇄ Airtable mapping, the Airtable base layout. API names are English; Airtable columns are
Dutch, as staff see them in the base. Enum values are identical in the API and in Airtable.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

import phonenumbers

DEFAULT_PHONE_REGION = "NL"
MAX_TEXT = 10_000
MAX_SHORT = 200

PHASES = (
    "nieuw",
    "matchen",
    "oriënteren",
    "voorbereiden",
    "in opleiding",
    "werkzaam",
    "uitgestroomd",
)
DEFAULT_PHASE = "nieuw"
# Values a record gets when it is created and the payload does not name the member. Applied by
# the engine at the moment it creates a record (a create, or an upsert that matched nobody),
# never to an existing record (SPEC 5.5).
CREATE_DEFAULTS: dict[str, object] = {"phase": DEFAULT_PHASE}
# One colour per phase from the Okabe-Ito palette, distinguishable with every common form of
# colour blindness; the back office always prints the phase name on it too. (background, text)
PHASE_COLOURS: dict[str, tuple[str, str]] = {
    "nieuw": ("#56B4E9", "#000000"),
    "matchen": ("#E69F00", "#000000"),
    "oriënteren": ("#CC79A7", "#000000"),
    "voorbereiden": ("#F0E442", "#000000"),
    "in opleiding": ("#0072B2", "#FFFFFF"),
    "werkzaam": ("#009E73", "#000000"),
    "uitgestroomd": ("#5F5F5F", "#FFFFFF"),
}
OTHER_PHASE_COLOUR = ("#D55E00", "#000000")  # a value Airtable holds that the catalogue lacks
SECTORS = (
    "Primair onderwijs",
    "Voortgezet onderwijs",
    "Speciaal onderwijs",
    "Middelbaar beroepsonderwijs",
    "Hoger onderwijs",
    "Praktijkonderwijs",
)
ROLES = (
    "Docent / leraar",
    "Instructeur (mbo)",
    "OOP",
    "Ondersteuning",
    "Leerlingenzorg",
    "Midden management",
    "Schoolleiding",
    "Anders",
)
QUALIFICATIONS = (
    "Primair onderwijs",
    "Beperkt tweedegraads",
    "Tweedegraads",
    "Eerstegraads",
    "PDG",
    "BKO/BDB",
    "Kwalificatie onderwijs ondersteunend personeel",
    "Kwalificatie Instructeur (MBO)",
    "Geen: gastdocentschap",
    "Pabo",
    "Onbekend",
    "Nog geen idee",
    "Niet van toepassing",
)
PRIOR_EDUCATION = (
    "geen",
    "praktijkonderwijs",
    "vmbo-bl",
    "vmbo-kl",
    "vmbo-gl",
    "vmbo-tl",
    "vmbo",
    "havo",
    "vwo",
    "mbo entree",
    "mbo 2",
    "mbo 3",
    "mbo 4",
    "mbo",
    "associate degree",
    "hbo propedeuse",
    "hbo bachelor",
    "hbo master",
    "hbo",
    "wo bachelor",
    "wo master",
    "wo",
    "PhD",
)
INTERACTION_TYPES = (
    "Telefonisch",
    "E-mail",
    "Persoonlijk",
    "Anders",
    "Doorverwijzing",
    "Adviesgesprek",
    "Kennismakingsgesprek",
    "Inschrijving activiteit",
    "Niet van toepassing",
)

CANDIDATES_TABLE = "Kandidaten"
INTERACTIONS_TABLE = "Interacties"

# Columns the system itself maintains (not API input fields).
COL_REGION = "Regio"
COL_ARCHIVED = "Gearchiveerd"
COL_LAST_MODIFIED = "Laatst gewijzigd"
COL_MUTATION_KEY = "API Mutation Key"
COL_INTERACTION_CANDIDATE = "Kandidaat"


class Kind(StrEnum):
    """The value kinds a field can have; each maps to a JSON Schema and an Airtable type."""

    STRING = "string"
    TEXT = "text"  # long text
    EMAIL = "email"
    PHONE = "phone"
    URI = "uri"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"
    NUMBER = "number"
    POSTCODE = "postcode"
    ENUM = "enum"
    ENUM_LIST = "enum[]"
    ATTACHMENTS = "attachments"


AIRTABLE_TYPE = {
    Kind.STRING: "singleLineText",
    Kind.TEXT: "multilineText",
    Kind.EMAIL: "email",
    Kind.PHONE: "phoneNumber",
    Kind.URI: "url",
    Kind.BOOLEAN: "checkbox",
    Kind.DATE: "date",
    Kind.DATETIME: "dateTime",
    Kind.INTEGER: "number",
    Kind.NUMBER: "number",
    Kind.POSTCODE: "singleLineText",
    Kind.ENUM: "singleSelect",
    Kind.ENUM_LIST: "multipleSelects",
    Kind.ATTACHMENTS: "multipleAttachments",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str  # API name
    column: str  # Airtable column
    kind: Kind
    max_length: int | None = None
    options: tuple[str, ...] = ()
    required_on_create: bool = False
    writable: bool = True  # False: read-only in the candidate/interaction payloads
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    v1_name: str = ""  # API v1's Dutch snake_case name (SPEC 14), set by _with_v1_names

    @property
    def airtable_type(self) -> str:
        return AIRTABLE_TYPE[self.kind]


def _with_v1_names(specs: tuple[FieldSpec, ...], names: dict[str, str]) -> tuple[FieldSpec, ...]:
    """The same fields with their API v1 names; every field must have one (one catalogue)."""
    mismatch = set(names) ^ {spec.name for spec in specs}
    if mismatch:
        raise ValueError(f"v1 names do not match the catalogue: {sorted(mismatch)}")
    return tuple(replace(spec, v1_name=names[spec.name]) for spec in specs)


CANDIDATE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Naam", Kind.STRING, max_length=MAX_SHORT, required_on_create=True),
    FieldSpec(
        "email",
        "E-mail",
        Kind.EMAIL,
        max_length=254,
        required_on_create=True,
        description="Stored and matched lower-cased.",
    ),
    FieldSpec(
        "phone",
        "Telefoon",
        Kind.PHONE,
        max_length=40,
        description="Normalised to E.164 (default region NL).",
    ),
    FieldSpec(
        "privacyConsent",
        "Privacy consent",
        Kind.BOOLEAN,
        required_on_create=True,
        description="Must be true on create.",
    ),
    FieldSpec("phase", "Fase", Kind.ENUM, options=PHASES, description="Default 'nieuw'."),
    FieldSpec("sectors", "Sector", Kind.ENUM_LIST, options=SECTORS),
    FieldSpec("roles", "Functie", Kind.ENUM_LIST, options=ROLES),
    FieldSpec("qualifications", "Kwalificatie", Kind.ENUM_LIST, options=QUALIFICATIONS),
    FieldSpec("priorEducation", "Vooropleiding", Kind.ENUM, options=PRIOR_EDUCATION),
    FieldSpec("linkedin", "LinkedIn", Kind.URI, max_length=500),
    FieldSpec("dateOfBirth", "Geboortedatum", Kind.DATE, description="Not in the future."),
    FieldSpec("motivation", "Motivatie", Kind.TEXT, max_length=MAX_TEXT),
    FieldSpec("notes", "Notities", Kind.TEXT, max_length=MAX_TEXT),
    FieldSpec("exitReason", "Reden van uitstroom", Kind.TEXT, max_length=MAX_TEXT),
    FieldSpec("address", "Adres", Kind.STRING, max_length=MAX_SHORT),
    FieldSpec("city", "Plaats", Kind.STRING, max_length=MAX_SHORT),
    FieldSpec(
        "postalCode",
        "Postcode",
        Kind.POSTCODE,
        max_length=7,
        description="Dutch postcode, normalised to '1234 AB'.",
    ),
    FieldSpec(
        "source", "Bron", Kind.STRING, max_length=MAX_SHORT, description="Channel or UTM source."
    ),
    FieldSpec(
        "externalId",
        "Extern ID",
        Kind.STRING,
        max_length=MAX_SHORT,
        description="The integrator's own id.",
    ),
    FieldSpec("curriculumVitae", "CV", Kind.ATTACHMENTS, writable=False),
    FieldSpec("otherAttachments", "Overige bijlagen", Kind.ATTACHMENTS, writable=False),
    FieldSpec("archived", COL_ARCHIVED, Kind.BOOLEAN, writable=False),
)
# The candidate members that carry files: written through attachment.add/remove, never set.
ATTACHMENT_MEMBERS = ("curriculumVitae", "otherAttachments")

CANDIDATE_FIELDS = _with_v1_names(
    CANDIDATE_FIELDS,
    {
        "name": "naam",
        "email": "email",
        "phone": "telefoon",
        "privacyConsent": "privacy_consent",
        "phase": "fase",
        "sectors": "sector",
        "roles": "functie",
        "qualifications": "kwalificatie",
        "priorEducation": "vooropleiding",
        "linkedin": "linkedin",
        "dateOfBirth": "geboortedatum",
        "motivation": "motivatie",
        "notes": "notities",
        "exitReason": "reden_van_uitstroom",
        "address": "adres",
        "city": "plaats",
        "postalCode": "postcode",
        "source": "bron",
        "externalId": "extern_id",
        "curriculumVitae": "cv",
        "otherAttachments": "overige_bijlagen",
        "archived": "gearchiveerd",
    },
)

INTERACTION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("type", "Type", Kind.ENUM, options=INTERACTION_TYPES, required_on_create=True),
    FieldSpec("subject", "Onderwerp", Kind.STRING, max_length=MAX_SHORT),
    FieldSpec("summary", "Samenvatting", Kind.TEXT, max_length=MAX_TEXT),
    FieldSpec("notes", "Notities", Kind.TEXT, max_length=MAX_TEXT),
    FieldSpec("performedBy", "Uitgevoerd door", Kind.STRING, max_length=MAX_SHORT),
    FieldSpec("performedAt", "Datum", Kind.DATETIME, required_on_create=True),
    FieldSpec("durationMinutes", "Duur (minuten)", Kind.INTEGER, minimum=0, maximum=1440),
)
INTERACTION_FIELDS = _with_v1_names(
    INTERACTION_FIELDS,
    {
        "type": "soort",
        "subject": "naam",
        "summary": "samenvatting",
        "notes": "notities",
        "performedBy": "uitgevoerd_door",
        "performedAt": "uitgevoerd_op",
        "durationMinutes": "duur",
    },
)

CANDIDATE_FIELDS_BY_NAME = {f.name: f for f in CANDIDATE_FIELDS}
INTERACTION_FIELDS_BY_NAME = {f.name: f for f in INTERACTION_FIELDS}
WRITABLE_CANDIDATE_FIELDS = tuple(f for f in CANDIDATE_FIELDS if f.writable)

# Custom field definition types (SPEC 4.4) and the kind each one validates as.
CUSTOM_FIELD_KINDS = {
    "string": Kind.STRING,
    "number": Kind.NUMBER,
    "boolean": Kind.BOOLEAN,
    "date": Kind.DATE,
    "enum": Kind.ENUM,
    "enum[]": Kind.ENUM_LIST,
}


# --- normalisation -------------------------------------------------------------------------

_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*$")


def normalize_email(value: str) -> str:
    return value.strip().lower()


def parse_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """A phone number in any common Dutch or international notation, or ``None``."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def is_valid_phone(value: str) -> bool:
    """A number that exists in its country's numbering plan, not only one of a possible
    length (``+3161234567``, a Dutch mobile number one digit short, is possible, not valid)."""
    number = parse_phone(value)
    return number is not None and phonenumbers.is_valid_number(number)


@functools.lru_cache(maxsize=4096)
def normalize_phone(value: str) -> str | None:
    """E.164 (``+31612345678``); ``None`` when it is not a phone number. Memoised (a pure
    function of the string): a sync maps every record twice (page diff, then mirror apply) and
    each mapping needs the number both formatted and as its lookup key — four parses of
    ~18 µs for one number."""
    number = parse_phone(value)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(value: str) -> str | None:
    """The digits-only lookup key: ``+31 6-1234 5678``, ``0031612345678`` and ``06 12345678``
    all give ``31612345678``."""
    e164 = normalize_phone(value)
    return e164[1:] if e164 else None


def normalize_postcode(value: str) -> str | None:
    match = _POSTCODE.match(value)
    return f"{match.group(1)} {match.group(2).upper()}" if match else None
