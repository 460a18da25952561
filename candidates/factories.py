"""factory_boy factories for the mirror: realistic Dutch candidates for tests and the demo seed.

Email addresses use IANA's reserved example domains, so demo data can never reach a real
inbox (the verification flow emails candidates). Pass ``region=`` to every factory.
"""

from __future__ import annotations

import random
import string
import unicodedata
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory import fuzzy

from config.api.environment import PRODUCTION

from .fields import (
    COL_ARCHIVED,
    COL_LAST_MODIFIED,
    COL_REGION,
    INTERACTION_TYPES,
    PHASES,
    PRIOR_EDUCATION,
    QUALIFICATIONS,
    ROLES,
    SECTORS,
    normalize_postcode,
)
from .mapping import phone_lookup_key
from .models import Attachment, AttachmentField, Candidate, Interaction

LOCALE = "nl_NL"
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
SOURCES = (
    "website",
    "open dag",
    "LinkedIn",
    "werkgeversbeurs",
    "via via",
    "Google Ads",
    "nieuwsbrief",
    "Werk in het onderwijs",
)
MOTIVATIONS = (
    "Ik wil graag het verschil maken voor leerlingen in mijn regio.",
    "Na twintig jaar in het bedrijfsleven zoek ik werk met meer betekenis.",
    "Als zij-instromer wil ik mijn vakkennis doorgeven aan een nieuwe generatie.",
    "Ik heb altijd al voor de klas willen staan en ben nu klaar voor de overstap.",
    "Mijn kinderen gaan naar school en ik wil me inzetten voor goed onderwijs.",
    "Ik geef graag bijles en wil dat nu als vak gaan doen.",
)
INTERACTION_SUBJECTS = (
    "Kennismaking",
    "Intakegesprek",
    "Terugbelverzoek",
    "Informatie over zij-instroom",
    "Aanmelding meeloopdag",
    "Doorverwijzing naar lerarenopleiding",
    "Vervolgafspraak",
)
_ALPHANUM = string.ascii_letters + string.digits


def new_record_id(prefix: str = "rec") -> str:
    """An Airtable-shaped id: ``rec``/``att`` and 14 letters or digits."""
    return prefix + "".join(random.choices(_ALPHANUM, k=14))


def dutch_mobile() -> str:
    # 06-1…06-5 and 06-8 are mobile ranges in use: the number passes is_valid_number.
    return "+316" + random.choice("123458") + "".join(random.choices(string.digits, k=7))


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(
        part for part in "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    )


def random_created_at() -> Any:
    return timezone.now() - timedelta(seconds=random.randint(3600, 2 * 365 * 86400))


def _sample(options: tuple[str, ...], most: int) -> list[str]:
    return random.sample(options, k=random.randint(0, most))


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    class Params:
        raw_postcode = factory.Faker("postcode", locale=LOCALE)  # "1234AB" or "1234 AB"

    record_id = factory.LazyFunction(new_record_id)
    environment = PRODUCTION
    name = factory.Faker("name", locale=LOCALE)
    email = factory.LazyAttributeSequence(
        lambda c, n: f"{ascii_slug(c.name)}.{n}@{random.choice(EMAIL_DOMAINS)}"
    )
    phone = factory.LazyFunction(dutch_mobile)
    phone_digits = factory.LazyAttribute(lambda c: phone_lookup_key(c.phone))  # as the mirror
    privacy_consent = True
    phase = fuzzy.FuzzyChoice(PHASES)
    sectors = factory.LazyFunction(lambda: _sample(SECTORS, 2))
    roles = factory.LazyFunction(lambda: _sample(ROLES, 2))
    qualifications = factory.LazyFunction(lambda: _sample(QUALIFICATIONS, 1))
    prior_education = fuzzy.FuzzyChoice(PRIOR_EDUCATION)
    linkedin = factory.LazyAttribute(
        lambda c: f"https://www.linkedin.com/in/{ascii_slug(c.name).replace('.', '-')}"
    )
    date_of_birth = factory.Faker("date_of_birth", locale=LOCALE, minimum_age=18, maximum_age=67)
    motivation = fuzzy.FuzzyChoice(MOTIVATIONS)
    notes = ""
    exit_reason = factory.LazyAttribute(
        lambda c: "Andere baan gevonden buiten het onderwijs." if c.phase == "uitgestroomd" else ""
    )
    address = factory.Faker("street_address", locale=LOCALE)
    city = factory.Faker("city", locale=LOCALE)
    postal_code = factory.LazyAttribute(lambda c: normalize_postcode(c.raw_postcode))
    source = fuzzy.FuzzyChoice(SOURCES)
    external_id = ""
    custom_fields = factory.LazyFunction(dict)
    archived = False
    mutation_key = ""
    airtable_created_at = factory.LazyFunction(random_created_at)
    airtable_modified_at = factory.LazyAttribute(
        lambda c: c.airtable_created_at + timedelta(seconds=random.randint(0, 30 * 86400))
    )


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    candidate = factory.SubFactory(CandidateFactory)
    record_id = factory.LazyFunction(new_record_id)
    environment = factory.SelfAttribute("candidate.environment")
    region = factory.SelfAttribute("candidate.region")
    type = fuzzy.FuzzyChoice(INTERACTION_TYPES)
    subject = fuzzy.FuzzyChoice(INTERACTION_SUBJECTS)
    summary = factory.LazyAttribute(lambda i: f"{i.subject} met de kandidaat besproken.")
    notes = ""
    performed_by = factory.Faker("name", locale=LOCALE)
    performed_at = factory.LazyAttribute(
        lambda i: i.candidate.airtable_created_at + timedelta(days=random.randint(0, 60))
    )
    duration_minutes = fuzzy.FuzzyInteger(5, 90)
    airtable_created_at = factory.LazyAttribute(lambda i: i.performed_at)
    airtable_modified_at = factory.LazyAttribute(lambda i: i.airtable_created_at)


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    candidate = factory.SubFactory(CandidateFactory)
    attachment_id = factory.LazyFunction(lambda: new_record_id("att"))
    field = AttachmentField.CURRICULUM_VITAE
    filename = factory.LazyAttribute(lambda a: f"cv-{ascii_slug(a.candidate.name)}.pdf")
    content_type = "application/pdf"
    size = fuzzy.FuzzyInteger(20_000, 900_000)
    url = factory.LazyAttribute(
        lambda a: f"https://files.example.com/{a.attachment_id}/{a.filename}"
    )
    position = factory.Sequence(lambda n: n % 5)


def airtable_record(
    fields: dict[str, Any],
    *,
    record_id: str | None = None,
    created: str = "2025-01-06T09:00:00.000Z",
    modified: str | None = None,
    region_code: str | None = None,
    archived: bool | None = None,
) -> dict[str, Any]:
    """A raw Airtable record as the Web API returns it (empty columns omitted)."""
    columns = {k: v for k, v in fields.items() if v not in (None, "", [], False)}
    columns[COL_LAST_MODIFIED] = modified or created
    if region_code is not None:
        columns[COL_REGION] = region_code
    if archived:
        columns[COL_ARCHIVED] = True
    return {"id": record_id or new_record_id(), "createdTime": created, "fields": columns}
