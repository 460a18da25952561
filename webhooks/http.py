"""The one module for outbound HTTP to integrators: SSRF guard, timeouts, no redirects.

The guard refuses non-http(s) schemes, credentials in the URL, and hosts that resolve to
private, loopback, link-local, multicast, reserved or unspecified addresses — unless
``CALLBACK_ALLOW_PRIVATE_HOSTS`` is on (development and tests only). It is applied when a URL
is accepted (:func:`check_url`) and again at delivery (:func:`post`), against the address
actually connected to.

DNS rebinding: a host may answer with a public address when the URL is accepted and with
``127.0.0.1`` a second later. :func:`post` therefore resolves the host once, checks every
address, and then connects to the checked address itself — the request never goes through a
second DNS lookup. It does so with a ``requests`` transport adapter that swaps the pool's
host for the pinned IP while keeping the original name for the ``Host`` header, for TLS SNI and
for certificate verification (urllib3's ``server_hostname``/``assert_hostname``). We chose the
adapter over patching ``socket.getaddrinfo`` because it is local to one request (thread-safe,
no global state) and over rewriting the URL to the IP because that would break SNI and
certificate checks. Proxies from the environment are ignored, since a proxy would resolve the
name again on its own.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util import Timeout

MAX_URL_LENGTH = 2000
ALLOWED_SCHEMES = frozenset({"http", "https"})

# SPEC 6.3: 10 s per attempt. urllib3's ``total`` caps connect + waiting for the response;
# the body is read only while budget remains and never beyond RESPONSE_MAX_BYTES.
CONNECT_TIMEOUT_S = 3.0
TOTAL_TIMEOUT_S = 10.0
# Enough of a receiver's answer to debug it from the delivery log, never a whole page.
RESPONSE_MAX_BYTES = 2048
USER_AGENT = "Onderwijsregio-Webhooks/2.0"


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (safe to show the integrator)."""


class UnresolvableHost(UnsafeUrl):
    """No DNS answer: refused when a URL is accepted, but only a retryable failure at
    delivery, since resolvers have bad minutes too."""


# IPv6 prefixes that carry an IPv4 address a gateway or tunnel will connect to: the embedded
# address must be public too, or e.g. 2002:c0a8:101:: (6to4 of 192.168.1.1) reaches the LAN.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local translators only


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = list(ip.teredo or ())  # (Teredo server, client)
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip in NAT64_WELL_KNOWN:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return embedded


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return _is_public(ip.ipv4_mapped)
        if ip.is_site_local or ip in NAT64_LOCAL_USE:  # fec0::/10: deprecated, still routed
            return False
        if not all(_is_public(embedded) for embedded in _embedded_ipv4(ip)):
            return False
    return _is_public(ip)


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: NUL in the name
        raise UnresolvableHost(f"The host {host!r} does not resolve.") from exc
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str
    port: int
    host_header: str


