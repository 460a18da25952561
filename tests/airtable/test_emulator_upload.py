"""uploadAttachment (base64 content endpoint) through pyairtable's Table.upload_attachment."""

from __future__ import annotations

import pytest
import requests
from pyairtable import Table

from airtable.emulator import MAX_UPLOAD_BYTES

from .conftest import http_error

pytestmark = pytest.mark.usefixtures("local_upload_urls")

PDF_BYTES = b"%PDF-1.4 fake cv\n"


def test_upload_attachment(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Met CV"})
    cv_field_id = kandidaten.schema().field("CV").id

    result = kandidaten.upload_attachment(record["id"], "CV", "cv.pdf", content=PDF_BYTES)

    attachment = result["fields"][cv_field_id][0]
    assert result == {
        "id": record["id"],
        "createdTime": record["createdTime"],
        "fields": {cv_field_id: [attachment]},
    }
    assert attachment["id"].startswith("att")
    assert {k: attachment[k] for k in ("filename", "size", "type")} == {
        "filename": "cv.pdf",
        "size": len(PDF_BYTES),
        "type": "application/pdf",
    }
    assert attachment["url"].startswith("https://")


def test_second_upload_appends(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Twee bestanden"})

    kandidaten.upload_attachment(record["id"], "CV", "cv.pdf", content=PDF_BYTES)
    kandidaten.upload_attachment(
        record["id"], "CV", "brief.txt", content="hallo", content_type="text/plain"
    )

    stored = kandidaten.get(record["id"])["fields"]["CV"]
    assert [(a["filename"], a["type"], a["size"]) for a in stored] == [
        ("cv.pdf", "application/pdf", len(PDF_BYTES)),
        ("brief.txt", "text/plain", 5),
    ]


def test_upload_over_5_mb_is_422(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Te groot"})

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.upload_attachment(
            record["id"], "CV", "groot.pdf", content=b"x" * (MAX_UPLOAD_BYTES + 1)
        )

    status, body = http_error(excinfo)
    assert status == 422
    assert body["error"]["type"] == "INVALID_ATTACHMENT_UPLOAD"
    assert "CV" not in kandidaten.get(record["id"])["fields"]


def test_upload_exactly_5_mb_is_accepted(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "Precies"})

    result = kandidaten.upload_attachment(
        record["id"], "CV", "max.pdf", content=b"x" * MAX_UPLOAD_BYTES
    )

    assert next(iter(result["fields"].values()))[0]["size"] == MAX_UPLOAD_BYTES


def test_upload_to_unknown_record_or_wrong_field(kandidaten: Table) -> None:
    record = kandidaten.create({"Naam": "X"})

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.upload_attachment("recAAAAAAAAAAAAAA", "CV", "cv.pdf", content=PDF_BYTES)
    assert http_error(excinfo)[0] == 404

    with pytest.raises(requests.HTTPError) as excinfo:
        kandidaten.upload_attachment(record["id"], "Naam", "cv.pdf", content=PDF_BYTES)
    assert http_error(excinfo)[1]["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"
