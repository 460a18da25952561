"""Finding 2: per-address limits key on the real client address, not on a header the client
writes. ``TRUSTED_PROXIES`` (a count or CIDRs) decides which X-Forwarded-For hops count."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from config.api.client import client_address

pytestmark = pytest.mark.django_db


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_rotating_x_forwarded_for_does_not_escape_the_verification_limit(
    people, anon_client, monkeypatch
):
    from candidates.apis import session as session_apis

    monkeypatch.setattr(session_apis.VERIFICATION_PER_IP, "capacity", 3)
    statuses = [
        anon_client.post(
            "/api/v2/auth/verification",
            {"email": f"person{i}@example.com"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [202, 202, 202, 429]


def test_rotating_x_forwarded_for_does_not_escape_the_session_limit(
    people, anon_client, monkeypatch
):
    from candidates.apis import session as session_apis

    monkeypatch.setattr(session_apis.SESSION_PER_IP, "capacity", 2)
    statuses = [
        anon_client.post(
            "/api/v2/auth/session",
            {"email": f"p{i}@example.com", "code": "123456"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_behind_one_trusted_proxy_each_client_has_its_own_bucket(people, settings, monkeypatch):
    from candidates.apis import session as session_apis

    settings.TRUSTED_PROXIES = "1"
    monkeypatch.setattr(session_apis.VERIFICATION_PER_IP, "capacity", 1)
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")

    def post(client_ip: str) -> int:
        return proxy.post(
            "/api/v2/auth/verification",
            {"email": "x@example.com"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_ip}",
        ).status_code

    assert [post("192.0.2.1"), post("192.0.2.1"), post("192.0.2.2")] == [202, 429, 202]


def test_default_trusts_no_proxy(settings):
    settings.TRUSTED_PROXIES = ""
    assert client_address(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        ("1", "198.51.100.1", "198.51.100.1"),
        ("1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left hop is the client's claim
        ("2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        ("2", "198.51.100.1", "198.51.100.1"),  # fewer hops than proxies: the left-most
        ("1", "not-an-address", "10.0.0.1"),  # a forged hop falls back to the proxy
        ("10.0.0.0/8", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        ("10.0.0.0/8, 2001:db8::/32", "198.51.100.1, 2001:db8::5", "198.51.100.1"),
        ("192.168.0.0/16", "198.51.100.1", "10.0.0.1"),  # REMOTE_ADDR itself is not trusted
    ],
)
def test_trusted_proxies_count_or_cidrs(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_address(_request("10.0.0.1", forwarded)) == expected
