"""A loopback load balancer for tests: each TCP connection goes to the next backend port in
turn, skipping backends that refuse it (as nginx's `proxy_next_upstream error` does). It counts
the bytes the backends send back (`answered`)."""

from __future__ import annotations

import itertools
import select
import socket
import threading
from types import TracebackType

from serverproc import free_port


class TcpRelay:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.connections: dict[int, int] = {}  # backend port: connections sent to it
        self.answered = 0  # bytes the backends sent to clients
        self._count_lock = threading.Lock()
        self._turn = itertools.count()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _connect(self) -> socket.socket | None:
        first = next(self._turn)
        for step in range(len(self.backends)):
            port = self.backends[(first + step) % len(self.backends)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                continue
            self.connections[port] = self.connections.get(port, 0) + 1
            return upstream
        return None

    def _serve(self, client: socket.socket) -> None:
        upstream = self._connect()
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        for sock in (client, upstream):  # forward small answers at once (no Nagle delay)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = {client: upstream, upstream: client}
        try:
            while not self._closed.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.5)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    pair[source].sendall(data)
                    if source is upstream:
                        with self._count_lock:
                            self.answered += len(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def __enter__(self) -> TcpRelay:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closed.set()
        self._listener.close()