_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _valid_host(hostname: str) -> bool:
    """An IP literal, or a DNS name of letter-digit-hyphen labels (checked before any lookup,
    also when private hosts are allowed and nothing is resolved)."""
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        pass
    labels = hostname.rstrip(".").split(".")
    return len(hostname) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def _parse(url: str) -> Target:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"Give an absolute http(s) URL of at most {MAX_URL_LENGTH} characters.")
    if not url.isascii() or any(c.isspace() or ord(c) < 32 for c in url):
        raise UnsafeUrl("Use an ASCII URL without spaces (punycode for international names).")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 literal
        raise UnsafeUrl("The URL is not valid.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeUrl("Only http and https URLs are allowed.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in the URL are not allowed.")
    if not hostname:
        raise UnsafeUrl("The URL has no host.")
    if not _valid_host(hostname):
        raise UnsafeUrl("The URL's host is not a valid host name or IP address.")
    try:
        explicit_port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is not valid.") from exc
    default_port = 443 if scheme == "https" else 80
    port = explicit_port or default_port
    name = f"[{hostname}]" if ":" in hostname else hostname
    host_header = name if port == default_port else f"{name}:{port}"
    return Target(scheme=scheme, hostname=hostname, port=port, host_header=host_header)


def _checked_addresses(target: Target) -> list[str]:
    addresses = resolve(target.hostname, target.port)
    if not settings.CALLBACK_ALLOW_PRIVATE_HOSTS and not all(
        is_public_address(a) for a in addresses
    ):
        raise UnsafeUrl("The host resolves to a private or reserved address.")
    return addresses


def check_url(url: str, *, resolve_host: bool = True) -> list[str]:
    """Validate ``url`` for an outbound call; returns the addresses that may be connected to."""
    target = _parse(url)
    if settings.CALLBACK_ALLOW_PRIVATE_HOSTS or not resolve_host:
        return []
    return _checked_addresses(target)


def request_target(url: str) -> str:
    """Path and query exactly as they go on the request line (what the signature covers)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.path_url


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to one pre-checked IP address while speaking to ``hostname`` (SNI, cert)."""

    def __init__(self, *, address: str, hostname: str) -> None:
        self.address = address
        self.hostname = hostname
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs


@dataclass(frozen=True)
class PostResult:
    """What one POST produced. ``error`` is empty when a non-redirect response came back."""

    status_code: int | None
    duration_ms: int
    response_body: str
    error: str
    error_kind: str  # "", "unsafe_url", "dns", "timeout", "connection", "redirect", "http"
    address: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _read_capped(response: requests.Response, deadline: float) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=512):
            chunks.append(chunk)
            size += len(chunk)
            if size > RESPONSE_MAX_BYTES or time.monotonic() > deadline:
                break
    except requests.RequestException:
        pass  # the status is what counts; a broken body is logged as far as it came
    return b"".join(chunks)[:RESPONSE_MAX_BYTES].decode("utf-8", errors="replace")


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST ``body`` to ``url`` once: no redirects, no retries, bounded time and answer.

    Never raises for network trouble; the caller classifies the :class:`PostResult`.
    """
    started = time.monotonic()

    def result(**values: Any) -> PostResult:
        values.setdefault("status_code", None)
        values.setdefault("response_body", "")
        values.setdefault("error_kind", "")
        values.setdefault("error", "")
        values.setdefault("address", "")
        return PostResult(duration_ms=int((time.monotonic() - started) * 1000), **values)

    try:
        target = _parse(url)
        address = _checked_addresses(target)[0]
    except UnresolvableHost as exc:
        return result(error=str(exc), error_kind="dns")
    except UnsafeUrl as exc:
        return result(error=str(exc), error_kind="unsafe_url")
    session = requests.Session()
    session.trust_env = False  # an environment proxy would resolve the name again
    session.mount(
        f"{target.scheme}://", PinnedAddressAdapter(address=address, hostname=target.hostname)
    )
    request_headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
        "Host": target.host_header,
    }
    try:
        with session.post(
            url,
            data=body,
            headers=request_headers,
            allow_redirects=False,
            stream=True,
            # requests passes a urllib3 Timeout through (its stubs only know floats/tuples).
            timeout=Timeout(total=TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),  # type: ignore[arg-type]
        ) as response:
            text = _read_capped(response, started + TOTAL_TIMEOUT_S)
            status = response.status_code
    except requests.Timeout as exc:
        return result(
            error=f"Timed out: {type(exc).__name__}", error_kind="timeout", address=address
        )
    except requests.ConnectionError as exc:
        return result(
            error=f"Connection failed: {_reason(exc)}", error_kind="connection", address=address
        )
    except requests.RequestException as exc:
        return result(error=f"Request failed: {_reason(exc)}", error_kind="http", address=address)
    finally:
        session.close()
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")[:200]
        return result(
            status_code=status,
            response_body=text,
            address=address,
            error=f"Redirect to {location} not followed.",
            error_kind="redirect",
        )
    return result(status_code=status, response_body=text, address=address)


def _reason(exc: BaseException) -> str:
    # urllib3 nests the useful part (e.g. "Connection refused") a few levels down.
    while exc.__context__ is not None and str(exc.__context__):
        exc = exc.__context__
    return str(exc)[:300] or type(exc).__name__
