"""The thin HTTP layer: a `Call` per request, synchronous handlers run in a thread pool.

Routes are `(method, path, handler)` where `handler(call) -> JSON-able`; this module turns them
into Starlette routes that authenticate, read the JSON body within limits and render the result.
Everything that may take long — authenticating, decoding a large body, the handler, encoding its
answer — runs in worker threads: the event loop only moves bytes.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gasvc.errors import InvalidParams, ParamsMissing, RequestTooLarge, WireError
from gasvc.model.canon import escaped
from gasvc.server.meta.store import retry_conflicts
from gasvc.server.params import parse_int
from gasvc.server.records import User

log = logging.getLogger("gasvc.server")
MAX_PAGE = 1000
SDK_SOURCES = ("PYTHON-SDK", "PYTHON-CLI")
DEFAULT_PAGE = 128
#: JSON bodies nest at most this deep (the SDK's deepest, a label's attributes, is ~6).
MAX_JSON_DEPTH = 100
#: JSON bodies larger than this are decoded in a worker thread.
INLINE_JSON = 64 * 1024


@dataclass
class Call:
    """Everything a handler may read of one request."""

    user: User
    path: dict[str, str]
    query: QueryParams
    body: dict[str, Any]
    base_url: str
    source: str = ""

    @property
    def dataset_id(self) -> str:
        return self.path["dataset_id"]

    @property
    def exact_names(self) -> bool:
        """The tensorbay SDK and CLI send `name=` only to look one object up by its exact name
        and take the first item; a fuzzy match there would bind to another object (spec 1.9)."""
        return self.source.startswith(SDK_SOURCES)

    def paging(self) -> tuple[int, int]:
        offset = self.int_query("offset", 0)
        limit = self.int_query("limit", DEFAULT_PAGE)
        if not 0 <= limit <= MAX_PAGE:
            raise InvalidParams(f"invalid paging offset={offset} limit={limit}",
                                f"offset ≥ 0 and 0 ≤ limit ≤ {MAX_PAGE}")
        return offset, limit

    def int_query(self, name: str, default: int) -> int:
        value = self.query.get(name)
        if value is None or value == "":
            return default
        return parse_int(value, name)

    def need_query(self, name: str) -> str:
        value = self.query.get(name)
        if value is None:
            raise ParamsMissing(f"query parameter {name} is required")
        return value

    def status(self) -> dict[str, Any]:
        """Status info (spec 1.10): from the body for writes, else from the query."""
        source: Any = self.body if self.body else self.query
        return {"draftNumber": source.get("draftNumber"), "commit": source.get("commit")}


def page(field: str, items: list[Any], total: int, offset: int) -> dict[str, Any]:
    return {field: items, "offset": offset, "recordSize": len(items), "totalCount": total}


Handler = Callable[[Call], Any]


def paged(field: str, fetch: Callable[[Call, int, int], tuple[list[Any], int]]) -> Handler:
    """A handler answering one page of `fetch(call, offset, limit) -> (items, total)`."""
    def handler(call: Call) -> Any:
        offset, limit = call.paging()
        items, total = fetch(call, offset, limit)
        return page(field, items, total, offset)
    return handler
Authenticator = Callable[[str | None], User]


def api_route(method: str, path: str, handler: Handler, authenticate: Authenticator,
              max_json: int) -> Route:
    async def endpoint(request: Request) -> Response:
        user = await run_in_threadpool(authenticate, request.headers.get("X-Token"))
        body = await read_json(request, max_json) if method != "GET" else {}
        call = Call(user, dict(request.path_params), request.query_params, body,
                    base_url(request), request.headers.get("X-Source", ""))
        # an operation whose transaction conflicted with another instance's runs again whole
        answer = await run_in_threadpool(
            lambda: render_json(retry_conflicts(lambda: handler(call))))
        return Response(answer, media_type="application/json")

    return Route(path, endpoint, methods=[method])


def render_json(result: Any) -> bytes:
    """A handler's result as the JSON body Starlette's JSONResponse would send, with lone
    surrogates (which a label may hold: JSON's \\ud800) escaped, as UTF-8 cannot encode them."""
    return escaped(json.dumps({} if result is None else result, ensure_ascii=False,
                              allow_nan=False, separators=(",", ":"))).encode()


def base_url(request: Request) -> str:
    public: str | None = request.app.state.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def check_length(request: Request, limit: int, framing: int = 0) -> None:
    """Refuse a body announced larger than `limit` (+ `framing` bytes of form or frame
    headers) before reading any of it."""
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > limit + framing:
        raise RequestTooLarge(f"the request body ({length} bytes) is larger than the server's "
                              f"limit of {limit} bytes", "send less; the server's limits are "
                              "set when it starts (gas server start --help)")


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    check_length(request, limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise RequestTooLarge(f"request body is larger than {limit} bytes")
    if len(data) > INLINE_JSON:
        return await run_in_threadpool(decode_json, bytes(data))
    return decode_json(bytes(data))


def decode_json(data: bytes) -> dict[str, Any]:
    """A request body: a JSON object of finite numbers, nested at most MAX_JSON_DEPTH deep."""
    if not data.strip():
        return {}
    try:
        # NaN/Infinity would be stored and then break every JSON answer that contains them
        body = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise InvalidParams("the request body is not valid JSON",
                            "send standard JSON: finite numbers, not nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidParams("the request body must be a JSON object")
    _check_depth(body)
    return body


def _check_depth(body: Any) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH: stored, it would break later reads."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidParams(f"the request body nests deeper than {MAX_JSON_DEPTH} levels",
                                "send flatter JSON")
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def error_response(error: WireError) -> JSONResponse:
    content = {"code": error.code, "message": error.message}
    if error.hint:
        content["hint"] = error.hint
    return JSONResponse(content, status_code=error.status)


async def on_wire_error(request: Request, exc: Exception) -> Response:
    """A `WireError` as its code and status. Any other `GasError` (a client-side error) is not
    the server's to raise: it reaches `on_unexpected` and is answered as a 500 bug."""
    assert isinstance(exc, WireError)
    return error_response(exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "ResourceNotExist" if exc.status_code == 404 else "InvalidParamsValue"
    return JSONResponse({"code": code, "message": f"{request.method} {request.url.path}: "
                         f"{exc.detail}"}, status_code=exc.status_code)


async def on_client_disconnect(request: Request, exc: Exception) -> Response:
    """A client that went away mid-request: one log line, no traceback (nothing was kept)."""
    log.info("client disconnected during upload: %s %s; nothing of it was kept",
             request.method, request.url.path)
    return Response(status_code=400)  # never delivered; the connection is gone


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return JSONResponse({"code": "InternalServerError",
                         "message": f"internal error ({type(exc).__name__}); this is a bug"},
                        status_code=500)


class RequestIdMiddleware:
    """Answer every request with an `X-Request-Id` (the client's, or a new one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id") or uuid.uuid4().hex.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
