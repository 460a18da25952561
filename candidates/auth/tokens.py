"""Verification codes and session tokens: how they look, how they are stored.

A code is six digits, so its hash is keyed (HMAC-SHA256 with a key derived from SECRET_KEY):
without the key a leaked table cannot be brute-forced offline in a millisecond. The email is
part of the hashed message, so equal codes of two people have different hashes. A session token
carries 256 bits of randomness, so a fast unkeyed SHA-256 is enough, as for API keys
(regions/keys.py). Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.utils.crypto import salted_hmac

CODE_DIGITS = 6
TOKEN_PREFIX = "cst_"  # noqa: S105 (a marker for secret scanners, not a secret)
TOKEN_BYTES = 32
_CODE_SALT = "candidates.auth.verification-code"
_CODE_PATTERN = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")
_TOKEN_PATTERN = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_\-]{{43}}$")
# Compared against when no code was issued, so every miss costs the same; never a valid hash.
NO_CODE_HASH = "-" * 64


def generate_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def is_code(value: str) -> bool:
    return bool(_CODE_PATTERN.match(value))


def hash_code(*, email: str, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{email}\n{code}", algorithm="sha256").hexdigest()


def code_matches(*, email: str, code: str, hashed: str) -> bool:
    return hmac.compare_digest(hash_code(email=email, code=code), hashed or NO_CODE_HASH)


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def is_token(value: str) -> bool:
    return bool(_TOKEN_PATTERN.match(value))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_identity(value: str) -> str:
    """A rate-limit identity for a value that must not appear in Redis keys (an email)."""
    return salted_hmac("candidates.auth.identity", value, algorithm="sha256").hexdigest()[:32]
