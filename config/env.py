"""The one place that reads the process environment.

Every setting comes from here. Values missing from the environment fall back to the embedded
defaults only while ``DJANGO_DEBUG`` is on; with it off (production) a missing required variable
stops the process at start with a message that names it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env (written by `make run` from .env.example) is read when present; real environment
# variables always win.
if environ.Env().bool("DJANGO_READ_DOT_ENV", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)


def required(name: str, *, embedded_default: str | None = None) -> str:
    """A variable production must set; in debug mode the embedded default stands in for it."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG and embedded_default is not None:
        return embedded_default
    raise ImproperlyConfigured(
        f"Environment variable {name} is not set. It is required when DJANGO_DEBUG is off; "
        f"see README.md, section 'Configuration'."
    )


def required_instant(name: str, *, default: str) -> datetime:
    """Like ``instant`` for a date that must be set: an empty value fails at start."""
    value = instant(name, default=default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} must not be empty.")
    return value


def instant(name: str, *, default: str = "") -> datetime | None:
    """An ISO 8601 date or date-time (UTC when no offset is given); ``None`` when empty."""
    value = env.str(name, default=default)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name} is not an ISO 8601 date or date-time: {value!r}."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
