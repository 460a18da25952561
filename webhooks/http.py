"""The one module for outbound HTTP to integrators: SSRF guard, timeouts, no redirects.

The guard refuses non-http(s) schemes, credentials in the URL, and hosts that resolve to
private, loopback, link-local, multicast, reserved or unspecified addresses — unless
``CALLBACK_ALLOW_PRIVATE_HOSTS`` is on (development and tests only). It is applied when a URL
is accepted and again at delivery, against the address actually connected to, so a DNS answer
that changes in between (rebinding) cannot reach an internal host.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
ALLOWED_SCHEMES = frozenset({"http", "https"})


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (safe to show the integrator)."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host!r} does not resolve.") from exc
    return sorted({info[4][0] for info in infos})


def check_url(url: str, *, resolve_host: bool = True) -> list[str]:
    """Validate ``url`` for an outbound call; returns the addresses that may be connected to."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"Give an absolute http(s) URL of at most {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeUrl("Only http and https URLs are allowed.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in the URL are not allowed.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is not valid.") from exc
    if settings.CALLBACK_ALLOW_PRIVATE_HOSTS or not resolve_host:
        return []
    addresses = resolve(parts.hostname, port)
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked:
        raise UnsafeUrl("The host resolves to a private or reserved address.")
    return addresses
