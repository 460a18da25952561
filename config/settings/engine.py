"""The Mutation Engine's tunables (SPEC 5.3). Defaults are the production values."""

from __future__ import annotations

from config.env import env

# A claimed mutation is another worker's to take over after this long without progress. The
# engine refuses to start unless it covers AIRTABLE_CONNECT_TIMEOUT_S + AIRTABLE_READ_TIMEOUT_S
# (one request's total deadline) + MUTATION_TOKEN_WAIT_S + MUTATION_LEASE_MARGIN_S.
MUTATION_LEASE_S = env.float("MUTATION_LEASE_S", default=120.0)
# The longest a worker waits for a rate-limit token before giving its claim back.
MUTATION_TOKEN_WAIT_S = env.float("MUTATION_TOKEN_WAIT_S", default=5.0)
# Slack between a request's deadline and the end of the lease it was sent under.
MUTATION_LEASE_MARGIN_S = env.float("MUTATION_LEASE_MARGIN_S", default=5.0)
# After a write whose outcome is unknown (timeout, lost connection, reclaimed lease) its records
# are quarantined this long: the one assumption is that nothing lands on Airtable later than
# this after it was sent (docs/architecture.md, "Hostile timing").
MUTATION_SETTLE_S = env.float("MUTATION_SETTLE_S", default=120.0)
MUTATION_MAX_ATTEMPTS = env.int("MUTATION_MAX_ATTEMPTS", default=10)
MUTATION_BACKOFF_BASE_S = env.float("MUTATION_BACKOFF_BASE_S", default=1.0)
MUTATION_BACKOFF_MAX_S = env.float("MUTATION_BACKOFF_MAX_S", default=600.0)
# Off: one mutation per Airtable request, as the upstream design does (benchmark comparison).
MUTATION_BATCH_ACROSS_MUTATIONS = env.bool("MUTATION_BATCH_ACROSS_MUTATIONS", default=True)
