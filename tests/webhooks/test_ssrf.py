"""SPEC 6.3 SSRF guard: refused when a URL is accepted (422) and again at delivery, against the
address actually connected to, so DNS rebinding cannot reach an internal host."""

from __future__ import annotations

import pytest
import requests

from mutations.models import Mutation
from tests.factories import create_body
from webhooks import http
from webhooks.models import Subscription
from webhooks.services import delivery_attempt, event_emit

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://127.0.0.1/", "private or reserved"),
    ("http://10.0.0.1/", "private or reserved"),
    ("http://169.254.169.254/latest/meta-data/", "private or reserved"),
    ("http://[::1]/", "private or reserved"),
    ("http://localhost/", "private or reserved"),
    ("http://user:pw@example.com/", "Credentials in the URL are not allowed."),
    ("ftp://files.example.com/hook", "Only http and https URLs are allowed."),
]
PUBLIC_IP = "93.184.216.34"
DATA = {"candidateId": "recAAAAAAAAAAAAAA", "changedFields": ["phase"], "source": "airtable"}


@pytest.fixture
def no_private_hosts(settings) -> None:
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = False


def _fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Hosts in ``answers`` resolve to its (mutable) entry; returns the names looked up."""
    asked: list[str] = []
    real = http.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            return real(host, port)
        asked.append(host)
        return list(answers[host])

    monkeypatch.setattr(http, "resolve", resolve)
    return asked


@pytest.mark.usefixtures("no_private_hosts")
@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_unsafe_urls_are_422_when_subscribing(region_client, url, reason):
    response = region_client.post(
        "/api/v2/webhooks", {"url": url, "events": ["candidate.created"]}, format="json"
    )
    assert response.status_code == 422, response.content
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "url" and reason in detail["message"]
    assert not Subscription.objects.exists()


@pytest.mark.usefixtures("no_private_hosts")
@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_unsafe_callback_urls_are_422_on_writes(region_client, url, reason):
    body = create_body(callbackUrl=url)
    response = region_client.post("/api/v2/candidates", body, format="json")
    assert response.status_code == 422, response.content
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "callbackUrl" and reason in detail["message"]
    assert not Mutation.objects.exists()


@pytest.mark.usefixtures("no_private_hosts")
@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_unsafe_urls_are_refused_again_at_delivery(region, receiver, url, reason):
    # Aim at the live receiver where the scheme allows, so a guard failure would show.
    url = url.replace("127.0.0.1/", f"127.0.0.1:{receiver.port}/").replace(
        "localhost/", f"localhost:{receiver.port}/"
    )
    # Stored directly, as if accepted before the guard tightened or DNS changed.
    Subscription.objects.create(
        region=region, environment="production", url=url, events=["candidate.updated"]
    )
    (delivery,) = event_emit(
        region=region, environment="production", event="candidate.updated", data=DATA
    )
    assert delivery_attempt(delivery_id=delivery.pk) is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert reason in delivery.last_error
    assert receiver.requests == []


@pytest.mark.usefixtures("no_private_hosts")
def test_dns_rebinding_after_acceptance_is_refused_at_delivery(
    region, region_client, receiver, monkeypatch
):
    dns = {"rebind.example.test": [PUBLIC_IP]}
    asked = _fake_dns(monkeypatch, dns)
    response = region_client.post(
        "/api/v2/webhooks",
        {
            "url": f"http://rebind.example.test:{receiver.port}/hook",
            "events": ["candidate.updated"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    dns["rebind.example.test"] = ["127.0.0.1"]  # the attacker's DNS flips after acceptance
    asked.clear()
    (delivery,) = event_emit(
        region=region, environment="production", event="candidate.updated", data=DATA
    )
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error == "The host resolves to a private or reserved address."
    assert asked == ["rebind.example.test"]
    assert receiver.requests == []


@pytest.mark.usefixtures("no_private_hosts")
def test_a_host_with_any_private_address_is_refused(monkeypatch):
    _fake_dns(monkeypatch, {"mixed.example.test": [PUBLIC_IP, "10.1.2.3"]})
    with pytest.raises(http.UnsafeUrl):
        http.check_url("https://mixed.example.test/hook")
    result = http.post("https://mixed.example.test/hook", body=b"{}", headers={})
    assert (result.error_kind, result.status_code) == ("unsafe_url", None)


@pytest.mark.usefixtures("private_hosts")
def test_delivery_connects_to_the_checked_address_with_the_original_host(
    region, receiver, monkeypatch
):
    """The name is resolved once; the connection goes to that address while Host (and, for
    https, SNI and certificate checks) keep the name. ``.test`` never resolves for real, so
    reaching the receiver proves there was no second lookup."""
    asked = _fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    result = http.post(
        f"http://hooks.example.test:{receiver.port}/in?x=1",
        body=b'{"a":1}',
        headers={"x-test": "yes"},
    )
    assert (result.status_code, result.address, result.error) == (200, "127.0.0.1", "")
    (received,) = receiver.requests
    assert received.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert (received.path, received.body, received.headers["x-test"]) == (
        "/in?x=1",
        b'{"a":1}',
        "yes",
    )
    assert asked == ["hooks.example.test"]


def test_pinned_https_keeps_the_name_for_sni_and_certificates():
    adapter = http.PinnedAddressAdapter(address=PUBLIC_IP, hostname="hooks.example.nl")
    request = requests.Request("POST", "https://hooks.example.nl/in").prepare()
    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, True)
    assert (host_params["scheme"], host_params["host"]) == ("https", PUBLIC_IP)
    assert pool_kwargs["server_hostname"] == "hooks.example.nl"
    assert pool_kwargs["assert_hostname"] == "hooks.example.nl"


@pytest.mark.usefixtures("no_private_hosts")
@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1",
        "http://:80/",
        "https://a\x00b/",
    ],
)
def test_address_tricks_and_malformed_urls_are_refused_not_crashing(url):
    with pytest.raises(http.UnsafeUrl):
        http.check_url(url)
    assert http.post(url, body=b"{}", headers={}).status_code is None
