"""The client's address: the one answer every throttle (API, auth, admin login) relies on.

``X-Forwarded-For`` is written by whoever sends the request, so it counts only for the hops our
own proxies added. ``TRUSTED_PROXIES`` says which those are: a number (that many proxies sit in
front of the app, each appending the address it saw) or a comma-separated list of CIDRs (proxies
are recognised by address). Empty, the default: no proxy is trusted and ``REMOTE_ADDR`` is the
client — a rotated header then buys an attacker nothing.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_trusted_proxies(value: str) -> int | tuple[Network, ...]:
    """``""`` → 0, ``"2"`` → 2, ``"10.0.0.0/8, fd00::/8"`` → the networks."""
    value = value.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in value.split(",") if part)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must be a number of proxies or a list of CIDRs: {exc}"
        ) from None


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(request: Any) -> str:
    """The address of the client that sent ``request`` (a Django or DRF request)."""
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    trusted = parse_trusted_proxies(str(settings.TRUSTED_PROXIES))
    if not trusted:
        return remote
    forwarded = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in forwarded if hop] + [remote]
    if isinstance(trusted, int):
        # The right-most ``trusted`` hops are our proxies; the one before them is the client.
        index = max(0, len(hops) - 1 - trusted)
        candidates = hops[index:]
    else:
        index = len(hops) - 1
        while index > 0 and _in_networks(hops[index], trusted):
            index -= 1
        candidates = hops[index:]
    # A hop that is not an address at all was forged: fall back to the proxy that saw it.
    for hop in candidates:
        if _address(hop) is not None:
            return hop.strip("[]")
    return remote


def _in_networks(hop: str, networks: tuple[Network, ...]) -> bool:
    address = _address(hop)
    return address is not None and any(address in network for network in networks)
