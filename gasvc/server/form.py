"""A streaming reader of the policy upload form (multipart/form-data, spec 2.7.2).

The SDK sends the policy's fields (`token`, `key`, …) first and the file last. `UploadForm`
reads the fields, stops at the file part so the caller can check the token before a byte of the
file is read, and then streams the file's bytes: nothing is spooled to disk on the way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from gasvc.errors import InvalidParams, ParamsMissing, RequestTooLarge

#: Fields a form may have, and bytes one field may hold.
MAX_FIELDS = 32
MAX_FIELD_BYTES = 64 * 1024
_FILE, _END = object(), object()


class UploadForm:
    """One upload form: `await fields()`, then `async for chunk in file()`."""

    def __init__(self, request: Request) -> None:
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidParams("the upload must be a multipart/form-data POST",
                                "send the policy's fields and then the file as a form")
        self._stream = request.stream()
        self._events: list[Any] = []
        self._fields: dict[str, str] = {}
        self._part: dict[str, Any] = {}
        self._files = 0
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data,
            "on_part_end": self._end,
        })

    async def fields(self) -> dict[str, str]:
        """The fields sent before the file part (which must follow them)."""
        while _FILE not in self._events:
            if not await self._feed():
                raise ParamsMissing("the upload form needs a file part",
                                    "send the policy's fields, then the file")
        self._events.remove(_FILE)
        return dict(self._fields)

    async def file(self) -> AsyncIterator[bytes]:
        """The file's bytes; the rest of the form is read (and checked) after them."""
        while True:
            while self._events:
                event = self._events.pop(0)
                if event is _END:
                    while await self._feed():  # fields after the file: read and ignored
                        self._events.clear()
                    return
                yield event
            if not await self._feed():
                raise InvalidParams("the upload form ends in the middle of the file",
                                    "send the whole file")

    async def _feed(self) -> bool:
        """Parse the next piece of the body; False at its end."""
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            return False
        try:
            if chunk:
                self._parser.write(chunk)
        except MultipartParseError as error:
            raise InvalidParams(f"the upload form is malformed: {error}",
                                "send a standard multipart/form-data body") from None
        return True

    # parser callbacks --------------------------------------------------------------------
    def _begin(self) -> None:
        self._part = {"header": b"", "value": b"", "disposition": b"", "data": bytearray()}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._part["header"] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._part["value"] += data[start:end]

    def _header_end(self) -> None:
        if self._part["header"].lower() == b"content-disposition":
            self._part["disposition"] = self._part["value"]
        self._part["header"] = self._part["value"] = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._part["disposition"])
        if b"name" not in options:
            raise InvalidParams("a form part has no name", "name every part of the form")
        self._part["name"] = options[b"name"].decode("utf-8", "replace")
        self._part["file"] = b"filename" in options
        if self._part["file"]:
            self._files += 1
            if self._files > 1:
                raise InvalidParams("the upload form holds more than one file",
                                    "upload one file per request")
            self._events.append(_FILE)
        elif len(self._fields) >= MAX_FIELDS:
            raise InvalidParams(f"the upload form has more than {MAX_FIELDS} fields",
                                "send only the policy's fields")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part["file"]:
            self._events.append(data[start:end])
            return
        self._part["data"] += data[start:end]
        if len(self._part["data"]) > MAX_FIELD_BYTES:
            raise RequestTooLarge(f"a form field is larger than {MAX_FIELD_BYTES} bytes")

    def _end(self) -> None:
        if self._part["file"]:
            self._events.append(_END)
        else:
            self._fields[self._part["name"]] = self._part["data"].decode("utf-8", "replace")
