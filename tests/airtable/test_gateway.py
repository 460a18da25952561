"""SPEC 11: the gateway against the local emulator over real HTTP — one request per call,
explicit timeouts, no retries, and one classification of every failure."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from airtable.emulator import EmulatorServer
from airtable.errors import ERROR_CONNECTION, ERROR_TIMEOUT, classify_request_exception
from airtable.gateway import (
    KIND_PERMANENT,
    KIND_RATE_LIMITED,
    KIND_RETRYABLE,
    AirtableError,
    AirtableGateway,
    RecordPage,
    gateway_for_environment,
)
from config.api.environment import PRODUCTION, SANDBOX

from .conftest import PRODUCTION_BASE, SANDBOX_BASE, TABLE

SHORT_READ_TIMEOUT_S = 0.5
LOG_WAIT_S = 2.0
LOG_SETTLE_S = 0.05
FAULT_HOLD_S = 3.0  # how long the emulator sits on a "timed out" answer; > the read timeout


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gateway(airtable_settings, base: str) -> AirtableGateway:
    return gateway_for_environment(PRODUCTION)


def requests_sent(emulator: EmulatorServer, *, at_least: int = 0) -> int:
    """Requests the emulator logged for the base. It logs just after answering, so give the
    log a moment to catch up with what the client has already seen."""
    deadline = time.monotonic() + LOG_WAIT_S
    while len(emulator.log_entries(PRODUCTION_BASE)) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    if at_least:
        time.sleep(LOG_SETTLE_S)  # so a surplus request would be counted too
    return len(emulator.log_entries(PRODUCTION_BASE))


# --------------------------------------------------------------------------- construction


def test_gateway_for_environment_uses_each_environments_base(airtable_settings):
    assert gateway_for_environment(PRODUCTION).base_id == PRODUCTION_BASE
    assert gateway_for_environment(SANDBOX).base_id == SANDBOX_BASE
    with pytest.raises(ValueError, match="unknown environment"):
        gateway_for_environment("staging")


def test_gateway_never_retries_and_times_out_explicitly(airtable_settings):
    api = gateway_for_environment(PRODUCTION)._api

    assert type(api.session) is requests.Session  # not pyairtable's retrying session
    assert api.timeout == (2.0, 10.0)


# --------------------------------------------------------------------------- round trips


def test_create_get_update_delete_round_trip(gateway: AirtableGateway):
    created = gateway.create_records(TABLE, [{"Naam": "Ada", "Fase": "nieuw"}, {"Naam": "Bob"}])
    assert [r["fields"]["Naam"] for r in created] == ["Ada", "Bob"]
    assert all(r["id"].startswith("rec") and r["createdTime"] for r in created)
    ada, bob = (r["id"] for r in created)

    fetched = gateway.get_record(TABLE, ada)
    assert fetched is not None
    assert fetched["fields"]["Naam"] == "Ada" and fetched["fields"]["Fase"] == "nieuw"

    patched = gateway.update_records(TABLE, [(ada, {"Fase": "matchen"})])
    assert patched[0]["fields"]["Naam"] == "Ada"
    assert patched[0]["fields"]["Fase"] == "matchen"
    replaced = gateway.update_records(TABLE, [(ada, {"Naam": "Ada L."})], replace=True)
    assert "Fase" not in replaced[0]["fields"]

    assert gateway.delete_records(TABLE, [ada, bob]) == [ada, bob]
    assert gateway.get_record(TABLE, ada) is None


def test_list_records_returns_one_page_and_its_offset(
    gateway: AirtableGateway, emulator: EmulatorServer
):
    for start in (0, 10, 20):
        gateway.create_records(
            TABLE,
            [{"Naam": f"kandidaat {n:02d}", "Fase": "nieuw"} for n in range(start, start + 10)],
        )
    before = requests_sent(emulator)

    first = gateway.list_records(TABLE, page_size=12, sort=["-Naam"], fields=["Naam"])
    second = gateway.list_records(
        TABLE, page_size=12, sort=["-Naam"], fields=["Naam"], offset=first.offset
    )
    third = gateway.list_records(
        TABLE, page_size=12, sort=["-Naam"], fields=["Naam"], offset=second.offset
    )

    assert requests_sent(emulator, at_least=before + 3) - before == 3
    assert isinstance(first, RecordPage)
    assert first.offset and second.offset and third.offset is None
    names = [r["fields"]["Naam"] for page in (first, second, third) for r in page.records]
    assert names == [f"kandidaat {n:02d}" for n in range(29, -1, -1)]
    assert all(set(r["fields"]) == {"Naam"} for r in first.records)


def test_list_records_filters_by_formula(gateway: AirtableGateway):
    gateway.create_records(
        TABLE,
        [{"Naam": "Ada", "E-mail": "ada@example.nl"}, {"Naam": "Bob", "E-mail": "bob@example.nl"}],
    )

    page = gateway.list_records(TABLE, formula="{E-mail} = 'bob@example.nl'")

    assert [r["fields"]["Naam"] for r in page.records] == ["Bob"]
    assert page.offset is None
    assert set(page.records[0]) == {"id", "createdTime", "fields"}


def test_upsert_creates_then_updates_in_request_order(gateway: AirtableGateway):
    first = gateway.upsert_records(
        TABLE,
        [{"API Mutation Key": "m1:0", "Naam": "Ada"}, {"API Mutation Key": "m1:1", "Naam": "Bob"}],
        merge_on=["API Mutation Key"],
    )
    assert first.updated_ids == []
    assert first.created_ids == [r["id"] for r in first.records]

    # A retried create (same keys) must not duplicate; a new key creates.
    second = gateway.upsert_records(
        TABLE,
        [
            {"API Mutation Key": "m2:0", "Naam": "Cor"},
            {"API Mutation Key": "m1:1", "Naam": "Bob"},
            {"API Mutation Key": "m1:0", "Naam": "Ada"},
        ],
        merge_on=["API Mutation Key"],
    )

    assert [r["fields"]["Naam"] for r in second.records] == ["Cor", "Bob", "Ada"]
    assert second.created_ids == [second.records[0]["id"]]
    assert second.updated_ids == [first.records[1]["id"], first.records[0]["id"]]
    assert len(gateway.list_records(TABLE).records) == 3


def test_upsert_needs_the_merge_columns_in_every_record(gateway: AirtableGateway):
    with pytest.raises(ValueError, match="merge_on"):
        gateway.upsert_records(TABLE, [{"Naam": "Ada"}], merge_on=["API Mutation Key"])


def test_upload_attachment_goes_to_the_content_url(
    airtable_settings, base: str, emulator: EmulatorServer
):
    # Only the content URL points at Airtable, so the upload cannot have used the API URL.
    airtable_settings.AIRTABLE_API_URL = f"http://127.0.0.1:{closed_port()}"
    gateway = gateway_for_environment(PRODUCTION)
    [record] = emulator.store.create_records(PRODUCTION_BASE, TABLE, [{"Naam": "Ada"}])

    result = gateway.upload_attachment(
        record["id"],
        "Overige bijlagen",
        filename="cv.pdf",
        content_type="application/pdf",
        content=b"%PDF-1.4 cv",
    )

    assert result["id"] == record["id"]
    [attachments] = result["fields"].values()  # keyed by field id, as Airtable does
    assert [(a["filename"], a["type"], a["size"]) for a in attachments] == [
        ("cv.pdf", "application/pdf", 11)
    ]
    with pytest.raises(AirtableError) as excinfo:
        gateway.list_records(TABLE)
    assert excinfo.value.error_type == ERROR_CONNECTION


def test_schema_create_table_and_create_field(gateway: AirtableGateway):
    table = gateway.create_table(
        "Vacatures", [{"name": "Titel", "type": "singleLineText"}], description="Open posities"
    )
    field = gateway.create_field(
        table["id"],
        "Status",
        "singleSelect",
        options={"choices": [{"name": "open"}]},
        description="Fase van de vacature",
    )

    assert table["name"] == "Vacatures" and table["id"].startswith("tbl")
    assert field["name"] == "Status" and field["type"] == "singleSelect"
    [vacatures] = [t for t in gateway.schema() if t["name"] == "Vacatures"]
    assert [f["name"] for f in vacatures["fields"]] == ["Titel", "Status"]
    assert vacatures["primaryFieldId"] == vacatures["fields"][0]["id"]


def test_every_method_sends_exactly_one_request(gateway: AirtableGateway, emulator: EmulatorServer):
    calls: list[Callable[[], Any]] = [
        lambda: gateway.create_records(TABLE, [{"Naam": str(n)} for n in range(10)]),
        lambda: gateway.list_records(TABLE, page_size=3),
        lambda: gateway.schema(),
    ]
    for call in calls:
        before = requests_sent(emulator)
        call()
        assert requests_sent(emulator, at_least=before + 1) - before == 1
    ids = [r["id"] for r in gateway.list_records(TABLE).records]
    table_id = gateway.schema()[0]["id"]
    more: list[Callable[[], Any]] = [
        lambda: gateway.get_record(TABLE, ids[0]),
        lambda: gateway.get_record(TABLE, "recMissing0000000"),
        lambda: gateway.update_records(TABLE, [(i, {"Fase": "nieuw"}) for i in ids]),
        lambda: gateway.upsert_records(
            TABLE, [{"API Mutation Key": "k", "Naam": "x"}], merge_on=["API Mutation Key"]
        ),
        lambda: gateway.upload_attachment(
            ids[0], "Overige bijlagen", filename="a.txt", content_type="text/plain", content=b"a"
        ),
        lambda: gateway.delete_records(TABLE, ids),
        lambda: gateway.create_field(table_id, "Extra", "singleLineText"),
        lambda: gateway.create_table("Leeg", [{"name": "Naam", "type": "singleLineText"}]),
    ]
    for call in more:
        before = requests_sent(emulator)
        call()
        assert requests_sent(emulator, at_least=before + 1) - before == 1
        assert emulator.log_entries(PRODUCTION_BASE)[-1]["status"] in (200, 404)


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.create_records(TABLE, [{"Naam": str(n)} for n in range(11)]),
        lambda g: g.upsert_records(TABLE, [{"Naam": str(n)} for n in range(11)], merge_on=["Naam"]),
        lambda g: g.update_records(TABLE, [(f"rec{n:014d}", {}) for n in range(11)]),
        lambda g: g.delete_records(TABLE, [f"rec{n:014d}" for n in range(11)]),
        lambda g: g.create_records(TABLE, []),
        lambda g: g.list_records(TABLE, page_size=101),
    ],
    ids=["create", "upsert", "update", "delete", "empty", "page-size"],
)
def test_oversized_requests_are_refused_before_sending(
    gateway: AirtableGateway, emulator: EmulatorServer, call
):
    with pytest.raises(ValueError):
        call(gateway)

    assert requests_sent(emulator) == 0


# --------------------------------------------------------------------------- classification


def _create(g: AirtableGateway) -> Any:
    return g.create_records(TABLE, [{"Naam": "Ada"}])


def _list(g: AirtableGateway) -> Any:
    return g.list_records(TABLE)


FAULTS = [
    # id, emulator faults, settings overrides, call, (kind, status, error_type, ambiguous)
    (
        "429",
        {"rate_limit_storm_s": 30},
        {},
        _list,
        (KIND_RATE_LIMITED, 429, "RATE_LIMIT_REACHED", False),
    ),
    (
        "500-write",
        {"error_rate": 1.0, "error_statuses": [500]},
        {},
        _create,
        (KIND_RETRYABLE, 500, "SERVER_ERROR", True),
    ),
    (
        "502-read",
        {"error_rate": 1.0, "error_statuses": [502]},
        {},
        _list,
        (KIND_RETRYABLE, 502, "BAD_GATEWAY", False),
    ),
    (
        "503-write",
        {"error_rate": 1.0, "error_statuses": [503]},
        {},
        _create,
        (KIND_RETRYABLE, 503, "SERVICE_UNAVAILABLE", True),
    ),
    (
        "read-timeout-after-write",
        {"timeout_after_write_rate": 1.0, "timeout_s": FAULT_HOLD_S},
        {"AIRTABLE_READ_TIMEOUT_S": SHORT_READ_TIMEOUT_S},
        _create,
        (KIND_RETRYABLE, None, ERROR_TIMEOUT, True),
    ),
    (
        "connection-dropped-after-write",
        {"timeout_after_write_rate": 1.0, "timeout_mode": "close"},
        {},
        _create,
        (KIND_RETRYABLE, None, ERROR_CONNECTION, True),
    ),
    (
        "read-timeout-on-read",
        {"latency_ms": FAULT_HOLD_S * 1000},
        {"AIRTABLE_READ_TIMEOUT_S": SHORT_READ_TIMEOUT_S},
        _list,
        (KIND_RETRYABLE, None, ERROR_TIMEOUT, False),
    ),
    (
        "connection-refused",
        {},
        {"AIRTABLE_API_URL": "closed-port"},
        _create,
        (KIND_RETRYABLE, None, ERROR_CONNECTION, False),
    ),
    (
        "422-unknown-option",
        {},
        {},
        lambda g: g.create_records(TABLE, [{"Naam": "Ada", "Fase": "werkzaam"}]),
        (KIND_PERMANENT, 422, "INVALID_MULTIPLE_CHOICE_OPTIONS", False),
    ),
    (
        "422-unknown-field",
        {},
        {},
        lambda g: g.create_records(TABLE, [{"Naam": "Ada", "Schoenmaat": 44}]),
        (KIND_PERMANENT, 422, "UNKNOWN_FIELD_NAME", False),
    ),
    (
        "422-row-does-not-exist",
        {},
        {},
        lambda g: g.update_records(TABLE, [("recDoesNotExist01", {"Naam": "x"})]),
        (KIND_PERMANENT, 422, "ROW_DOES_NOT_EXIST", False),
    ),
    (
        "404-string-body",
        {},
        {"AIRTABLE_BASE_ID": "notABaseId"},
        _list,
        (KIND_PERMANENT, 404, "NOT_FOUND", False),
    ),
    (
        "403-unknown-table",
        {},
        {},
        lambda g: g.list_records("Vacatures"),
        (KIND_PERMANENT, 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", False),
    ),
    (
        "401",
        {},
        {"AIRTABLE_TOKEN": "wrong-token"},
        _list,
        (KIND_PERMANENT, 401, "AUTHENTICATION_REQUIRED", False),
    ),
]


@pytest.mark.parametrize(
    ("faults", "overrides", "call", "expected"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS]
)
def test_every_failure_is_classified_once(
    airtable_settings, base: str, emulator: EmulatorServer, faults, overrides, call, expected
):
    for name, value in overrides.items():
        if value == "closed-port":
            value = f"http://127.0.0.1:{closed_port()}"
        setattr(airtable_settings, name, value)
    if faults:
        emulator.set_faults(PRODUCTION_BASE, **faults)

    with pytest.raises(AirtableError) as excinfo:
        call(gateway_for_environment(PRODUCTION))

    error = excinfo.value
    assert (error.kind, error.status, error.error_type, error.ambiguous) == expected
    assert error.retryable is (error.kind != KIND_PERMANENT)
    assert error.message


def test_a_write_that_timed_out_was_applied(airtable_settings, base: str, emulator: EmulatorServer):
    airtable_settings.AIRTABLE_READ_TIMEOUT_S = SHORT_READ_TIMEOUT_S
    emulator.set_faults(PRODUCTION_BASE, timeout_after_write_rate=1.0, timeout_s=FAULT_HOLD_S)
    gateway = gateway_for_environment(PRODUCTION)

    with pytest.raises(AirtableError) as excinfo:
        gateway.upsert_records(
            TABLE, [{"API Mutation Key": "m:0", "Naam": "Ada"}], merge_on=["API Mutation Key"]
        )

    assert excinfo.value.ambiguous
    emulator.clear_faults()
    # Which is why creates are upserts on the mutation key: the retry finds the record.
    retried = gateway.upsert_records(
        TABLE, [{"API Mutation Key": "m:0", "Naam": "Ada"}], merge_on=["API Mutation Key"]
    )
    assert retried.created_ids == [] and len(retried.updated_ids) == 1


def test_get_record_is_none_on_404(gateway: AirtableGateway):
    assert gateway.get_record(TABLE, "recDoesNotExist01") is None


def test_a_proxy_error_page_is_retryable_without_an_airtable_type():
    response = requests.Response()
    response.status_code = 502
    response.reason = "Bad Gateway"
    response._content = b"<html>bad gateway</html>"

    error = classify_request_exception(requests.HTTPError(response=response), writes=False)

    assert (error.kind, error.status, error.error_type, error.ambiguous) == (
        KIND_RETRYABLE,
        502,
        None,
        False,
    )
    assert error.message == "HTTP 502 Bad Gateway"


def test_failures_are_logged_without_field_values(gateway: AirtableGateway, caplog):
    with pytest.raises(AirtableError):
        gateway.create_records(TABLE, [{"Naam": "Ada Lovelace", "Fase": "geheim-1234"}])

    logged = " ".join(str(r.msg) for r in caplog.records)
    assert "airtable_request_failed" in logged
    assert "INVALID_MULTIPLE_CHOICE_OPTIONS" in logged
    assert "Ada Lovelace" not in logged and "geheim-1234" not in logged
