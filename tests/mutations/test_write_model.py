"""A model-based test of SPEC 5.3 "Upsert" and 5.5 "What a write may change".

Hypothesis drives random sequences of API writes (create, upsert matched by email, by phone in
several notations or by nobody, PATCH, archive/unarchive, files added by URL and base64 and
removed) and of staff edits made in Airtable itself (a person entered by hand, a phone typed in
a national notation, an email typed with capitals and spaces, a field changed), all through the
real API, the engine and the emulator. After every step Airtable's records must equal a plain
Python model of what each step should have done; after a sync the mirror must equal Airtable,
and ``find`` must see every notation of a number as that number.

Each example gets a region of its own, so records of earlier examples share the base (as other
regions do) and must never be matched.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from candidates import mapping
from candidates.models import Candidate
from candidates.sync import sync_incremental
from config.api.environment import PRODUCTION
from mutations.models import Mutation
from regions.services import api_key_create
from tests.factories import RegionFactory, candidate_body
from tests.fixtures.sync import Staff

pytestmark = pytest.mark.django_db

EMAILS = ("anna@example.nl", "bram@example.nl", "cora@example.nl")
NUMBERS = ("+31612345678", "+31687654321", "+31201234567")
NAMES = ("Anna", "Bram", "Cora", "Dirk")
PHASES = ("nieuw", "matchen", "voorbereiden", "werkzaam")
CITIES = ("Utrecht", "Zeist", "Amersfoort")
SECTORS = ("Primair onderwijs", "Voortgezet onderwijs", "Hoger onderwijs")
FILENAMES = ("cv.pdf", "cv.txt", "diploma.pdf")
CANDIDATES_TABLE = "Kandidaten"
_example_numbers = itertools.count()


def notations(e164: str) -> list[str]:
    """Ways people write one Dutch number (``+31`` and the national significant number)."""
    nsn = e164.removeprefix("+31")
    area, rest = nsn[0], nsn[1:]
    return [
        e164,
        f"0{nsn}",
        f"0{area} {rest}",
        f"0{area}-{rest}",
        f"({'0' + area}) {rest[:3]} {rest[3:6]} {rest[6:]}",
        f"+31 {area} {rest[:4]} {rest[4:]}",
        f"+31 (0){area} {rest}",
        f"0031{nsn}",
    ]


def email_variants(email: str) -> list[str]:
    local, domain = email.split("@")
    return [email, email.upper(), f"  {local.capitalize()}@{domain.title()} ", f"{email}\t"]


emails = st.sampled_from(EMAILS).flatmap(lambda e: st.sampled_from(email_variants(e)))
numbers = st.sampled_from(NUMBERS)
file_items = st.tuples(st.sampled_from(("url", "base64")), st.sampled_from(FILENAMES))
files = st.lists(file_items, max_size=2)
PATCHES = {
    "name": st.sampled_from(NAMES),
    "email": emails,
    "phone": st.none() | st.tuples(numbers, st.integers(0, 7)),
    "phase": st.sampled_from(PHASES),
    "city": st.none() | st.sampled_from(CITIES),
    "sectors": st.none() | st.lists(st.sampled_from(SECTORS), unique=True, max_size=2),
}


def file_payload(kind: str, filename: str) -> dict[str, str]:
    if kind == "url":
        return {"url": f"https://files.example.org/{filename}"}
    content = f"inhoud van {filename}".encode()
    return {
        "filename": filename,
        "contentType": "text/plain",
        "base64": base64.b64encode(content).decode(),
    }


def appended(current: list[str], new_files: list[tuple[str, str]]) -> list[str]:
    # Airtable fetches URL files with the record write; base64 files are uploaded after it.
    return (
        current
        + [name for kind, name in new_files if kind == "url"]
        + [name for kind, name in new_files if kind == "base64"]
    )


@dataclass
class Person:
    """What one Airtable record should hold. ``email``/``phone`` are the cell text as written
    (staff may type any notation); ``number`` is the phone number it denotes."""

    id: str
    created: tuple[str, str]
    name: str
    email: str
    phone: str | None = None
    number: str | None = None
    phase: str | None = "nieuw"
    city: str | None = None
    sectors: list[str] = field(default_factory=list)
    archived: bool = False
    cv: list[str] = field(default_factory=list)
    in_mirror: bool = True

    def airtable_fields(self, region_code: str) -> dict[str, Any]:
        """The record's columns as Airtable returns them (it omits empty ones)."""
        columns = {
            "Naam": self.name,
            "E-mail": self.email,
            "Telefoon": self.phone,
            "Fase": self.phase,
            "Plaats": self.city,
            "Sector": self.sectors,
            "Gearchiveerd": self.archived,
            "CV": self.cv,
            "Regio": region_code,
        }
        return {k: v for k, v in columns.items() if v not in (None, "", [], False)}


