"""``seed_demo_candidates``: realistic Dutch demo candidates (and interactions) for local stacks
and benchmarks, straight into the mirror; Airtable is not touched.

On Postgres the rows go in with ``COPY`` in chunks of 10 000, generated as they are written, so
memory stays flat and a million candidates take minutes; on SQLite (tests, the embedded stack)
with ``bulk_create`` in chunks of 1 000.
"""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from candidates.factories import (
    EMAIL_DOMAINS,
    CandidateFactory,
    InteractionFactory,
    ascii_slug,
    dutch_mobile,
    new_record_id,
    random_created_at,
)
from candidates.models import Candidate, Interaction
from config.api.environment import ENVIRONMENTS, PRODUCTION
from regions.models import Region

COPY_CHUNK = 10_000
BULK_CHUNK = 1000
# Faker and factory_boy cost ~0.3 ms per object; a million rows would spend five minutes there.
# So the factories build a pool of people, and each row mixes a person, an address and a
# profile from the pool with fresh identity fields (record id, email, phone, dates).
POOL_SIZE = 2000

Row = dict[str, Any]


class Command(BaseCommand):
    help = (
        "Fill the candidate mirror of a region with realistic Dutch demo data (COPY on "
        "Postgres, bulk inserts elsewhere). For local stacks and benchmarks; Airtable is not "
        "touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="Region code.")
        parser.add_argument("--count", type=int, required=True, help="Candidates to create.")
        parser.add_argument("--environment", choices=ENVIRONMENTS, default=PRODUCTION)
        parser.add_argument("--interactions-per-candidate", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"No region with code {options['region']!r}.")
        count, per_candidate = options["count"], options["interactions_per_candidate"]
        if count < 1 or per_candidate < 0:
            raise CommandError("--count must be ≥ 1 and --interactions-per-candidate ≥ 0.")
        environment = options["environment"]
        started = time.monotonic()

        rows = _RowMaker(region, environment, count, per_candidate)
        seed = _copy_chunk if connection.vendor == "postgresql" else _bulk_chunk
        chunk = COPY_CHUNK if connection.vendor == "postgresql" else BULK_CHUNK
        interactions = 0
        with tqdm(
            total=count, unit="candidates", file=self.stderr, disable=options["verbosity"] == 0
        ) as progress:
            for offset in range(0, count, chunk):
                size = min(chunk, count - offset)
                interactions += seed(rows, offset, size)
                progress.update(size)

        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner knows the table is no longer empty.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Candidate._meta.db_table}, {Interaction._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {count} candidates and {interactions} interactions into region "
            f"{region.code} ({environment}) in {elapsed:.1f} s ({count / elapsed:.0f}/s)."
        )


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _plain(row: models.Model) -> Row:
    """A factory-built instance as column values (JSON columns still as Python values)."""
    return {f.attname: getattr(row, f.attname) for f in _columns(type(row))}


class _RowMaker:
    """Fresh candidate and interaction rows (dicts by column), mixed from a small pool of
    factory-built people so each row costs microseconds."""

    def __init__(self, region: Region, environment: str, count: int, per_candidate: int) -> None:
        people = CandidateFactory.build_batch(
            min(count, POOL_SIZE), region=region, environment=environment
        )
        self.pool = [_plain(p) for p in people]
        self.interaction_pool = [
            _plain(InteractionFactory.build(candidate=random.choice(people)))
            for _ in range(min(count * per_candidate, POOL_SIZE))
        ]
        self.per_candidate = per_candidate
        self.run = "".join(random.choices(string.ascii_lowercase, k=4))
        self.now = timezone.now()

    def candidates(self, offset: int, size: int) -> list[Row]:
        return [self.candidate(f"{self.run}{offset + i}") for i in range(size)]

    def candidate(self, serial: str) -> Row:
        row = dict(random.choice(self.pool))
        place = random.choice(self.pool)
        row["address"], row["city"] = place["address"], place["city"]
        row["postal_code"] = place["postal_code"]
        row["record_id"] = new_record_id()
        row["email"] = f"{ascii_slug(row['name'])}.{serial}@{random.choice(EMAIL_DOMAINS)}"
        row["phone"] = dutch_mobile()
        row["phone_digits"] = row["phone"][1:]
        row["airtable_created_at"] = random_created_at()
        row["airtable_modified_at"] = row["airtable_created_at"] + (
            place["airtable_modified_at"] - place["airtable_created_at"]
        )
        row["mirrored_at"] = self.now
        return row

    def interactions(self, candidates: Sequence[Row], ids: Sequence[int]) -> Iterator[Row]:
        for candidate, candidate_id in zip(candidates, ids, strict=True):
            for _ in range(self.per_candidate):
                row = dict(random.choice(self.interaction_pool))
                row["record_id"] = new_record_id()
                row["candidate_id"] = candidate_id
                row["region_id"] = candidate["region_id"]
                row["environment"] = candidate["environment"]
                created = candidate["airtable_created_at"]
                span = candidate["airtable_modified_at"] - created
                row["performed_at"] = created + random.random() * span
                row["airtable_created_at"] = row["airtable_modified_at"] = row["performed_at"]
                row["mirrored_at"] = self.now
                yield row


def _copy_value(value: Any, json_column: bool) -> Any:
    if json_column:
        return json.dumps(value)
    if isinstance(value, datetime | date | str | int | float | bool) or value is None:
        return value
    return str(value)  # UUIDs


def _copy(
    cursor: Any,
    model: type[models.Model],
    rows: Iterator[Row] | list[Row],
    ids: Sequence[int] | None = None,
) -> int:
    """``COPY`` ``rows`` into ``model``'s table; with ``ids``, those primary keys."""
    columns = _columns(model)
    names = [f.column for f in columns]
    json_columns = [isinstance(f, models.JSONField) for f in columns]
    if ids is not None:
        names.insert(0, model._meta.pk.column)
    sql = f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"
    written = 0
    with cursor.copy(sql) as copy:
        for index, row in enumerate(rows):
            values = [
                _copy_value(row[f.attname], is_json)
                for f, is_json in zip(columns, json_columns, strict=True)
            ]
            copy.write_row([ids[index], *values] if ids is not None else values)
            written += 1
    return written


def _copy_chunk(rows: _RowMaker, offset: int, size: int) -> int:
    """One chunk in one transaction: candidates (ids taken from their sequence first, so the
    interactions can point at them), then their interactions."""
    candidates = rows.candidates(offset, size)
    table = Candidate._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, size],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.connection.cursor()  # psycopg's own cursor: Django's has no copy()
        _copy(raw, Candidate, candidates, ids)
        if not rows.per_candidate:
            return 0
        return _copy(raw, Interaction, rows.interactions(candidates, ids))


def _bulk_chunk(rows: _RowMaker, offset: int, size: int) -> int:
    candidates = rows.candidates(offset, size)
    with transaction.atomic():
        created = Candidate.objects.bulk_create([Candidate(**row) for row in candidates])
        if not rows.per_candidate:
            return 0
        ids = [c.pk for c in created]
        return len(
            Interaction.objects.bulk_create(
                [Interaction(**row) for row in rows.interactions(candidates, ids)]
            )
        )
