"""What passes through the API instances of a server on PostgreSQL + S3, and what they ask the
object store:
- file bytes go out by presigned URL only: clone, pull and checkout fetch every file from the
  object store, and the instance serves none of their bytes (all its answers, counted at the
  load balancer in front of it, are far smaller than the files); the access key never goes to
  the object store;
- blob sizes are recorded with the upload, so a callback through an instance that never saw
  the blob asks the object store nothing (counted at a relay in front of it); grants from
  before sizes were recorded still work, and get their size recorded."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from engines import PostgresCluster, SeaweedS3, new_stores
from gascli import Gas
from rawapi import RawApi, sha1
from serverproc import ServerProcess, Stores
from tcprelay import TcpRelay
from test_workspace_sync import snapshot
from test_workspace_sync_resume import AccessLog

from gasvc.api.client import ApiClient
from gasvc.api.landing import Download
from gasvc.api.transfer import download_url

pytestmark = pytest.mark.slow(seconds=30)
FILES, FILE_SIZE = 120, 16 * 1024
#: Requests of the server's own byte-serving routes (batch stream, signed blob URLs).
BYTE_ROUTES = r"POST \S+/batch/download|GET \S+/gasvc-storage/v1/blobs/"


@pytest.fixture(scope="module")
def stores(pg_cluster: PostgresCluster, s3_server: SeaweedS3) -> Stores:
    return new_stores(pg_cluster, s3_server)


@pytest.fixture(scope="module")
def instance(stores: Stores, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[ServerProcess, TcpRelay]]:
    """One instance behind the loopback balancer, which counts the bytes it answers."""
    with TcpRelay([]) as relay, ServerProcess(
            tmp_path_factory.mktemp("direct") / "a", stores=stores,
            extra_args=("--public-url", relay.url.rstrip("/"))) as server:
        relay.backends = [server.port]
        yield server, relay


def write_files(root: Path, names: range, tag: bytes) -> None:
    for i in names:
        path = root / "train" / f"{i:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tag + os.urandom(FILE_SIZE - len(tag)))


def test_clone_pull_checkout_take_file_bytes_from_the_object_store(
    instance: tuple[ServerProcess, TcpRelay], tmp_path: Path
) -> None:
    server, relay = instance
    gas = Gas(tmp_path / "home")
    gas.login(SimpleNamespace(url=relay.url, tls=None), server.add_user("alice"))  # type: ignore[arg-type]
    work, copy = tmp_path / "work", tmp_path / "copy"
    gas(work, "init", "direct")
    write_files(work, range(FILES), b"first")
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "first")
    gas(work, "push")
    first = snapshot(work)

    log, before = AccessLog(server), relay.answered
    gas(tmp_path, "clone", "direct", "copy")
    assert snapshot(copy) == first
    assert relay.answered - before < FILES * FILE_SIZE / 8  # listings only, no file bytes

    write_files(work, range(0, FILES, 3), b"second")  # 40 files change
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "second")
    gas(work, "push")
    before = relay.answered
    gas(copy, "pull")  # the changed files, by checksum through the extension's URLs
    assert snapshot(copy) == snapshot(work)
    gas(copy, "checkout", "HEAD~1")  # their first versions, not in the workspace any more
    assert snapshot(copy) == first
    assert relay.answered - before < FILES * FILE_SIZE / 8
    assert log.count(r"POST \S+/batch/urls")  # asked for URLs by checksum
    assert not log.count(BYTE_ROUTES), log.lines()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers any GET with fixed bytes and records the request's headers."""

    seen: ClassVar[list[dict[str, str]]] = []
    body = b"object store bytes"

    def do_GET(self) -> None:
        _Recorder.seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_access_key_is_not_sent_with_a_download_by_url(tmp_path: Path) -> None:
    store = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=store.serve_forever, daemon=True).start()
    try:
        client = ApiClient("http://127.0.0.1:1/", "Accesskey-" + "a" * 32)
        item = Download(hashlib.sha1(_Recorder.body).hexdigest(), len(_Recorder.body),
                        tmp_path / "file.bin", f"http://127.0.0.1:{store.server_port}/x?sig=1")
        download_url(client, item, tmp_path)
        assert (tmp_path / "file.bin").read_bytes() == _Recorder.body
        assert _Recorder.seen and all("X-Token" not in h for h in _Recorder.seen)
    finally:
        store.shutdown()
        store.server_close()


@pytest.fixture(scope="module")
def watched(stores: Stores, s3_server: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[ServerProcess, TcpRelay]]:
    """A second instance that reaches the object store through a relay counting its answers."""
    with TcpRelay([s3_server.port]) as relay, ServerProcess(
            tmp_path_factory.mktemp("watched") / "b",
            stores=Stores(stores.database, stores.blobs,
                          {**stores.env, "AWS_ENDPOINT_URL": relay.url.rstrip("/")})) as server:
        yield server, relay


def test_a_callback_asks_the_object_store_nothing(
    instance: tuple[ServerProcess, TcpRelay], watched: tuple[ServerProcess, TcpRelay],
    stores: Stores,
) -> None:
    """Uploaded through one instance, registered through another that never saw the blobs:
    their sizes come from the database. A grant without a recorded size (old data) is checked
    against the object store once, and its size is recorded then."""
    import psycopg

    (a, _), (b, s3_relay) = instance, watched
    key = a.add_user("bob")
    api_a, api_b = RawApi(a.api, key, True), RawApi(b.api, key, True)
    dataset_id = api_a.create_dataset("sized")
    draft = api_a.create_draft(dataset_id)
    api_a.create_segment(dataset_id, draft, "train")
    files = [os.urandom(1000 + i) for i in range(4)]
    for content in files:
        assert api_a.upload_blob(api_a.policy(dataset_id, draft, "train"), content
                                 ).status_code == 200
    with psycopg.connect(stores.database, autocommit=True) as conn:
        sizes = dict(conn.execute("SELECT checksum, size FROM dataset_blobs WHERE dataset_id = %s",
                                  (dataset_id,)).fetchall())
        assert sizes == {sha1(f): len(f) for f in files}
        old = sha1(files[3])  # as a grant made before sizes were recorded
        conn.execute("UPDATE dataset_blobs SET size = NULL WHERE checksum = %s", (old,))

    def register(content: bytes, name: str, size: int) -> int:
        before = s3_relay.answered
        answer = api_b.callback(dataset_id, draft, "train", [
            {"remotePath": name, "checksum": sha1(content), "fileSize": size}])
        assert answer.status_code == (200 if size == len(content) else 400), answer.text
        return s3_relay.answered - before

    assert [register(f, f"{i}.bin", len(f)) for i, f in enumerate(files[:3])] == [0, 0, 0]
    assert register(files[0], "wrong.bin", 5) == 0  # a wrong size is refused, from the record
    assert register(files[3], "3.bin", len(files[3])) > 0  # old grant: the store is asked
    with psycopg.connect(stores.database, autocommit=True) as conn:
        assert conn.execute("SELECT size FROM dataset_blobs WHERE checksum = %s",
                            (old,)).fetchone() == (len(files[3]),)
    commit = api_b.commit(dataset_id, draft, "sized")
    items = api_a.data_details(dataset_id, "train", commit=commit)
    assert sorted((i["remotePath"], i["fileSize"]) for i in items) == sorted(
        (f"{i}.bin", len(f)) for i, f in enumerate(files))
