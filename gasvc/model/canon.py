"""Canonical JSON and content hashes: equal values always give equal bytes and equal ids."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

#: Lone surrogates (JSON's \ud800), which UTF-8 cannot encode.
_SURROGATES = re.compile("[\ud800-\udfff]")
#: Those, and the line breaks of `str.splitlines` that JSON allows raw in a string.
_SURROGATES_AND_BREAKS = re.compile("[\ud800-\udfff\x85\u2028\u2029]")
#: `json.dumps` with these options, without making an encoder per call (a clone or push calls
#: it a few times per file); encoders keep no state between calls, so threads share it.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the one byte form a value is hashed in. Lone
    surrogates are escaped; every other character is kept as is (ids never change)."""
    text = _CANONICAL.encode(value)
    return (text if text.isascii() else _SURROGATES.sub(_escape, text)).encode()


def escaped(text: str) -> str:
    """JSON text (of `json.dumps(..., ensure_ascii=False)`) for a file: lone surrogates and
    line breaks escaped, so that it encodes and each value stays on its line(s)."""
    return text if text.isascii() else _SURROGATES_AND_BREAKS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def content_id(value: Any) -> str:
    """The SHA-1 of a value's canonical JSON."""
    return sha1_hex(canonical_json(value))
