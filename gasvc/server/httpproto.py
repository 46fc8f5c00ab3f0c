"""The server's HTTP/1.1 protocol: uvicorn's httptools one, less two copies of request bodies.

uvicorn appends every piece of a body that its parser hands on (already `bytes`) to a
`bytearray`, and `receive()` copies that into `bytes` for the app: two passes over every byte of
an upload on the event loop, 20 % of its busy time in a push of 2,000 files of 1 MB
(docs/performance.md, row 9). Here a piece that arrives while none is waiting is kept as it is,
and `receive()` hands it on without a copy (`bytes(b)` is `b`); a piece that arrives behind
another one is appended as uvicorn does. Upgrades and bodies after the response take uvicorn's
own path.
"""

from __future__ import annotations

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BodyProtocol(HttpToolsProtocol):
    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if cycle.body or cycle.response_complete or self.parser.should_upgrade():
            if isinstance(cycle.body, bytes):  # a kept piece, not received yet
                cycle.body = bytearray(cycle.body)
            super().on_body(body)
            return
        cycle.body = body  # type: ignore[assignment]  # received as is: bytes(body) is body
        if len(body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()
