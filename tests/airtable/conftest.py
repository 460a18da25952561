"""Fixtures for the Airtable emulator tests: a live emulator over real HTTP + pyairtable.

One emulator per test session (fast); every test starts from a full ``reset()`` with rate
limiting off. Rate-limit tests switch it on through ``emulator.set_config``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pyairtable import Api, Table
from pyairtable.api.table import Table as TableClass

from airtable.emulator import EmulatorServer

TOKEN = "test-token"
CLIENT_TIMEOUT = (5, 10)  # (connect, read) seconds; no test should come close

# The gateway tests' base: a production id the settings point at, one small table.
PRODUCTION_BASE = "appProduction0001"
SANDBOX_BASE = "appSandbox0000001"
TABLE = "Kandidaten"
TABLE_FIELDS: list[dict[str, Any]] = [
    {"name": "Naam", "type": "singleLineText"},
    {"name": "E-mail", "type": "email"},
    {
        "name": "Fase",
        "type": "singleSelect",
        "options": {"choices": [{"name": "nieuw"}, {"name": "matchen"}]},
    },
    {"name": "API Mutation Key", "type": "singleLineText"},
    {"name": "Overige bijlagen", "type": "multipleAttachments"},
    {"name": "Laatst gewijzigd", "type": "lastModifiedTime"},
]

KANDIDATEN_FIELDS: list[dict[str, Any]] = [
    {"name": "Naam", "type": "singleLineText"},
    {"name": "E-mail", "type": "email"},
    {"name": "Telefoon", "type": "phoneNumber"},
    {
        "name": "Fase",
        "type": "singleSelect",
        "options": {"choices": [{"name": "nieuw"}, {"name": "matchen"}]},
    },
    {
        "name": "Sector",
        "type": "multipleSelects",
        "options": {"choices": [{"name": "PO"}, {"name": "VO"}, {"name": "MBO"}]},
    },
    {"name": "Privacy consent", "type": "checkbox"},
    {"name": "Laatst gewijzigd", "type": "lastModifiedTime"},
    {"name": "API Mutation Key", "type": "singleLineText"},
    {"name": "CV", "type": "multipleAttachments"},
]


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, token=TOKEN, rate_limit_per_s=0).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    """The shared emulator, wiped (data, faults, log, limits) for this test."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def base_id(emulator: EmulatorServer) -> str:
    """A base with ``Kandidaten`` and ``Interacties`` (linked to Kandidaten)."""
    base = emulator.create_base(
        "Onderwijsregio test",
        [
            {"name": "Kandidaten", "fields": KANDIDATEN_FIELDS},
        ],
    )
    kandidaten_id = base["tables"][0]["id"]
    emulator.create_table(
        base["id"],
        "Interacties",
        [
            {"name": "Onderwerp", "type": "singleLineText"},
            {
                "name": "Kandidaat",
                "type": "multipleRecordLinks",
                "options": {"linkedTableId": kandidaten_id},
            },
            {"name": "Datum", "type": "dateTime"},
            {"name": "Aantal", "type": "number"},
        ],
    )
    return str(base["id"])


@pytest.fixture
def api(emulator: EmulatorServer) -> Api:
    return Api(TOKEN, endpoint_url=emulator.url, retry_strategy=None, timeout=CLIENT_TIMEOUT)


@pytest.fixture
def kandidaten(api: Api, base_id: str) -> Table:
    return api.table(base_id, "Kandidaten")


@pytest.fixture
def interacties(api: Api, base_id: str) -> Table:
    return api.table(base_id, "Interacties")


@pytest.fixture
def http(emulator: EmulatorServer) -> Iterator[requests.Session]:
    """A plain authenticated session for requests pyairtable cannot make (e.g. 11 records)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    yield session
    session.close()


@pytest.fixture
def local_upload_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyairtable hard-codes content.airtable.com for uploads; keep them on the emulator."""

    def upload_url(self: Any, record_id: str, field: str) -> Any:
        return self.build_url(f"{{base.id}}/{record_id}/{field}/uploadAttachment")

    monkeypatch.setattr(TableClass._urls, "upload_attachment", upload_url)


def http_error(excinfo: pytest.ExceptionInfo[requests.HTTPError]) -> tuple[int, Any]:
    """(status, JSON body) of the HTTP error pyairtable raised."""
    response = excinfo.value.response
    assert response is not None
    return response.status_code, response.json()


@pytest.fixture
def airtable_settings(settings, emulator: EmulatorServer):
    """The gateway settings pointing at the emulator and the fixed test bases."""
    settings.AIRTABLE_API_URL = emulator.url
    settings.AIRTABLE_CONTENT_URL = emulator.url
    settings.AIRTABLE_TOKEN = TOKEN
    settings.AIRTABLE_BASE_ID = PRODUCTION_BASE
    settings.AIRTABLE_SANDBOX_BASE_ID = SANDBOX_BASE
    settings.AIRTABLE_CONNECT_TIMEOUT_S = 2.0
    settings.AIRTABLE_READ_TIMEOUT_S = 10.0
    return settings


@pytest.fixture
def base(emulator: EmulatorServer) -> str:
    """The production test base with its one ``TABLE``."""
    emulator.create_base(
        "Gateway test", [{"name": TABLE, "fields": TABLE_FIELDS}], base_id=PRODUCTION_BASE
    )
    return PRODUCTION_BASE
