"""SPEC 6.2: the signature contract, checked against an independent implementation, the
Standard Webhooks library, and the test vectors and receiver example in docs/callbacks.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from webhooks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "callbacks.md"
SECRET = "whsec_kR3x9Vb-Zq2_Lm8Np4Tt7Yw1Cd6Ef0Gh5Ij2Kl9Mn3o"
OLD_SECRET = "whsec_Qw7eR2tY9uI4oP1aS6dF3gH8jK5lZ0xC-vB_nM7q2We"
BODY = '{"mutationId":"m-1","status":"succeeded","note":"oriënteren"}'.encode()
PATH = "/hooks/ats?tenant=utrecht"


def independent_v2(secret: str, timestamp: str, nonce: str, path: str, body: bytes) -> str:
    """SPEC 6.2 written out again with nothing but hmac/hashlib/base64."""
    message = timestamp.encode() + b"." + nonce.encode() + b"." + path.encode() + b"." + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def independent_verify(secret: str, headers: dict, path: str, body: bytes) -> bool:
    values = headers["x-mutationengine-signature"].split(" ")
    expected = "v2=" + independent_v2(
        secret,
        headers["x-mutationengine-timestamp"],
        headers["x-mutationengine-nonce"],
        path,
        body,
    )
    return any(hmac.compare_digest(expected, v) for v in values)


def _doc_block(marker: str) -> str:
    text = DOC.read_text()
    match = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)\n```", text, re.S)
    assert match, marker
    return match.group(1)


def test_headers_have_the_documented_shape():
    headers = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d-1")
    assert set(headers) == {
        "x-mutationengine-timestamp",
        "x-mutationengine-nonce",
        "x-mutationengine-signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    assert abs(int(headers["x-mutationengine-timestamp"]) - time.time()) < 5
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-mutationengine-nonce"])
    assert re.fullmatch(r"v2=[A-Za-z0-9+/]{43}=", headers["x-mutationengine-signature"])
    assert headers["webhook-timestamp"] == headers["x-mutationengine-timestamp"]
    assert headers["webhook-id"] == "d-1"
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    other = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d-1")
    assert other["x-mutationengine-nonce"] != headers["x-mutationengine-nonce"]


def test_signature_verifies_independently_and_with_standard_webhooks():
    headers = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d-1")
    assert independent_verify(SECRET, headers, PATH, BODY)
    signing.verify(secret=SECRET, headers=headers, path_and_query=PATH, body=BODY)
    assert Webhook(SECRET.encode()).verify(BODY, headers) == json.loads(BODY)
    standard = signing.standard_webhooks_secret(SECRET)
    assert standard == "whsec_" + base64.b64encode(SECRET.encode()).decode()
    assert Webhook(standard).verify(BODY, headers) == json.loads(BODY)


def _tampered(headers: dict, name: str) -> tuple[dict, str, bytes]:
    headers, path, body = dict(headers), PATH, BODY
    if name == "body":
        body = BODY[:10] + bytes([BODY[10] ^ 1]) + BODY[11:]
    elif name == "path":
        path = PATH.replace("/hooks/", "/hookz/")
    elif name == "query":
        path = PATH.replace("utrecht", "utrechT")
    elif name == "timestamp":
        headers["x-mutationengine-timestamp"] = str(int(headers["x-mutationengine-timestamp"]) - 1)
    elif name == "nonce":
        nonce = headers["x-mutationengine-nonce"]
        headers["x-mutationengine-nonce"] = ("1" if nonce[0] != "1" else "2") + nonce[1:]
    return headers, path, body


@pytest.mark.parametrize("part", ["body", "path", "query", "timestamp", "nonce"])
def test_changing_one_byte_of_any_signed_part_breaks_the_signature(part):
    headers = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d-1")
    headers, path, body = _tampered(headers, part)
    assert not independent_verify(SECRET, headers, path, body)
    with pytest.raises(signing.SignatureError):
        signing.verify(secret=SECRET, headers=headers, path_and_query=path, body=body)
    if part == "body":
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET.encode()).verify(body, headers)


def test_rotation_overlap_signs_with_both_secrets_newest_first():
    headers = signing.sign(
        secrets=[SECRET, OLD_SECRET], path_and_query=PATH, body=BODY, message_id="d-1"
    )
    new, old = headers["x-mutationengine-signature"].split(" ")
    ts, nonce = headers["x-mutationengine-timestamp"], headers["x-mutationengine-nonce"]
    assert new == "v2=" + independent_v2(SECRET, ts, nonce, PATH, BODY)
    assert old == "v2=" + independent_v2(OLD_SECRET, ts, nonce, PATH, BODY)
    for secret in (SECRET, OLD_SECRET):
        signing.verify(secret=secret, headers=headers, path_and_query=PATH, body=BODY)
        Webhook(secret.encode()).verify(BODY, headers)
    with pytest.raises(signing.SignatureError):
        signing.verify(secret="whsec_other", headers=headers, path_and_query=PATH, body=BODY)


def test_verify_rejects_stale_timestamps_and_replayed_nonces():
    headers = signing.sign(
        secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d", timestamp=1_000_000
    )
    kwargs = {"secret": SECRET, "headers": headers, "path_and_query": PATH, "body": BODY}
    signing.verify(**kwargs, now=1_000_300)
    for now in (1_000_301, 999_699):
        with pytest.raises(signing.SignatureError, match="window"):
            signing.verify(**kwargs, now=now)
    seen: set[str] = set()

    def is_replay(nonce: str) -> bool:
        replay = nonce in seen
        seen.add(nonce)
        return replay

    signing.verify(**kwargs, now=1_000_000, is_replay=is_replay)
    with pytest.raises(signing.SignatureError, match="Replayed"):
        signing.verify(**kwargs, now=1_000_000, is_replay=is_replay)


def test_forged_requests_never_reach_the_replay_store():
    headers = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d")
    asked: list[str] = []
    with pytest.raises(signing.SignatureError):
        signing.verify(
            secret=SECRET,
            headers=headers,
            path_and_query=PATH,
            body=b"{}",
            is_replay=lambda n: asked.append(n) or False,
        )
    assert asked == []


def test_documented_test_vectors():
    vectors = json.loads(_doc_block("test-vectors"))
    assert len(vectors) >= 3
    for vector in vectors:
        body = vector["body"].encode()
        assert signing.path_and_query(vector["url"]) == vector["pathAndQuery"]
        headers = signing.sign(
            secrets=vector["secrets"],
            path_and_query=vector["pathAndQuery"],
            body=body,
            message_id=vector["webhookId"],
            timestamp=vector["timestamp"],
            nonce=vector["nonce"],
        )
        expected = vector["expected"]
        assert headers["x-mutationengine-signature"] == expected["x-mutationengine-signature"]
        assert headers["webhook-signature"] == expected["webhook-signature"]
        ours = " ".join(
            "v2="
            + independent_v2(
                s, str(vector["timestamp"]), vector["nonce"], vector["pathAndQuery"], body
            )
            for s in vector["secrets"]
        )
        assert ours == expected["x-mutationengine-signature"]
        assert vector["standardWebhooksSecrets"] == [
            signing.standard_webhooks_secret(s) for s in vector["secrets"]
        ]
        standard = " ".join(
            Webhook(s).sign(
                vector["webhookId"],
                datetime.fromtimestamp(vector["timestamp"], tz=UTC),
                vector["body"],
            )
            for s in vector["standardWebhooksSecrets"]
        )
        assert standard == expected["webhook-signature"]


def test_documented_receiver_example_accepts_good_and_rejects_bad_requests():
    namespace: dict = {}
    exec(compile(_doc_block("receiver-example"), str(DOC), "exec"), namespace)  # noqa: S102
    verify_callback = namespace["verify_callback"]
    headers = signing.sign(
        secrets=[SECRET, OLD_SECRET], path_and_query=PATH, body=BODY, message_id="d"
    )
    assert verify_callback([OLD_SECRET], headers, PATH, BODY)
    assert not verify_callback([OLD_SECRET], headers, PATH, BODY)  # replayed nonce
    fresh = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d")
    assert not verify_callback([SECRET], fresh, PATH, BODY + b" ")
    assert not verify_callback([OLD_SECRET], fresh, PATH, BODY)
    assert verify_callback([SECRET], fresh, PATH, BODY)
    stale = signing.sign(
        secrets=[SECRET],
        path_and_query=PATH,
        body=BODY,
        message_id="d",
        timestamp=int(time.time()) - 301,
    )
    assert not verify_callback([SECRET], stale, PATH, BODY)


def test_documented_standard_webhooks_example_runs():
    headers = signing.sign(secrets=[SECRET], path_and_query=PATH, body=BODY, message_id="d")
    namespace = {"secret": SECRET, "body": BODY, "headers": headers}
    exec(compile(_doc_block("standard-webhooks-example"), str(DOC), "exec"), namespace)  # noqa: S102
