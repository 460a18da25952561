"""API key format and hashing.

A key is shown once as ``ork_<prefix>.<secret>``. The prefix (public, unique, indexed) finds the
row; the secret is compared by SHA-256 hash in constant time. The secret carries 256 bits of
randomness, so a fast hash is the right tool (as in djangorestframework-api-key and GitHub
tokens): a slow password hash would only add latency to every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

KEY_PREFIX = "ork_"
PREFIX_LENGTH = 8
SECRET_BYTES = 32
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_PATTERN = re.compile(r"^ork_([a-z0-9]{8})\.([A-Za-z0-9_\-]{20,100})$")


def generate_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def generate_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_key(prefix: str, secret: str) -> str:
    return f"{KEY_PREFIX}{prefix}.{secret}"


def split_key(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else ``None``."""
    match = _KEY_PATTERN.match(raw.strip())
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), hashed)
