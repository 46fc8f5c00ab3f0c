"""Uploads at the server's trust boundary, against a real server process over plain HTTP.

- A request with a forged token is answered before its body is read or spooled anywhere.
- An authenticated upload over `--max-upload-bytes` gets 413 and leaves nothing behind.
- A client that disconnects mid-upload costs one log line and leaves nothing half-written.
- Temporary files of killed or abandoned uploads are swept while the server runs.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rawapi import RawApi, sha1
from serverproc import ServerProcess
from test_security import assert_error

from gasvc.model.frames import header

MB = 1024 * 1024
CAP = 4 * MB
FORGED_BODY = 256 * MB
TMP_MAX_AGE = 2


class Watched:
    """A server whose disk use is watched: its data dir, its TMPDIR and every file it holds
    open (spooled temporary files may have no name)."""

    def __init__(self, root: Path) -> None:
        self.tmpdir = root / "tmpdir"
        self.tmpdir.mkdir()
        self.server = ServerProcess(root / "data", extra_args=(
            "--max-upload-bytes", str(CAP), "--upload-tmp-max-age", str(TMP_MAX_AGE)))

    def start(self) -> None:
        saved = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(self.tmpdir)  # inherited by the server process only
        try:
            self.server.start()
        finally:
            if saved is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = saved

    @property
    def upload_tmp(self) -> Path:
        return self.server.data_dir / "blobs" / "tmp"

    def disk_bytes(self) -> int:
        """Bytes in the data dir and TMPDIR, plus those of files the server holds open."""
        named = {p.resolve(): p.stat().st_size for root in (self.server.data_dir, self.tmpdir)
                 for p in root.rglob("*") if p.is_file()}
        assert self.server._proc is not None
        fds = Path(f"/proc/{self.server._proc.pid}/fd")
        held = 0
        for fd in fds.iterdir():
            try:
                target, stat = os.readlink(fd), fd.stat()
            except OSError:
                continue
            if target.startswith("/") and Path(target).resolve() not in named and \
                    os.path.isfile(fd):
                held += stat.st_size
        return sum(named.values()) + held


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    watched = Watched(tmp_path_factory.mktemp("limits"))
    watched.start()
    yield watched
    watched.server.stop()


@pytest.fixture(scope="module")
def api(watched: Watched) -> RawApi:
    return RawApi(watched.server.api, watched.server.add_user("lim"), True)


@pytest.fixture(scope="module")
def target(api: RawApi) -> dict[str, Any]:
    """A dataset with an open draft and segment "s", and an upload policy for it."""
    dataset_id = api.create_dataset(f"limits_{uuid.uuid4().hex[:6]}")
    draft = api.create_draft(dataset_id)
    api.create_segment(dataset_id, draft, "s")
    return {"dataset_id": dataset_id, "draft": draft,
            "policy": api.policy(dataset_id, draft, "s")}


def form_head(fields: dict[str, str], boundary: str) -> bytes:
    head = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode() for name, value in fields.items())
    return head + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                   'filename="f"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()


def form_fields(policy: dict[str, Any], checksum: str) -> dict[str, str]:
    return {"token": policy["result"]["token"],
            "key": policy["extra"]["objectPrefix"] + checksum}


class Sampler:
    """A body of `size` zero bytes (after `head`) that samples the server's disk use as it
    goes, so that spooling is seen even if the spool is removed before the answer."""

    def __init__(self, watched: Watched, size: int, head: bytes = b"", tail: bytes = b"") -> None:
        self.watched, self.size, self.head, self.tail = watched, size, head, tail
        self.baseline = watched.disk_bytes()
        self.peak = 0

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        block, sent = bytes(MB), 0
        while sent < self.size:
            yield block
            sent += MB
            if sent % (16 * MB) == 0:
                self.peak = max(self.peak, self.watched.disk_bytes() - self.baseline)
        yield self.tail

    def growth(self) -> int:
        return max(self.peak, self.watched.disk_bytes() - self.baseline)


def post(url: str, body: Any, headers: dict[str, str]) -> requests.Response:
    """POST `body` (PUT to an Open API route, as the callbacks are)."""
    method = "PUT" if "/tensorbay-open-api/" in url else "POST"
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, data=body, headers=headers, timeout=300)


# 2. authentication before the body, and the upload cap ---------------------------------------
def forged_requests(watched: Watched, target: dict[str, Any]) -> dict[str, Any]:
    policy, boundary = target["policy"], uuid.uuid4().hex
    token = policy["result"]["token"]
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    fields = {**form_fields(policy, "0" * 40), "token": forged}
    api = watched.server.api
    return {
        "api body, forged X-Token": (
            f"{api}datasets/{target['dataset_id']}/multi/callback", b"",
            {"X-Token": "Accesskey-" + "f" * 32, "Content-Type": "application/json"}),
        "api body, no X-Token": (
            f"{api}datasets/{target['dataset_id']}/multi/callback", b"",
            {"Content-Type": "application/json"}),
        "policy upload, forged token": (
            policy["extra"]["host"], form_head(fields, boundary),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"}),
        "batch upload, forged token": (
            f"{policy['extra']['batchHost']}/upload", header("0" * 40, FORGED_BODY),
            {"X-Storage-Token": forged}),
        "batch upload, no token": (
            f"{policy['extra']['batchHost']}/upload", header("0" * 40, FORGED_BODY), {}),
    }


@pytest.mark.parametrize("case", ["api body, forged X-Token", "api body, no X-Token",
                                  "policy upload, forged token", "batch upload, forged token",
                                  "batch upload, no token"])
def test_a_forged_token_is_answered_before_the_body_is_stored(
        watched: Watched, api: RawApi, target: dict[str, Any], case: str) -> None:
    url, head, headers = forged_requests(watched, target)[case]
    body = Sampler(watched, FORGED_BODY, head)
    response = post(url, iter(body), headers)
    assert_error(response, (400, 401, 403), ("Unauthorized", "AccessDenied",
                                              "RequestParamsMissing"))
    assert body.growth() < MB, f"the server stored {body.growth()} bytes of the body"
    assert list(watched.upload_tmp.iterdir()) == []
    assert api.call("GET", "users")["nickname"] == "lim"  # still serving


def test_an_upload_over_the_cap_gets_413_and_leaves_nothing(
        watched: Watched, api: RawApi, target: dict[str, Any]) -> None:
    policy = target["policy"]
    content = os.urandom(CAP + MB)
    boundary = uuid.uuid4().hex
    head = form_head(form_fields(policy, sha1(content)), boundary)
    tail = f"\r\n--{boundary}--\r\n".encode()
    form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    announced = post(policy["extra"]["host"], head + content + tail, form)  # Content-Length
    streamed = post(policy["extra"]["host"], iter([head, content, tail]), form)  # chunked
    batch_url, batch_auth = f"{policy['extra']['batchHost']}/upload", {
        "X-Storage-Token": policy["result"]["token"]}
    halves = [content[: CAP // 2 + MB], content[CAP // 2 + MB:]]
    frames = [header(sha1(half), len(half)) + half for half in halves]
    batch_announced = post(batch_url, b"".join(frames), batch_auth)
    batch_streamed = post(batch_url, iter(frames), batch_auth)
    for response in (announced, streamed, batch_announced, batch_streamed):
        body = assert_error(response, 413, "InvalidParamsValue")
        assert str(CAP) in body["message"], body
    assert list(watched.upload_tmp.iterdir()) == []
    for checksum in (sha1(content), *map(sha1, halves)):
        assert not (watched.server.data_dir / "blobs" / checksum[:2] / checksum[2:]).exists()
    exact = content[:CAP]
    assert api.upload_blob(policy, exact).status_code == 200  # the cap itself is allowed


# 5. a client that goes away mid-upload -------------------------------------------------------
def send_part_then_close(watched: Watched, path: str, headers: dict[str, str],
                         first: bytes, announced: int) -> None:
    server = watched.server
    lines = [f"POST {path} HTTP/1.1", f"Host: {server.host}:{server.port}",
             f"Content-Length: {announced}", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + first)
        time.sleep(0.5)  # the server is now writing the upload's temporary file


def test_a_client_that_disconnects_mid_upload_is_one_log_line(
        watched: Watched, target: dict[str, Any]) -> None:
    policy, boundary = target["policy"], uuid.uuid4().hex
    storage = policy["extra"]["host"].split(str(watched.server.port), 1)[1]
    head = form_head(form_fields(policy, "a" * 40), boundary)
    send_part_then_close(watched, storage, {
        "Content-Type": f"multipart/form-data; boundary={boundary}"},
        head + bytes(2 * MB), len(head) + 3 * MB)
    batch = f"{storage.rsplit('/', 1)[0]}/batch/upload"
    send_part_then_close(watched, batch, {"X-Storage-Token": policy["result"]["token"]},
                         header("b" * 40, 3 * MB) + bytes(2 * MB), 3 * MB + 100)
    deadline = time.monotonic() + 10
    while watched.server.logs().count("client disconnected during upload") < 2:
        assert time.monotonic() < deadline, watched.server.logs()
        time.sleep(0.1)
    logs = watched.server.logs()
    assert logs.count("client disconnected during upload") == 2, logs
    assert "Traceback" not in logs and "unexpected error" not in logs, logs
    assert list(watched.upload_tmp.iterdir()) == []


# 6. temporary files of killed or abandoned uploads are swept ---------------------------------
def test_stale_upload_temporary_files_are_swept_while_the_server_runs(
        watched: Watched, target: dict[str, Any]) -> None:
    leftover = watched.upload_tmp / "99999-0"  # as a killed server would leave it
    leftover.write_bytes(b"half an upload")
    policy, boundary = target["policy"], uuid.uuid4().hex
    content = os.urandom(2 * MB)  # past a piece (blobs.CHUNK) held in memory: on disk
    head = form_head(form_fields(policy, sha1(content)), boundary)
    server = watched.server
    storage = policy["extra"]["host"].split(str(server.port), 1)[1]
    request = (f"POST {storage} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + len(content) + len(boundary) + 8}\r\n\r\n")
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(request.encode() + head + content[: 3 * MB // 2])
        deadline = time.monotonic() + 3 * TMP_MAX_AGE + 5
        while leftover.exists():
            assert time.monotonic() < deadline, "the leftover was not swept"
            time.sleep(0.2)
        # a stalled upload in progress is older than the age too, but is held: not swept
        time.sleep(TMP_MAX_AGE + 1)
        held = list(watched.upload_tmp.iterdir())
        assert len(held) == 1, held
        sock.sendall(content[3 * MB // 2:] + f"\r\n--{boundary}--\r\n".encode())
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert list(watched.upload_tmp.iterdir()) == []
    assert "removed 1 stale upload temporary file" in server.logs()
