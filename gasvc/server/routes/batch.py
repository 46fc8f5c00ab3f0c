"""gasvc's batch storage extension, beside the Open API (advertised as `extra.batchHost`).

- `POST {batchHost}/missing` `{"checksums": [...]}` → `{"missing": [...]}`: which blobs the
  server lacks, so a client uploads only those.
- `POST {batchHost}/upload`, a framed stream (model/frames.py) of many files: each is hashed while
  it streams in, and the whole batch is synced once and renamed into place when all verified.
- `POST {batchHost}/download` `{"checksums": [...]}` → a framed stream of those blobs.
- `POST {batchHost}/urls` `{"checksums": [...]}` → `{"urls": {checksum: url}, "expireAt": t}`:
  where to GET each blob; on a server whose blobs are in an object store (policies say
  `"batchDownload": "urls"`) these are presigned URLs, so no file byte passes through the server.

Authorised like uploads, by a signed token in `X-Storage-Token`: the upload policy's token
(GetPolicy) for all of them, or the read token of `GET {api}/datasets/{id}/storage-extension`
for `missing`, `download` and `urls`. A dataset may name only blobs uploaded into it (its grants):
`missing` lists the checksums not granted yet (the client proves it has the bytes by uploading
them; known blobs are verified and not stored twice), and `download` and `urls` serve granted
ones only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

from anyio import CapacityLimiter, to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gasvc.errors import InvalidParams, ParamsMissing, RequestTooLarge, ResourceNotExist
from gasvc.model.frames import MAX_HEADER, MISSING, Frame, FrameError, FrameParser, header
from gasvc.model.names import check_checksum
from gasvc.server.blobs import BlobStore
from gasvc.server.blobwriters import CHUNK
from gasvc.server.engine import Engine, signing
from gasvc.server.engine.signing import BATCH_LIMIT
from gasvc.server.http import base_url, check_length, read_json
from gasvc.server.settings import STORAGE_PREFIX, ServerSettings

TOKEN_HEADER = "X-Storage-Token"
#: Checksums one `missing` call may ask about.
MISSING_LIMIT = 10 * BATCH_LIMIT
#: Download answers are sent in chunks of about this size.
OUT_CHUNK = 1024 * 1024
#: Pieces of batch uploads written at once, of all requests: more threads than the server has
#: cores, each writing small files, mostly hand the GIL to each other (at every system call).
BLOB_THREADS = max(2, os.cpu_count() or 2)


def routes(engine: Engine, settings: ServerSettings) -> list[Route]:
    ctx = engine.ctx

    @functools.cache
    def blob_threads() -> CapacityLimiter:
        """Made in the event loop, on first use."""
        return CapacityLimiter(BLOB_THREADS)

    def authorize(request: Request, kinds: tuple[str, ...]) -> str:
        """The dataset id the request's token was issued for."""
        token = request.headers.get(TOKEN_HEADER)
        if not token:
            raise ParamsMissing(f"the {TOKEN_HEADER} header is required",
                                "send the token of an upload policy or a read policy")
        return str(signing.check_upload_token(ctx.secret, token, ctx.now(), kinds)["d"])

    async def missing(request: Request) -> Response:
        dataset_id = authorize(request, ("put", "read"))
        checksums = _checksums(await read_json(request, settings.max_json_bytes), MISSING_LIMIT)
        absent = await run_in_threadpool(engine.data.missing_blobs, dataset_id,
                                         list(dict.fromkeys(checksums)))
        return JSONResponse({"missing": absent})

    async def upload(request: Request) -> Response:
        dataset_id = authorize(request, ("put",))  # before a byte of the body is read
        check_length(request, settings.max_upload_bytes, BATCH_LIMIT * MAX_HEADER)
        batch = ctx.blobs.batch()
        try:
            received = await _receive(request, batch.add, settings.max_upload_bytes,
                                      blob_threads())
            await run_in_threadpool(batch.commit)
        finally:
            batch.abort()
        await run_in_threadpool(engine.data.grant_blobs, dataset_id, received)
        return JSONResponse({"stored": len(received), "fileSize": sum(received.values())})

    async def download(request: Request) -> Response:
        dataset_id = authorize(request, ("put", "read"))
        checksums = _checksums(await read_json(request, settings.max_json_bytes), BATCH_LIMIT)
        foreign = await run_in_threadpool(engine.data.missing_blobs, dataset_id,
                                          list(dict.fromkeys(checksums)))
        if foreign:
            raise ResourceNotExist(f"{len(foreign)} of the files asked for are not in this "
                                   f"dataset, e.g. {foreign[0]}")
        sizes = await run_in_threadpool(ctx.blobs.sizes, checksums)
        length = sum(len(header(c, MISSING if n is None else n)) + (n or 0)
                     for c, n in zip(checksums, sizes, strict=True))
        # a known length: the body is sent as is, not copied into HTTP chunks
        return StreamingResponse(_stream(ctx.blobs, checksums, sizes),
                                 headers={"Content-Length": str(length)},
                                 media_type="application/octet-stream")

    async def urls(request: Request) -> Response:
        dataset_id = authorize(request, ("put", "read"))
        checksums = _checksums(await read_json(request, settings.max_json_bytes), BATCH_LIMIT)
        answer = await run_in_threadpool(engine.data.blob_urls, dataset_id,
                                         list(dict.fromkeys(checksums)), base_url(request))
        return JSONResponse(answer)

    prefix = STORAGE_PREFIX + "/batch"
    return [
        Route(prefix + "/missing", missing, methods=["POST"]),
        Route(prefix + "/upload", upload, methods=["POST"]),
        Route(prefix + "/download", download, methods=["POST"]),
        Route(prefix + "/urls", urls, methods=["POST"]),
    ]


