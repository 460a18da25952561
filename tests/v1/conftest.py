"""v1 tests reuse the engine tests' emulator seam and the candidate tests' custom fields."""

from __future__ import annotations

from tests.candidates.conftest import custom_fields  # noqa: F401
from tests.mutations.conftest import airtable, emulator_process_wide  # noqa: F401
