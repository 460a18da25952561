"""The Mutation Engine's tunables (SPEC 5.3). Defaults are the production values."""

from __future__ import annotations

from config.env import env

# A claimed mutation is another worker's to take over after this long without progress; it
# must exceed the Airtable read timeout plus the bookkeeping around one request.
MUTATION_LEASE_S = env.float("MUTATION_LEASE_S", default=120.0)
MUTATION_MAX_ATTEMPTS = env.int("MUTATION_MAX_ATTEMPTS", default=10)
MUTATION_BACKOFF_BASE_S = env.float("MUTATION_BACKOFF_BASE_S", default=1.0)
MUTATION_BACKOFF_MAX_S = env.float("MUTATION_BACKOFF_MAX_S", default=600.0)
# Off: one mutation per Airtable request, as the upstream design does (benchmark comparison).
MUTATION_BATCH_ACROSS_MUTATIONS = env.bool("MUTATION_BATCH_ACROSS_MUTATIONS", default=True)
