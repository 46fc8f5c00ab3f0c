"""The review page's web app (Starlette): the page, its JSON, the files, the draft's actions.

Every request but the static files must carry the session token (`?token=` or the
`X-Review-Token` header; POSTs need the header, which no other site's page can send) and name
this server as its Host, so other local users and other sites' pages read nothing. Files are
answered with byte ranges, as the server's storage answers them.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gasvc.errors import GasError
from gasvc.review.files import read_range
from gasvc.review.index import Query
from gasvc.review.session import IMAGES, Review
from gasvc.server.routes.storage import _range as byte_range  # the server's Range rules

HERE = Path(__file__).parent
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data: blob:; connect-src 'self'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(review: Review, hosts: set[str]) -> Starlette:
    templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                            autoescape=select_autoescape(["html"]))

    async def page(request: Request) -> Response:
        html = templates.get_template("index.html").render(token=review.token,
                                                           title=_title(review))
        return HTMLResponse(html)

    async def summary(request: Request) -> Response:
        return JSONResponse(review.summary())

    async def items(request: Request) -> Response:
        q = request.query_params
        category = q.get("category")
        query = Query(q.get("change", ""), q.get("segment", ""), q.get("labelType", ""),
                      None if category is None else category)
        return JSONResponse(review.index.page(query, _int(q.get("offset"), 0),
                                              _int(q.get("limit"), 100)))

    async def item(request: Request) -> Response:
        found = await run_in_threadpool(review.item, request.query_params.get("path", ""))
        if found is None:
            return JSONResponse({"error": "no such changed item"}, status_code=404)
        return JSONResponse(found)

    async def stats(request: Request) -> Response:
        return JSONResponse(review.stats())

    async def file(request: Request) -> Response:
        q = request.query_params
        key, side, mask = q.get("path", ""), q.get("side", ""), q.get("mask")
        wanted = review.wanted(key, side, mask)
        if wanted is None:
            return JSONResponse({"error": f"{key} has no such file {side}"}, status_code=404)
        try:
            path = await run_in_threadpool(review.files.find, wanted)
        except GasError as error:
            return JSONResponse({"error": error.message, "hint": error.hint}, status_code=502)
        return _ranged(path, request.headers.get("range"), _media_type(key, mask),
                       q.get("download") == "1", Path(key).name)

    async def draft_action(request: Request) -> Response:
        draft = review.draft
        if draft is None or draft.done:
            return JSONResponse({"error": "no open draft to act on"}, status_code=409)
        body: dict[str, Any] = await request.json()
        action = request.path_params["action"]
        try:
            if action == "commit":
                done = await run_in_threadpool(draft.commit, str(body.get("message", "")))
            else:
                done = await run_in_threadpool(draft.close)
        except GasError as error:
            return JSONResponse({"error": error.message, "hint": error.hint}, status_code=400)
        draft.done = done
        return JSONResponse({"done": done})

    async def guard(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.headers.get("host", "") not in hosts:
            return Response("unknown host", status_code=421)
        if not request.url.path.startswith("/static/") and not _authorised(request, review):
            return Response("this page needs the token of its `gas review` URL",
                            status_code=403)
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return Starlette(routes=[
        Route("/", page), Route("/api/summary", summary), Route("/api/items", items),
        Route("/api/item", item), Route("/api/stats", stats), Route("/file", file),
        Route("/api/draft/{action:str}", draft_action, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ], middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)])


def _authorised(request: Request, review: Review) -> bool:
    given = request.headers.get("x-review-token", "")
    if not given and request.method == "GET":  # links and images carry it in the URL
        given = request.query_params.get("token", "")
    return hmac.compare_digest(given.encode(), review.token.encode())


def _title(review: Review) -> str:
    if review.draft is not None:
        return f"draft #{review.draft.number}: {review.draft.title}"
    return f"{review.result.old[:12]} → {review.result.new[:12]}"


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _media_type(key: str, mask: str | None) -> str:
    if mask is not None:
        return "image/png"
    return IMAGES.get(Path(key).suffix.lower(), "application/octet-stream")


def _ranged(path: Path, header: str | None, media_type: str, download: bool, name: str
            ) -> Response:
    size = path.stat().st_size
    start, end, status = byte_range(header, size)
    headers = {"Content-Length": str(end - start), "Accept-Ranges": "bytes"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if download or media_type == "application/octet-stream":
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "file"
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return StreamingResponse(read_range(path, start, end), status_code=status,
                             headers=headers, media_type=media_type)
