"""The server's HTTP protocol (server/httpproto.py: uvicorn's, less two copies of request
bodies) hands every body to the app whole and in order however its pieces arrive: a piece kept
as is, pieces that come behind it before the app reads, large and chunked bodies, several
requests on one connection."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from gasvc.server.httpproto import BodyProtocol

#: pieces sent apart (a pause between them): small ones, one past uvicorn's 64 KiB high water
PIECES = [b"a" * 10, b"b" * 1000, b"c" * 70_000, b"d" * 300_000, b"e" * 5]


class Recorder:
    """An ASGI app that reads each body late (so pieces pile up first) and answers its SHA-1."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await asyncio.sleep(0.3)
        parts = []
        while True:
            message = await receive()
            assert message["type"] == "http.request"
            parts.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(parts)
        self.bodies.append(body)
        answer = hashlib.sha1(body).hexdigest().encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def served() -> Iterator[tuple[Recorder, int]]:
    app = Recorder()
    server = uvicorn.Server(uvicorn.Config(app, http=BodyProtocol, lifespan="off",
                                           log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield app, sock.getsockname()[1]
    server.should_exit = True
    thread.join(20)
    sock.close()


def send_apart(conn: socket.socket, head: bytes, pieces: list[bytes]) -> str:
    """Send a request's head, then its pieces 20 ms apart; the answer's body."""
    conn.sendall(head)
    for piece in pieces:
        time.sleep(0.02)
        conn.sendall(piece)
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 40:
        received = conn.recv(65536)
        assert received, f"the connection closed: {answer!r}"
        answer += received
    status, rest = answer.split(b"\r\n", 1)
    assert status.endswith(b"200 OK"), answer
    return rest.split(b"\r\n\r\n", 1)[1].decode()


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def test_bodies_arrive_whole_however_they_are_split(served: tuple[Recorder, int]) -> None:
    app, port = served
    body = b"".join(PIECES)
    length_head = (f"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n"
                   ).encode()
    chunked_head = b"POST /y HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in PIECES] + [b"0\r\n\r\n"]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        assert send_apart(conn, length_head, PIECES) == sha1(body)
        assert send_apart(conn, length_head, [body]) == sha1(body)  # one piece: kept as is
        assert send_apart(conn, chunked_head, chunked) == sha1(body)
        small = b"just this"
        head = f"POST /z HTTP/1.1\r\nHost: t\r\nContent-Length: {len(small)}\r\n\r\n".encode()
        assert send_apart(conn, head, [small]) == sha1(small)
    assert app.bodies == [body, body, body, small]
