"""A hostile server for tests: a plain-HTTP proxy in front of a real `gas server` that forwards
every Open API request and rewrites the listings it answers with.

Our server refuses bad names on write, so the only way to list them is to lie on the way back:

    proxy.paths = {"b.jpg": ".gas/state.sqlite"}   # an item's remotePath, as listed
    proxy.segments = {"train": ".gas"}             # a segment's name, as listed
    proxy.duplicate = True                         # every data details item listed twice
    proxy.page_limit = 1                           # listings paged one item at a time
    proxy.labels = {"a.jpg": {"x": float("nan")}}  # an item's label, as listed
    proxy.garbage = "/segments"                    # answers to paths ending so are not JSON
    proxy.answers = {"/policies": (403, {...})}    # paths ending so answered this, not forwarded
    proxy.bare_masks = True                        # masks listed as TensorBay does: no checksum

Names in requests (`remotePath`, `segmentName` query parameters) are mapped back, so the client
can ask for what it was shown. Downloads go to the real server directly (signed URLs and the
batch host name it, not the proxy).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "content-encoding",
               "accept-encoding", "keep-alive"}


class RewritingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.paths: dict[str, str] = {}
        self.segments: dict[str, str] = {}
        self.duplicate = False
        self.page_limit: int | None = None
        self.labels: dict[str, Any] = {}
        self.garbage: str | None = None
        self.answers: dict[str, tuple[int, Any]] = {}
        self.bare_masks = False
        self.session = requests.Session()
        self.session.trust_env = False
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> RewritingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.session.close()

    def reset(self) -> None:
        self.paths, self.segments, self.labels = {}, {}, {}
        self.duplicate, self.page_limit, self.garbage = False, None, None
        self.answers = {}
        self.bare_masks = False

    # the rewriting -----------------------------------------------------------------------
    def request_query(self, query: str) -> str:
        unpaths = {v: k for k, v in self.paths.items()}
        unsegments = {v: k for k, v in self.segments.items()}
        pairs = [(key, unpaths.get(value, value) if key == "remotePath"
                  else unsegments.get(value, value) if key == "segmentName" else value)
                 for key, value in parse_qsl(query, keep_blank_values=True)]
        return urlencode(pairs)

    def response(self, path: str, body: Any) -> Any:
        if path.endswith("/storage-extension") and self.page_limit is not None:
            body["extra"]["pageLimit"] = self.page_limit
        if path.endswith("/segments") and isinstance(body.get("segments"), list):
            for segment in body["segments"]:
                segment["name"] = self.segments.get(segment["name"], segment["name"])
        details = body.get("dataDetails") if isinstance(body, dict) else None
        if isinstance(details, list) and self.duplicate:
            body["dataDetails"] = [item for item in details for _ in (0, 1)]
        for item in details if isinstance(details, list) else []:
            for data in item.get("frame", [item]):  # a fusion frame's data, or the item
                self._label(data)
        return self._paths(body)

    def _label(self, item: dict[str, Any]) -> None:
        item["label"] = self.labels.get(item["remotePath"], item.get("label"))
        for mask in (item["label"] or {}).values() if self.bare_masks else ():
            if isinstance(mask, dict) and "url" in mask:
                mask.pop("checksum", None)
                mask.pop("fileSize", None)

    def _paths(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._paths(item) for item in value]
        if isinstance(value, dict):
            return {key: (self.paths.get(item, item) if key == "remotePath"
                          and isinstance(item, str) else self._paths(item))
                    for key, item in value.items()}
        return value


def _handler(proxy: RewritingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            parts = urlsplit(self.path)
            made_up = next((a for end, a in proxy.answers.items() if parts.path.endswith(end)),
                           None)
            if made_up is not None:
                return self.answer(*made_up)
            query = proxy.request_query(parts.query)
            url = proxy.upstream + parts.path + (f"?{query}" if query else "")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            answer = proxy.session.request(self.command, url, data=data, headers=headers,
                                           timeout=60)
            content = answer.content
            if answer.headers.get("content-type", "").startswith("application/json"):
                content = json.dumps(proxy.response(parts.path, answer.json())).encode()
                if proxy.garbage and parts.path.endswith(proxy.garbage):
                    content = b"<html>an error page</html>"
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def answer(self, status: int, body: Any) -> None:
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

    return Handler
