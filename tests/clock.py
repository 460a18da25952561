"""Airtable stamps createdTime and last-modified values in whole seconds (so does the
emulator): two edits within one second share a version stamp. Tests that need a strictly
newer version step into the next second first."""

from __future__ import annotations

import math
import time

MARGIN_S = 0.01


def next_whole_second() -> None:
    now = time.time()
    time.sleep(math.ceil(now) - now + MARGIN_S)