async def _receive(request: Request, add: Any, max_bytes: int,
                   threads: CapacityLimiter) -> dict[str, int]:
    """Read a framed upload stream into blob writers; returns {checksum: size}. The files' bytes
    together may not exceed `max_bytes`. The stream is parsed and written in worker threads, a
    piece of about `CHUNK` bytes at a time: one hand-off per piece, not three per file (1,000
    small files a batch made the event loop the bottleneck of a push). At most `threads` pieces
    (of all uploads) are written at once."""
    sink = _Sink(add, max_bytes)
    pending: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK:
            await to_thread.run_sync(sink.feed, pending, limiter=threads)
            pending, size = [], 0
    await to_thread.run_sync(sink.feed, pending, limiter=threads)
    sink.parser.close()
    return sink.received


class _Sink:
    """Frames into blob writers, fed pieces of the stream one after another (one thread at a
    time)."""

    def __init__(self, add: Any, max_bytes: int) -> None:
        self.add, self.max_bytes = add, max_bytes
        self.parser = FrameParser()
        self.received: dict[str, int] = {}
        self.total = 0  # bytes of the files so far
        self.writer: Any = None
        self.checksum = ""

    def feed(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            for event in self.parser.feed(chunk):
                if isinstance(event, Frame):
                    if event.size < 0 or self.parser.frames > BATCH_LIMIT:
                        raise FrameError(f"a batch holds at most {BATCH_LIMIT} files of size ≥ 0")
                    self.writer = self.add(event.checksum, self.max_bytes - self.total)
                    self.checksum = event.checksum
                elif event is None:
                    self.received[self.checksum] = self.writer.finish()
                else:
                    self.total += len(event)
                    if self.total > self.max_bytes:
                        raise RequestTooLarge(
                            f"the upload is larger than the server's limit of {self.max_bytes}"
                            " bytes", "raise the server's --max-upload-bytes to store larger"
                            " files")
                    self.writer.write(event)


def _checksums(body: dict[str, Any], limit: int) -> list[str]:
    checksums = body.get("checksums")
    if not isinstance(checksums, list):
        raise ParamsMissing("checksums is required (a list of SHA-1s)")
    if len(checksums) > limit:
        raise InvalidParams(f"at most {limit} checksums per request", "send smaller batches")
    return [check_checksum(c) for c in checksums]


def _stream(blobs: BlobStore, checksums: list[str], sizes: list[int | None]
            ) -> Iterator[bytes]:
    """Frames of the blobs of the given sizes: small ones gathered into chunks of about
    `OUT_CHUNK` bytes, a large one's pieces sent as read (not copied again)."""
    out = bytearray()
    found = [(checksum, size) for checksum, size in zip(checksums, sizes, strict=True)
             if size is not None]
    contents = blobs.read_sized(found)
    for checksum, size in zip(checksums, sizes, strict=True):
        out += header(checksum, MISSING if size is None else size)
        if size is None:
            continue
        sent = 0
        for part in next(contents):
            sent += len(part)
            if len(part) >= OUT_CHUNK // 2:
                if out:
                    yield bytes(out)
                    out.clear()
                yield part
                continue
            out += part
            if len(out) >= OUT_CHUNK:
                yield bytes(out)
                out.clear()
        if sent != size:  # the stream cannot go on: the header announced `size` bytes
            raise FrameError(f"blob {checksum} is shorter than its recorded size")
    if out:
        yield bytes(out)
