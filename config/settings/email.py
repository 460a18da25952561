"""Outgoing mail (candidate verification codes): ``EMAIL_URL`` or the individual variables.

``EMAIL_URL`` is parsed by django-environ: ``smtp://user:pass@host:25`` (plain),
``smtp+tls://…:587`` (STARTTLS), ``smtps://…:465`` (TLS), ``consolemail://`` (printed),
``filemail:///var/mail/ats`` (one file per message), ``memorymail://`` (tests). An individual
variable that is set (``EMAIL_HOST_PASSWORD``, ``EMAIL_FILE_PATH``…) overrides the URL's part,
so a secret can stay out of the URL. Without ``EMAIL_URL``: SMTP when ``EMAIL_HOST`` is set,
else the console.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, VAR_DIR, env

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def email_url_settings(url: str) -> dict[str, Any]:
    """The Django settings ``url`` stands for (``EMAIL_BACKEND``, ``EMAIL_HOST``…)."""
    scheme = urlsplit(url).scheme
    if scheme not in env.EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not one of {', '.join(sorted(env.EMAIL_SCHEMES))}."
        )
    parsed = {k: v for k, v in env.email_url_config(url).items() if v not in (None, "")}
    if parsed["EMAIL_BACKEND"] == FILE_BACKEND:
        # django-environ drops the leading "/" of filemail:///abs/path: take the path as given.
        split = urlsplit(url)
        path = Path(unquote(split.netloc + split.path))
        parsed["EMAIL_FILE_PATH"] = str(path if path.is_absolute() else BASE_DIR / path)
        parsed.pop("EMAIL_HOST", None)  # filemail://var/mail: "var" is a path, not a host
    if scheme in ("smtps", "smtp+ssl"):
        parsed.setdefault("EMAIL_USE_SSL", True)
    if scheme.startswith("smtp"):
        parsed.setdefault("EMAIL_USE_TLS", scheme == "smtp+tls")
    return parsed


_from_url = email_url_settings(env.str("EMAIL_URL")) if env.str("EMAIL_URL", default="") else {}

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=_from_url.get(
        "EMAIL_BACKEND", SMTP_BACKEND if env.str("EMAIL_HOST", default="") else CONSOLE_BACKEND
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default=_from_url.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = env.int("EMAIL_PORT", default=_from_url.get("EMAIL_PORT", 587))
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default=_from_url.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = env.str(
    "EMAIL_HOST_PASSWORD", default=_from_url.get("EMAIL_HOST_PASSWORD", "")
)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=_from_url.get("EMAIL_USE_TLS", True))
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=_from_url.get("EMAIL_USE_SSL", False))
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    EMAIL_USE_TLS = False  # smtps:// or EMAIL_USE_SSL: implicit TLS, not STARTTLS on top
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = env.str(
    "EMAIL_FILE_PATH", default=_from_url.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Onderwijsregio <noreply@localhost>")
