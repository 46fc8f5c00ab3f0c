"""The storage side: multipart uploads under a policy, downloads by signed URL (spec 2.7, 2.8.5).

These requests carry no X-Token; they are authorised by the HMAC in the policy or URL. An
upload's token is checked before a byte of its file is read, and the file streams straight into
the blob store (never spooled elsewhere); downloads are read in worker threads.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gasvc.errors import AccessDenied, InvalidParams, ParamsMissing, ResourceNotExist
from gasvc.model.names import is_sha1
from gasvc.server.engine import Engine, signing
from gasvc.server.form import MAX_FIELD_BYTES, MAX_FIELDS, UploadForm
from gasvc.server.http import check_length
from gasvc.server.settings import STORAGE_PREFIX, ServerSettings

#: Bytes an upload form may hold besides its file.
FORM_OVERHEAD = MAX_FIELDS * MAX_FIELD_BYTES


def routes(engine: Engine, settings: ServerSettings) -> list[Route]:
    ctx = engine.ctx

    async def upload(request: Request) -> Response:
        check_length(request, settings.max_upload_bytes, FORM_OVERHEAD)
        form = UploadForm(request)
        fields = await form.fields()
        token, key = fields.get("token"), fields.get("key")
        if token is None or key is None:
            raise ParamsMissing("the upload form needs token and key fields before the file",
                                "send the fields of the policy from GetPolicy, then the file")
        claims = signing.check_upload_token(ctx.secret, token, ctx.now())
        prefix, _, checksum = key.rpartition("/")
        if prefix != claims["d"] or not is_sha1(checksum):
            raise AccessDenied(f"key {key!r} is outside the policy's prefix",
                               "use key = objectPrefix + SHA-1 of the file")
        size = await ctx.blobs.receive(checksum, form.file(), settings.max_upload_bytes)
        await run_in_threadpool(engine.data.grant_blob, claims["d"], checksum, size)
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
        # a synchronous iterator: Starlette reads it in worker threads
        return StreamingResponse(ctx.blobs.read(checksum, start, end),
                                 status_code=status, headers=headers,
                                 media_type="application/octet-stream")

    return [
        Route(STORAGE_PREFIX + "/upload", upload, methods=["POST"]),
        Route(STORAGE_PREFIX + "/blobs/{checksum}", download, methods=["GET"]),
    ]


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
