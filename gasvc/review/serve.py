"""Serving a review on 127.0.0.1 until interrupted: the socket, the URL, the browser."""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable

from gasvc.review.app import create_app
from gasvc.review.session import Review


def listen(port: int) -> socket.socket:
    """A socket on 127.0.0.1:`port` (0: a free port the system picks)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen(64)
    return sock


def serve(review: Review, sock: socket.socket, browser: bool,
          announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C; `announce` is told the page's URL first."""
    import uvicorn

    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/?token={review.token}"
    app = create_app(review, {f"127.0.0.1:{port}", f"localhost:{port}"})
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=2))
    announce(url)
    if browser:
        webbrowser.open(url)
    server.run(sockets=[sock])
