"""Canonical JSON and content hashes: equal values always give equal bytes and equal ids."""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: Characters `str.splitlines` breaks lines at that JSON may hold raw in a string: escaped, so
#: one value is always one line (every other character is kept as is).
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the one byte form a value is hashed in."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        for char, escape in _LINE_BREAKS.items():
            text = text.replace(char, escape)
    return text.encode()


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def content_id(value: Any) -> str:
    """The SHA-1 of a value's canonical JSON."""
    return sha1_hex(canonical_json(value))
