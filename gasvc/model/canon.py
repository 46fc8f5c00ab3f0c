"""Canonical JSON and content hashes: equal values always give equal bytes and equal ids."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

#: Escaped where JSON would hold them raw (every other character is kept as is): the line breaks
#: of `str.splitlines` that JSON allows in a string, so that one value is always one line, and
#: lone surrogates (JSON's "\ud800"), which UTF-8 cannot encode.
_ESCAPED = re.compile("[\x85\u2028\u2029\ud800-\udfff]")


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the one byte form a value is hashed in."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return escaped(text).encode()


def escaped(text: str) -> str:
    """JSON text (of `json.dumps(..., ensure_ascii=False)`) with those characters escaped."""
    return text if text.isascii() else _ESCAPED.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def content_id(value: Any) -> str:
    """The SHA-1 of a value's canonical JSON."""
    return sha1_hex(canonical_json(value))
