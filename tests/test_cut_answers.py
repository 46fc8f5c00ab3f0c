"""A server that dies while it answers (an instance killed behind a load balancer) cuts its
answer short: the client reports the server unreachable, never a crash (exit 3)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from gasvc.api.client import ApiClient
from gasvc.api.session import ServerUnreachable

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
