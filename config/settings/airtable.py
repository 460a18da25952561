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
