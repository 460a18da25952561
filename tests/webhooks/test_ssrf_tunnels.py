"""Finding 8: IPv6 addresses that tunnel to a private IPv4 (6to4, Teredo, NAT64) and the
site-local fec0::/10 are refused for callbacks and subscriptions, like the IPv4 itself."""

from __future__ import annotations

import pytest

from mutations.models import Mutation
from tests.factories import create_body
from webhooks import http
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db

TUNNELLED_PRIVATE = [
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
    "2001:0:4136:e378:8000:63bf:3f57:fefe",  # Teredo, client 192.168.1.1
    "2001:0:a00:1:8000:63bf:f5ff:fffe",  # Teredo via server 10.0.0.1
    "fec0::1",  # site-local
    "feff:ffff::1",  # site-local, top of fec0::/10
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix
]
STILL_PUBLIC = [
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "2a00:1450:4001:80b::200e",
    "93.184.216.34",
]


@pytest.mark.parametrize("address", TUNNELLED_PRIVATE)
def test_tunnelled_and_site_local_addresses_are_not_public(address):
    assert http.is_public_address(address) is False


@pytest.mark.parametrize("address", STILL_PUBLIC)
def test_tunnels_to_public_addresses_stay_public(address):
    assert http.is_public_address(address) is True


@pytest.fixture
def no_private_hosts(settings) -> None:
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = False


@pytest.mark.usefixtures("no_private_hosts")
@pytest.mark.parametrize("address", ["2002:c0a8:101::1", "fec0::1", "2001:0:a00:1::1"])
def test_subscriptions_and_callbacks_refuse_them(region_client, address):
    url = f"https://[{address}]/hook"
    subscribed = region_client.post(
        "/api/v2/webhooks", {"url": url, "events": ["candidate.created"]}, format="json"
    )
    assert subscribed.status_code == 422, subscribed.content
    assert "private or reserved" in subscribed.json()["error"]["details"][0]["message"]
    body = create_body(callbackUrl=url)
    written = region_client.post("/api/v2/candidates", body, format="json")
    assert written.status_code == 422, written.content
    assert written.json()["error"]["details"][0]["field"] == "callbackUrl"
    assert not Subscription.objects.exists() and not Mutation.objects.exists()


@pytest.mark.usefixtures("no_private_hosts")
def test_a_host_resolving_to_a_6to4_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(http, "resolve", lambda host, port: ["2002:a00:1::1"])
    with pytest.raises(http.UnsafeUrl, match="private or reserved"):
        http.check_url("https://hooks.example.com/x")
