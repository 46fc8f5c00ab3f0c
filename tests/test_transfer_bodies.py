"""Batch transfer bodies go over HTTP with their length (no chunk framing to copy into), and the
client's upload body reads files straight into one buffer: the stream is the same framed stream
whatever the file sizes, on the embedded server and a scaled-out one (PostgreSQL + S3)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests
from rawapi import RawApi, framed_files
from serverproc import ServerProcess

from gasvc.api.landing import TransferError
from gasvc.api.transfer import READ_CHUNK, FramedBody, Upload
from gasvc.cli.server import http_parser
from gasvc.model.frames import header


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def uploads(folder: Path, files: list[bytes]) -> list[Upload]:
    found = []
    for number, data in enumerate(files):
        path = folder / f"f{number}"
        path.write_bytes(data)
        found.append(Upload(sha1(data), len(data), path))
    return found


#: sizes around the body's buffer: empty, small, filling it, larger than it
SIZES = [0, 5, READ_CHUNK - 60, READ_CHUNK, 3, 2 * READ_CHUNK + 7, 1]


def test_the_upload_body_is_the_framed_stream_with_its_length(tmp_path: Path) -> None:
    files = [bytes([n]) * size for n, size in enumerate(SIZES)]
    body = FramedBody(uploads(tmp_path, files))
    pieces = [bytes(piece) for piece in body]
    expected = b"".join(header(sha1(f), len(f)) + f for f in files)
    assert b"".join(pieces) == expected and len(body) == len(expected)
    assert all(0 < len(piece) <= READ_CHUNK for piece in pieces)
    assert b"".join(bytes(piece) for piece in body) == expected  # sent again on a retry


def test_a_file_shorter_than_committed_stops_the_upload(tmp_path: Path) -> None:
    items = uploads(tmp_path, [b"abc", b"defgh"])
    Path(items[1].path).write_bytes(b"de")
    with pytest.raises(TransferError, match="changed while it was sent"):
        b"".join(bytes(piece) for piece in FramedBody(items))


def test_the_server_parses_http_in_c_when_it_can() -> None:
    assert http_parser() == "httptools"  # a dependency of gasvc


@pytest.fixture(scope="module")
def api(http_server: ServerProcess) -> RawApi:
    return RawApi(http_server.api, http_server.add_user("gwen"), True)


def post(policy: dict[str, Any], action: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"{policy['extra']['batchHost']}/{action}", timeout=60,
                         headers={"X-Storage-Token": policy["result"]["token"]}, **kwargs)


@pytest.mark.parametrize("http_server", ["embedded", "scaled"], indirect=True, scope="module")
def test_batches_go_with_their_length_both_ways(api: RawApi, tmp_path: Path) -> None:
    dataset_id = api.create_dataset("bodies")
    draft = api.create_draft(dataset_id)
    api.create_segment(dataset_id, draft, "seg")
    policy = api.policy(dataset_id, draft, "seg")
    files = [b"small", b"", b"L" * (READ_CHUNK + 11), b"tiny", b"M" * (READ_CHUNK // 2 + 3)]
    body = FramedBody(uploads(tmp_path, files))
    sent = requests.Request("POST", "http://host/upload", data=body).prepare()
    assert sent.headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in sent.headers
    stored = post(policy, "upload", data=FramedBody(uploads(tmp_path, files)))
    assert stored.json() == {"stored": 5, "fileSize": sum(map(len, files))}
    sums = [sha1(f) for f in files]
    answer = post(policy, "download", json={"checksums": sums})
    assert answer.status_code == 200, answer.text
    assert "transfer-encoding" not in answer.headers
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert framed_files(answer.content) == dict(zip(sums, files, strict=True))
