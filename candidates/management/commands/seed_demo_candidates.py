from __future__ import annotations

import copy
import random
import string
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models.base import ModelState
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

CHUNK_SIZE = 1000
# Faker and factory_boy cost ~0.3 ms per object; 100 000 rows would spend half a minute there.
# So the factories build a pool of people, and each row mixes a person, an address and a
# profile from the pool with fresh identity fields (record id, email, phone, dates).
POOL_SIZE = 2000


class Command(BaseCommand):
    help = (
        "Fill the candidate mirror of a region with realistic Dutch demo data (factories, "
        "bulk inserts of 1 000). For local stacks and benchmarks; Airtable is not touched."
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

        pool = CandidateFactory.build_batch(
            min(count, POOL_SIZE), region=region, environment=environment
        )
        interaction_pool = [
            InteractionFactory.build(candidate=random.choice(pool))
            for _ in range(min(count * per_candidate, POOL_SIZE))
        ]
        run = "".join(random.choices(string.ascii_lowercase, k=4))
        interactions = 0
        with tqdm(
            total=count, unit="candidates", file=self.stderr, disable=options["verbosity"] == 0
        ) as progress:
            for offset in range(0, count, CHUNK_SIZE):
                size = min(CHUNK_SIZE, count - offset)
                rows = [self._candidate(pool, f"{run}{offset + i}") for i in range(size)]
                with transaction.atomic():
                    Candidate.objects.bulk_create(rows)
                    if per_candidate:
                        interactions += len(
                            Interaction.objects.bulk_create(
                                [
                                    self._interaction(interaction_pool, candidate)
                                    for candidate in rows
                                    for _ in range(per_candidate)
                                ]
                            )
                        )
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

    @staticmethod
    def _fresh(template: Any) -> Any:
        row = copy.copy(template)
        row.pk = None
        row._state = ModelState()
        return row

    def _candidate(self, pool: list[Candidate], serial: str) -> Candidate:
        row = self._fresh(random.choice(pool))
        place = random.choice(pool)
        row.address, row.city, row.postal_code = place.address, place.city, place.postal_code
        row.record_id = new_record_id()
        row.email = f"{ascii_slug(row.name)}.{serial}@{random.choice(EMAIL_DOMAINS)}"
        row.phone = dutch_mobile()
        row.phone_digits = row.phone[1:]
        row.airtable_created_at = random_created_at()
        row.airtable_modified_at = row.airtable_created_at + (
            place.airtable_modified_at - place.airtable_created_at
        )
        return row

    def _interaction(self, pool: list[Interaction], candidate: Candidate) -> Interaction:
        row = self._fresh(random.choice(pool))
        row.record_id = new_record_id()
        row.candidate = candidate
        row.region_id = candidate.region_id
        row.environment = candidate.environment
        row.performed_at = candidate.airtable_created_at + random.random() * (
            candidate.airtable_modified_at - candidate.airtable_created_at
        )
        row.airtable_created_at = row.airtable_modified_at = row.performed_at
        return row
