"""The storage side: multipart uploads under a policy, downloads by signed URL (spec 2.7, 2.8.5).

These requests carry no X-Token; they are authorised by the HMAC in the policy or URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gasvc.errors import AccessDenied, InvalidParams, ParamsMissing, ResourceNotExist
from gasvc.model.names import is_sha1
from gasvc.server.engine import Engine, signing
from gasvc.server.settings import STORAGE_PREFIX, ServerSettings

MAX_FORM_FIELDS = 32


def routes(engine: Engine, settings: ServerSettings) -> list[Route]:
    ctx = engine.ctx

    async def upload(request: Request) -> Response:
        async with request.form(max_files=1, max_fields=MAX_FORM_FIELDS) as form:
            token, key, file = form.get("token"), form.get("key"), form.get("file")
            if not isinstance(token, str) or not isinstance(key, str):
                raise ParamsMissing("the upload form needs token and key fields",
                                    "send the fields of the policy from GetPolicy")
            claims = signing.check_upload_token(ctx.secret, token, ctx.now())
            prefix, _, checksum = key.rpartition("/")
            if prefix != claims["d"] or not is_sha1(checksum):
                raise AccessDenied(f"key {key!r} is outside the policy's prefix",
                                   "use key = objectPrefix + SHA-1 of the file")
            if not isinstance(file, UploadFile):
                raise ParamsMissing("the upload form needs a file part")
            size = await ctx.blobs.receive(checksum, _chunks(file), settings.max_upload_bytes)
        await run_in_threadpool(engine.data.grant_blob, claims["d"], checksum)
        return JSONResponse({"key": key, "fileSize": size})

    async def download(request: Request) -> Response:
        checksum = request.path_params["checksum"]
        if not is_sha1(checksum):
            raise InvalidParams(f"invalid blob id {checksum!r}")
        signing.check_download(ctx.secret, checksum, request.query_params.get("e", ""),
                               request.query_params.get("s", ""), ctx.now())
        size = await run_in_threadpool(ctx.blobs.size, checksum)
        if size is None:
            raise ResourceNotExist(f"blob {checksum} does not exist")
        start, end, status = _range(request.headers.get("range"), size)
        headers = {"Content-Length": str(end - start), "Accept-Ranges": "bytes",
                   "ETag": f'"{checksum}"'}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        return StreamingResponse(_iterate(ctx.blobs.read(checksum, start, end)),
                                 status_code=status, headers=headers,
                                 media_type="application/octet-stream")

    return [
        Route(STORAGE_PREFIX + "/upload", upload, methods=["POST"]),
        Route(STORAGE_PREFIX + "/blobs/{checksum}", download, methods=["GET"]),
    ]


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(1024 * 1024):
        yield chunk


async def _iterate(chunks: Any) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _range(header: str | None, size: int) -> tuple[int, int, int]:
    """(start, end, status) for an optional `Range: bytes=a-[b]` header."""
    if not header or not header.startswith("bytes=") or "," in header:
        return 0, size, 200
    first, _, last = header[len("bytes="):].partition("-")
    try:
        start = int(first) if first else max(size - int(last), 0)
        end = int(last) + 1 if first and last else size
    except ValueError:
        return 0, size, 200
    if start >= size or start >= end:
        return 0, size, 200
    return start, min(end, size), 206
