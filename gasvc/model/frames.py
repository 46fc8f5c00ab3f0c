"""Framed streams of files: the body format of gasvc's batch storage extension.

A stream is a sequence of frames. A frame is one line of canonical JSON, the header
`{"checksum": "<SHA-1>", "size": N}` and a newline, then exactly N bytes of content. In a download
stream a blob the server lacks is a header with size -1 and no content. The stream ends at EOF.

`FrameParser` is push-style, so the same code reads a stream on both sides: feed it chunks as
they arrive (a sync iterator on the client, an async one on the server) and act on the events.
Content comes as views of the chunks fed, not copies: a chunk usually holds the end of one file
and the start of the next, and copying the two parts was one more pass over every byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import NamedTuple

from gasvc.errors import InvalidParams
from gasvc.model.canon import canonical_json
from gasvc.model.names import is_sha1

MAX_HEADER = 1024
MISSING = -1


class FrameError(InvalidParams):
    """A framed stream that is cut short or malformed."""


class Frame(NamedTuple):
    checksum: str
    size: int


#: The event after the last content chunk of a frame (also after a frame without content).
END = None
Event = Frame | memoryview | None


def header(checksum: str, size: int) -> bytes:
    return canonical_json({"checksum": checksum, "size": size}) + b"\n"


#: A header as `header` writes it (the usual case), read without the JSON decoder.
_CANONICAL_HEADER = re.compile(rb'\{"checksum":"([0-9a-f]{40})","size":(-1|0|[1-9][0-9]{0,17})\}')


def parse_header(line: bytes) -> Frame:
    canonical = _CANONICAL_HEADER.fullmatch(line)
    if canonical is not None:
        return Frame(canonical[1].decode(), int(canonical[2]))
    try:
        value = json.loads(line)
        checksum, size = value["checksum"], value["size"]
    except (ValueError, KeyError, TypeError):
        raise FrameError("a frame header is not {\"checksum\": …, \"size\": …}") from None
    if not isinstance(checksum, str) or not is_sha1(checksum):
        raise FrameError(f"invalid checksum {checksum!r} in a frame header")
    if not isinstance(size, int) or isinstance(size, bool) or size < MISSING:
        raise FrameError(f"invalid size {size!r} in the frame of {checksum}")
    return Frame(checksum, size)


class FrameParser:
    """Turns chunks of a stream into events: a `Frame`, its content (views of the chunks fed),
    then `END`."""

    def __init__(self) -> None:
        self._head = b""
        self._left = 0
        self._frames = 0

    @property
    def frames(self) -> int:
        return self._frames

    def feed(self, chunk: bytes) -> Iterator[Event]:
        pos, size, view = 0, len(chunk), memoryview(chunk)
        while pos < size:
            if self._left:
                take = min(self._left, size - pos)
                yield view[pos : pos + take]
                pos += take
                self._left -= take
                if not self._left:
                    yield END
                continue
            newline = chunk.find(b"\n", pos)
            if newline < 0:
                self._head += chunk[pos:]
                if len(self._head) > MAX_HEADER:
                    raise FrameError("a frame header is too long")
                return
            frame = parse_header(self._head + chunk[pos:newline])
            self._head, pos = b"", newline + 1
            self._frames += 1
            yield frame
            if frame.size > 0:
                self._left = frame.size
            else:
                yield END

    def close(self) -> None:
        """At EOF: the stream must end between frames."""
        if self._left or self._head.strip():
            raise FrameError("the stream ended inside a frame", "send the batch again")
