"""Signatures on callbacks and events (SPEC 6.2): what we send and how receivers verify it.

This is a contract with every integrator; ``docs/callbacks.md`` documents it with test vectors
that the test suite checks against this module. Every request carries two independent schemes,
both keyed with the region's signing secret taken *as text* (its UTF-8 bytes, ``whsec_``
prefix included):

Ours (v2)::

    x-mutationengine-timestamp: <Unix seconds>
    x-mutationengine-nonce:     <32 lowercase hex characters, new for every attempt>
    x-mutationengine-signature: v2=<base64(HMAC-SHA256(secret, signed))>[ v2=<...>]
    signed = timestamp + "." + nonce + "." + path_and_query + "." + raw_body

``path_and_query`` is the request target as sent: the URL's path (``/`` when empty) plus
``?query`` when there is one.

Standard Webhooks (v1, https://www.standardwebhooks.com)::

    webhook-id:        <delivery id; the same on every retry of one delivery>
    webhook-timestamp: <the same Unix seconds>
    webhook-signature: v1,<base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body))>[ ...]

The ``standardwebhooks`` library takes raw key bytes (``Webhook(secret.encode())``); libraries
that only take a string want ``whsec_`` + standard base64 of those bytes, which
:func:`standard_webhooks_secret` gives. (Our secrets are ``whsec_`` + *URL-safe* base64, which
Standard Webhooks libraries would mis-decode, so we do not ask them to decode it.)

During a secret rotation both headers carry one signature per live secret, newest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets as random_secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

SIGNATURE_VERSION = "v2"
STANDARD_SIGNATURE_VERSION = "v1"
NONCE_HEX_CHARS = 32
# Receivers reject timestamps further than this from their clock, either way.
MAX_AGE_S = 300

TIMESTAMP_HEADER = "x-mutationengine-timestamp"
NONCE_HEADER = "x-mutationengine-nonce"
SIGNATURE_HEADER = "x-mutationengine-signature"
WEBHOOK_ID_HEADER = "webhook-id"
WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"

_NONCE = re.compile(rf"^[0-9a-f]{{{NONCE_HEX_CHARS}}}$")


class SignatureError(ValueError):
    """The request is not authentic (bad or missing signature, stale timestamp, replay)."""


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def new_nonce() -> str:
    return random_secrets.token_hex(NONCE_HEX_CHARS // 2)


def signature(*, secret: str, timestamp: int, nonce: str, path_and_query: str, body: bytes) -> str:
    """The base64 v2 signature for one secret."""
    signed = f"{timestamp}.{nonce}.{path_and_query}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def standard_webhooks_secret(secret: str) -> str:
    """The same key in the ``whsec_<standard base64>`` form Standard Webhooks libraries take."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def sign(
    *,
    secrets: Sequence[str],
    path_and_query: str,
    body: bytes,
    message_id: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Every signature header for one request; ``secrets`` newest first."""
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or new_nonce()
    ours = " ".join(
        f"{SIGNATURE_VERSION}="
        + signature(
            secret=s, timestamp=timestamp, nonce=nonce, path_and_query=path_and_query, body=body
        )
        for s in secrets
    )
    at = datetime.fromtimestamp(timestamp, tz=UTC)
    standard = " ".join(
        Webhook(s.encode()).sign(msg_id=message_id, timestamp=at, data=body.decode())
        for s in secrets
    )
    return {
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: ours,
        WEBHOOK_ID_HEADER: message_id,
        WEBHOOK_TIMESTAMP_HEADER: str(timestamp),
        WEBHOOK_SIGNATURE_HEADER: standard,
    }


def verify(
    *,
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    path_and_query: str,
    body: bytes,
    max_age_s: int = MAX_AGE_S,
    now: float | None = None,
    is_replay: Callable[[str], bool] | None = None,
) -> None:
    """Raise :class:`SignatureError` unless the v2 signature is valid for one of ``secret``.

    ``path_and_query`` is the request target the receiver saw (Django:
    ``request.get_full_path()``), ``body`` the raw bytes before any JSON parsing.
    ``is_replay(nonce)`` should record the nonce and answer whether it was seen before (keep
    nonces for at least ``2 * max_age_s``); it is asked only once the signature is valid, so
    forged requests cannot fill the store.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_timestamp = lowered.get(TIMESTAMP_HEADER, "")
    nonce = lowered.get(NONCE_HEADER, "")
    offered = lowered.get(SIGNATURE_HEADER, "")
    if not raw_timestamp.isdigit():
        raise SignatureError("Missing or malformed timestamp.")
    timestamp = int(raw_timestamp)
    now = time.time() if now is None else now
    if abs(now - timestamp) > max_age_s:
        raise SignatureError("Timestamp outside the allowed window.")
    if not _NONCE.match(nonce):
        raise SignatureError("Missing or malformed nonce.")
    candidates = [
        value.removeprefix(f"{SIGNATURE_VERSION}=")
        for value in offered.split()
        if value.startswith(f"{SIGNATURE_VERSION}=")
    ]
    keys = [secret] if isinstance(secret, str) else list(secret)
    expected = [
        signature(
            secret=key, timestamp=timestamp, nonce=nonce, path_and_query=path_and_query, body=body
        )
        for key in keys
    ]
    if not any(hmac.compare_digest(e.encode(), c.encode()) for e in expected for c in candidates):
        raise SignatureError("No matching signature.")
    if is_replay is not None and is_replay(nonce):
        raise SignatureError("Replayed nonce.")
