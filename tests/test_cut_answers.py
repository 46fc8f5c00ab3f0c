"""A server that dies while it answers (an instance killed behind a load balancer) cuts its
answer short, and a busy one may not answer in time: the client reports the server unreachable
or too slow, never a crash (exit 3)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gasvc.api.client import ApiClient
from gasvc.api.landing import Download
from gasvc.api.session import ServerUnreachable
from gasvc.api.transfer import BatchStorage, Policy, Upload, download_url

CUT = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
       b"\r\n5\r\n{\"a\"")


@pytest.fixture
def cutting_server() -> Iterator[int]:
    """Answers every request with the start of a chunked body, then closes the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(CUT)

    threading.Thread(target=serve, daemon=True).start()
    yield port
    listener.close()


def test_an_answer_cut_short_is_an_unreachable_server(cutting_server: int) -> None:
    client = ApiClient(f"http://127.0.0.1:{cutting_server}/", "Accesskey-" + "0" * 32,
                       timeout=5)
    with contextlib.closing(client), pytest.raises(ServerUnreachable):
        client.request("GET", "users")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Reads every request and never answers (until the test ends)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def test_no_answer_in_time_is_a_clean_error(silent_server: int, tmp_path: Path) -> None:
    site = f"http://127.0.0.1:{silent_server}/"
    client = ApiClient(site, "Accesskey-" + "0" * 32, timeout=0.3)
    with contextlib.closing(client):
        with pytest.raises(ServerUnreachable):  # GETs are tried again first
            client.request("GET", "users")
        with pytest.raises(ServerUnreachable):
            download_url(client, Download("0" * 40, 1, tmp_path / "x", site + "blob"), tmp_path)
        with pytest.raises(ServerUnreachable, match=r"did not answer within 0\.3 s"):
            client.request("POST", "datasets", json={"name": "x"})
        batch = BatchStorage(client, Policy(dict, {"result": {"token": "t"}, "extra": {
            "batchHost": site + "batch"}, "expireAt": int(time.time()) + 3600}))
        with pytest.raises(ServerUnreachable, match=r"did not answer within 0\.3 s"):
            batch.missing(["0" * 40])
        files = []
        for i in range(4):
            path = tmp_path / f"{i}.bin"
            path.write_bytes(b"x")
            files.append(Upload("1" * 40, 1, path))
        # the server stores each file of a batch before it answers: more time per file
        with pytest.raises(ServerUnreachable, match="did not answer within 1 s"):
            batch.upload(files)
