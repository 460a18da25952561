"""Airtable: the system of record. Endpoint URLs are settings so the emulator can stand in."""

from __future__ import annotations

from config.env import env, required

AIRTABLE_API_URL = env.str("AIRTABLE_API_URL", default="http://127.0.0.1:8765")
AIRTABLE_CONTENT_URL = env.str("AIRTABLE_CONTENT_URL", default=AIRTABLE_API_URL)
AIRTABLE_TOKEN = required("AIRTABLE_TOKEN", embedded_default="emulator-token")
AIRTABLE_BASE_ID = required("AIRTABLE_BASE_ID", embedded_default="appProduction0001")
AIRTABLE_SANDBOX_BASE_ID = required(
    "AIRTABLE_SANDBOX_BASE_ID", embedded_default="appSandbox0000001"
)
AIRTABLE_CONNECT_TIMEOUT_S = env.float("AIRTABLE_CONNECT_TIMEOUT_S", default=3.05)
AIRTABLE_READ_TIMEOUT_S = env.float("AIRTABLE_READ_TIMEOUT_S", default=30.0)
AIRTABLE_REQUESTS_PER_S = env.float("AIRTABLE_REQUESTS_PER_S", default=5.0)
AIRTABLE_RATE_LIMIT_PENALTY_S = env.float("AIRTABLE_RATE_LIMIT_PENALTY_S", default=30.0)

# Scheduled sync (SPEC 9, docs/sync.md).
# While the Mutation Engine has work on a base, sync reads get at most this many requests/s of
# the base's budget (the engine keeps the rest); with the engine idle they get all of it.
AIRTABLE_SYNC_SHARE_PER_S = env.float("AIRTABLE_SYNC_SHARE_PER_S", default=0.5)
# The incremental sync re-reads this much before its watermark: clock skew between Airtable and
# us, and records that changed while the previous run was listing.
AIRTABLE_SYNC_OVERLAP_S = env.float("AIRTABLE_SYNC_OVERLAP_S", default=60.0)
# A sync holds its base's lock this long past its last sign of life (renewed every page), so a
# killed sync blocks the next one for at most this long.
AIRTABLE_SYNC_LOCK_TTL_S = env.float("AIRTABLE_SYNC_LOCK_TTL_S", default=300.0)
# An interrupted full reconcile younger than this resumes where it stopped; older, it restarts.
AIRTABLE_SYNC_RESUME_MAX_AGE_S = env.float("AIRTABLE_SYNC_RESUME_MAX_AGE_S", default=12 * 3600.0)
# A full reconcile refuses to delete more than this fraction of a table's mirror (a wrong base
# id or a permissions change looks exactly like "everything was deleted").
AIRTABLE_SYNC_MAX_DELETE_FRACTION = env.float("AIRTABLE_SYNC_MAX_DELETE_FRACTION", default=0.5)
AIRTABLE_SYNC_HISTORY_DAYS = env.int("AIRTABLE_SYNC_HISTORY_DAYS", default=14)
# An existing base laid out differently (docs/airtable.md, "Connecting your existing base"):
# a TOML or JSON file mapping each field to its table and column. Empty: the default layout.
AIRTABLE_LAYOUT_FILE = env.str("AIRTABLE_LAYOUT_FILE", default="")
