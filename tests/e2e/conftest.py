from __future__ import annotations

from tests.mutations.conftest import airtable, emulator_process_wide  # noqa: F401
