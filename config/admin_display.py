"""Small presentation helpers every admin shares: labels, pretty JSON, readable errors.

They import Django only, so every app's admin may use them (``config`` imports no app)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

# (background, text) pairs with a contrast ratio of at least 4.5:1.
TONES: dict[str, tuple[str, str]] = {
    "success": ("#DCFCE7", "#14532D"),
    "danger": ("#FEE2E2", "#7F1D1D"),
    "warning": ("#FEF3C7", "#78350F"),
    "info": ("#DBEAFE", "#1E3A8A"),
    "muted": ("#E5E7EB", "#374151"),
}


def label(text: Any, tone: str = "muted") -> SafeString:
    background, colour = TONES[tone]
    return format_html(
        '<span class="bo-label" style="background:{};color:{}">{}</span>', background, colour, text
    )


def colour_label(text: Any, background: str, colour: str) -> SafeString:
    return format_html(
        '<span class="bo-label" style="background:{};color:{}">{}</span>', background, colour, text
    )


def pretty_json(value: Any) -> SafeString:
    """JSON indented for reading; an empty value says so in words rather than ``null``/``{}``."""
    if value is None or value == {} or value == []:
        return format_html('<span class="bo-quiet">{}</span>', _("(empty)"))
    return format_html(
        '<pre class="bo-json">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str),
    )


def error_text(error: Any) -> str:
    """A mutation's error object (``{"code", "message", ...}``) as one readable sentence."""
    if not error:
        return ""
    if isinstance(error, dict):
        message = str(error.get("message") or "").strip()
        code = str(error.get("code") or "").strip()
        if message and code:
            return f"{message} ({code})"
        return message or code
    return str(error)