class WriteModel(RuleBasedStateMachine):
    """The state machine; ``airtable`` and ``run_engine`` are the test's fixtures."""

    airtable: Any = None
    run_engine: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.region = RegionFactory(code=f"model-{next(_example_numbers)}")
        self.client = APIClient()
        self.client.credentials(
            HTTP_X_API_KEY=api_key_create(region=self.region, name="model").full_key
        )
        self.staff = Staff(self.airtable)
        self.people: dict[str, Person] = {}

    # --- helpers --------------------------------------------------------------------------

    def _records(self) -> dict[str, dict[str, Any]]:
        return {
            r["id"]: r
            for r in self.airtable.records(CANDIDATES_TABLE)
            if r["fields"].get("Regio") == self.region.code
        }

    def _write(self, method: str, path: str, body: dict[str, Any] | None = None) -> Mutation:
        response = getattr(self.client, method)(f"/api/v2{path}", body or {}, format="json")
        assert response.status_code == 202, response.content
        self.run_engine()
        mutation = Mutation.objects.get(uuid=response.json()["data"]["mutationId"])
        assert mutation.status == "succeeded", (mutation.error, mutation.state)
        return mutation

    def _created(self, record_id: str, name: str, email: str) -> Person:
        record = self._records()[record_id]
        person = Person(
            id=record_id, created=(record["createdTime"], record_id), name=name, email=email
        )
        self.people[record_id] = person
        return person

    def _matches(self, email: str, number: str | None) -> list[str]:
        ordered = sorted(self.people.values(), key=lambda p: p.created)
        wanted = email.strip().lower()
        by_email = [p.id for p in ordered if p.email.strip().lower() == wanted]
        if by_email or number is None:
            return by_email
        return [p.id for p in ordered if p.number == number]

    def _in_mirror(self) -> list[str]:
        return sorted(p.id for p in self.people.values() if p.in_mirror)

    # --- API writes -------------------------------------------------------------------------

    @rule(
        people=st.lists(
            st.tuples(
                st.sampled_from(NAMES),
                emails,
                st.none() | st.tuples(numbers, st.integers(0, 7)),
                st.none() | st.sampled_from(PHASES),
                st.none() | st.sampled_from(CITIES),
                files,
            ),
            min_size=1,
            max_size=3,
            # One person once per request (email, number); people without a phone never clash.
            unique_by=(lambda p: p[1].strip().lower(), lambda p: p[2][0] if p[2] else id(p)),
        )
    )
    def create(self, people) -> None:
        payloads = []
        for name, email, phone, phase, city, new_files in people:
            payload: dict[str, Any] = {"name": name, "email": email, "privacyConsent": True}
            if phone:
                payload["phone"] = notations(phone[0])[phone[1]]
            if phase:
                payload["phase"] = phase
            if city:
                payload["city"] = city
            if new_files:
                payload["curriculumVitae"] = [file_payload(*f) for f in new_files]
            payloads.append(payload)
        mutation = self._write("post", "/candidates", {"candidates": payloads})
        for record_id, (name, email, phone, phase, city, new_files) in zip(
            mutation.result["recordIds"], people, strict=True
        ):
            person = self._created(record_id, name, email.strip().lower())
            person.phone = person.number = phone[0] if phone else None
            person.phase = phase or "nieuw"  # the create default
            person.city = city
            person.cv = appended([], new_files)

    @precondition(lambda self: self._in_mirror())
    @rule(data=st.data(), email=emails, phone=numbers, what=st.sampled_from(("email", "phone")))
    def invalid_writes_are_refused(self, data, email, phone, what) -> None:
        """One person twice in one create (any notation), or a PATCH clearing the phase."""
        other = candidate_body(name="Ander", email="ander@example.nl")
        twice = [
            {"name": "Een", "email": email, "phone": phone, "privacyConsent": True},
            {
                **other,
                **({"email": email.upper()} if what == "email" else {"phone": notations(phone)[2]}),
            },
        ]
        response = self.client.post("/api/v2/candidates", {"candidates": twice}, format="json")
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["error"]["details"]] == [
            f"candidates[0].{what}",
            f"candidates[1].{what}",
        ]
        record_id = data.draw(st.sampled_from(self._in_mirror()))
        response = self.client.patch(
            f"/api/v2/candidates/{record_id}", {"phase": None}, format="json"
        )
        assert response.status_code == 422

    def _someone(self, data: st.DataObject, candidates: list[str]) -> Person:
        """A person to upsert again, preferably one with files (what an upsert may lose)."""
        with_files = [i for i in candidates if self.people[i].cv]
        if with_files and data.draw(st.booleans(), label="one with files"):
            candidates = with_files
        return self.people[data.draw(st.sampled_from(candidates), label="person")]

    def _upsert(
        self,
        email: str,
        phone: tuple[str, int] | None,
        data: st.DataObject,
        new_files: list[tuple[str, str]] | None = None,
    ) -> None:
        name = data.draw(st.sampled_from(NAMES), label="name")
        phase = data.draw(st.none() | st.sampled_from(PHASES), label="phase")
        city = data.draw(st.none() | st.sampled_from(CITIES), label="city")
        sectors = data.draw(PATCHES["sectors"] | st.just(None), label="sectors")
        if new_files is None:
            new_files = data.draw(files, label="files")
        payload: dict[str, Any] = {"name": name, "email": email, "privacyConsent": True}
        number = phone[0] if phone else None
        if phone:
            payload["phone"] = notations(phone[0])[phone[1]]
        for member, value in (("phase", phase), ("city", city), ("sectors", sectors)):
            if value is not None:
                payload[member] = value
        if new_files:
            payload["curriculumVitae"] = [file_payload(*f) for f in new_files]
        expected = self._matches(email, number)
        mutation = self._write("post", "/candidates/upsert", payload)
        assert mutation.result["matchedIds"] == expected
        assert mutation.result["created"] is (not expected)
        if expected:
            # A PATCH of exactly the members sent; no create defaults; files appended.
            person = self.people[expected[0]]
            assert mutation.result["recordIds"] == [person.id]
            person.name, person.email = name, email.strip().lower()
        else:
            person = self._created(mutation.result["recordIds"][0], name, email.strip().lower())
            person.phase = "nieuw"
        if phone:
            person.phone = person.number = number
        person.phase = phase or person.phase
        person.city = city or person.city
        person.sectors = sectors if sectors is not None else person.sectors
        person.cv = appended(person.cv, new_files)
        person.in_mirror = True

    @rule(data=st.data(), email=emails, phone=st.none() | st.tuples(numbers, st.integers(0, 7)))
    def upsert(self, data, email, phone) -> None:
        self._upsert(email, phone, data)

    @precondition(lambda self: self.people)
    @rule(data=st.data(), variant=st.integers(0, 3))
    def upsert_someone_by_email(self, data, variant) -> None:
        person = self._someone(data, sorted(self.people))
        email = email_variants(person.email.strip().lower())[variant]
        self._upsert(email, data.draw(st.none() | st.tuples(numbers, st.integers(0, 7))), data)

    @precondition(lambda self: any(p.number for p in self.people.values()))
    @rule(
        data=st.data(),
        notation=st.integers(0, 7),
        n=st.integers(0, 10**6),
        new_files=st.lists(file_items, min_size=1, max_size=2),
    )
    def upsert_someone_by_phone(self, data, notation, n, new_files) -> None:
        person = self._someone(data, sorted(p.id for p in self.people.values() if p.number))
        assert person.number is not None
        self._upsert(f"nieuw{n}@example.nl", (person.number, notation), data, new_files)

    @precondition(lambda self: self._in_mirror())
    @rule(
        data=st.data(),
        members=st.lists(st.sampled_from(sorted(PATCHES)), min_size=1, max_size=3, unique=True),
    )
    def patch(self, data, members) -> None:
        person = self.people[data.draw(st.sampled_from(self._in_mirror()))]
        changes = {member: data.draw(PATCHES[member], label=member) for member in members}
        body = dict(changes)
        if isinstance(body.get("phone"), tuple):
            body["phone"] = notations(changes["phone"][0])[changes["phone"][1]]
        self._write("patch", f"/candidates/{person.id}", body)
        if "name" in changes:
            person.name = changes["name"]
        if "email" in changes:
            person.email = changes["email"].strip().lower()
        if "phone" in changes:
            person.phone = person.number = changes["phone"][0] if changes["phone"] else None
        if "phase" in changes:
            person.phase = changes["phase"]
        if "city" in changes:
            person.city = changes["city"]
        if "sectors" in changes:
            person.sectors = changes["sectors"] or []

    @precondition(lambda self: self._in_mirror())
    @rule(data=st.data(), archived=st.booleans())
    def archive_or_unarchive(self, data, archived) -> None:
        person = self.people[data.draw(st.sampled_from(self._in_mirror()))]
        self._write("post", f"/candidates/{person.id}/{'archive' if archived else 'unarchive'}")
        person.archived = archived

    @precondition(lambda self: self._in_mirror())
    @rule(data=st.data(), new_files=st.lists(file_items, min_size=1, max_size=2))
    def add_files(self, data, new_files) -> None:
        person = self.people[data.draw(st.sampled_from(self._in_mirror()))]
        body = {"curriculumVitae": [file_payload(*f) for f in new_files]}
        self._write("post", f"/candidates/{person.id}/attachments", body)
        person.cv = appended(person.cv, new_files)

    @precondition(lambda self: any(p.cv and p.in_mirror for p in self.people.values()))
    @rule(data=st.data())
    def remove_a_file(self, data) -> None:
        with_files = sorted(p.id for p in self.people.values() if p.cv and p.in_mirror)
        person = self.people[data.draw(st.sampled_from(with_files))]
        position = data.draw(st.integers(0, len(person.cv) - 1))
        attachment = self._records()[person.id]["fields"]["CV"][position]
        self._write("delete", f"/candidates/{person.id}/attachments/{attachment['id']}")
        del person.cv[position]

    # --- staff in Airtable ----------------------------------------------------------------

    @rule(
        name=st.sampled_from(NAMES),
        email=emails,
        phone=st.none() | st.tuples(numbers, st.integers(0, 7)),
        phase=st.sampled_from(PHASES),
    )
    def staff_enters_a_person(self, name, email, phone, phase) -> None:
        typed = notations(phone[0])[phone[1]] if phone else None
        fields = {"Naam": name, "E-mail": email, "Fase": phase, "Regio": self.region.code}
        if typed:
            fields["Telefoon"] = typed
        record = self.staff.create(CANDIDATES_TABLE, fields)
        person = self._created(record["id"], name, email)
        person.phone, person.number = typed, phone[0] if phone else None
        person.phase, person.in_mirror = phase, False

    @precondition(lambda self: self.people)
    @rule(
        data=st.data(),
        column=st.sampled_from(("Telefoon", "E-mail", "Fase", "Plaats")),
        number=numbers,
        notation=st.integers(1, 7),
        email=emails,
        phase=st.sampled_from(PHASES),
        city=st.sampled_from(CITIES),
    )
    def staff_edits_a_field(self, data, column, number, notation, email, phase, city) -> None:
        """A phone in a national notation, an email with capitals and spaces, a phase, a city."""
        person = self.people[data.draw(st.sampled_from(sorted(self.people)))]
        if column == "Telefoon":
            person.phone, person.number = notations(number)[notation], number
            value = person.phone
        elif column == "E-mail":
            person.email = value = email
        elif column == "Fase":
            person.phase = value = phase
        else:
            person.city = value = city
        self.staff.update(CANDIDATES_TABLE, person.id, {column: value})

    @rule()
    def sync(self) -> None:
        self._sync_and_compare_the_mirror()

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def airtable_equals_the_model(self) -> None:
        records = self._records()
        assert sorted(records) == sorted(self.people)
        for record_id, record in records.items():
            fields = {
                k: v
                for k, v in record["fields"].items()
                if k not in ("Laatst gewijzigd", "API Mutation Key", "Privacy consent")
            }
            if "CV" in fields:
                fields["CV"] = [a["filename"] for a in fields["CV"]]
            assert fields == self.people[record_id].airtable_fields(self.region.code), record_id

    def _sync_and_compare_the_mirror(self) -> None:
        result = sync_incremental(environment=PRODUCTION)
        assert result.status == "succeeded"
        records = self._records()
        mirrored = {
            c.record_id: c
            for c in Candidate.objects.filter(region=self.region).prefetch_related("attachments")
        }
        assert sorted(mirrored) == sorted(records)
        for record_id, record in records.items():
            expected = mapping.candidate_from_airtable(record, custom_fields_by_column={})
            row = mirrored[record_id]
            for attribute, value in expected.items():
                if attribute not in ("region_code", "attachments", "custom_fields"):
                    assert getattr(row, attribute) == value, (record_id, attribute)
            files = sorted(row.attachments.all(), key=lambda a: a.position)
            assert [a.filename for a in files] == [a["filename"] for a in expected["attachments"]]
        for person in self.people.values():
            person.in_mirror = True
        self._find_sees_every_notation()

    def _find_sees_every_notation(self) -> None:
        for number in NUMBERS:
            expected = sorted(
                p.id for p in self.people.values() if p.number == number and not p.archived
            )
            for notation in (notations(number)[2], notations(number)[7]):
                response = self.client.get("/api/v2/candidates/find", {"phone": notation})
                assert sorted(c["id"] for c in response.json()["data"]) == expected, notation

    def teardown(self) -> None:
        self._sync_and_compare_the_mirror()


# Bounded so the test stays well under a minute on a loaded 2-core machine: each step is an API
# request plus an engine run against the emulator over HTTP.
MODEL_SETTINGS = hypothesis_settings(
    max_examples=10,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_writes_do_exactly_what_the_model_says(airtable, run_engine, settings):
    settings.AIRTABLE_SYNC_SHARE_PER_S = 1000  # the engine's demand flag must not slow the sync

    class Machine(WriteModel):
        pass

    Machine.airtable = airtable
    Machine.run_engine = staticmethod(run_engine)
    run_state_machine_as_test(Machine, settings=MODEL_SETTINGS)
