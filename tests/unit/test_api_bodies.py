"""An uploaded spreadsheet's text, however the spreadsheet program saved it (`shared.api`)."""

from __future__ import annotations

import base64

import pytest

from shared.api import BadRequestBody, check_body


def upload(data: bytes) -> dict[str, object]:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="members.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--XyZ--\r\n"
    )
    return {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"content-type": "multipart/form-data; boundary=XyZ"},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


@pytest.mark.parametrize(
    "data",
    [
        "Name\r\nZoë Brontë – £5\r\n".encode(),  # CSV UTF-8
        "Name\r\nZoë Brontë – £5\r\n".encode("cp1252"),  # Excel's plain "CSV (Comma delimited)" in the UK
    ],
    ids=["utf-8", "windows-1252"],
)
def test_a_spreadsheet_saved_as_either_kind_of_csv_reads_the_same(data):
    event = upload(data)
    check_body(event, files=True)
    assert "Zo%C3%AB+Bront%C3%AB+%E2%80%93+%C2%A35" in str(event["body"])


def test_a_file_in_neither_is_refused_saying_how_to_save_it():
    event = upload(b"Name\r\n\x81\x8d\x8f\r\n")  # bytes Windows-1252 leaves undefined
    with pytest.raises(BadRequestBody) as refused:
        check_body(event, files=True)
    assert refused.value.status == 400 and "CSV UTF-8" in refused.value.message
