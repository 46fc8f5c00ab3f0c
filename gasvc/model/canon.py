"""Canonical JSON and content hashes: equal values always give equal bytes and equal ids."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

#: `json.dumps` with these options, without making an encoder per call (a clone or push calls
#: it a few times per file); encoders keep no state between calls, so threads share it.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: The ASCII characters a JSON string holds as they are: printable, but quote and backslash.
_PLAIN_ASCII = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the one byte form a value is hashed in. Lone
    surrogates are escaped; every other character is kept as is (ids never change)."""
    leaf = _items_leaf(value)
    if leaf is not None:
        return leaf
    text = _CANONICAL.encode(value)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate (JSON's \ud800): UTF-8 has none
        return _surrogates().sub(_escape, text).encode()


def _items_leaf(value: Any) -> bytes | None:
    """`canonical_json` of a tree leaf of items (model/tree.py, snapshot.Item): a list of
    [path, [checksum, size, None, label or None]], written directly (a commit writes hundreds
    of these; ~3 times faster than the encoder). None for any other value, or for strings the
    encoder would escape: `canonical_json` then encodes it as ever."""
    if type(value) is not list or not value:
        return None
    parts, quotes = [], 0
    try:
        for key, item in value:
            if not isinstance(item, (list, tuple)):  # a snapshot.Item too (a named tuple)
                return None
            checksum, size, timestamp, label = item
            if (type(key) is not str or type(checksum) is not str or type(size) is not int
                    or timestamp is not None):
                return None
            if label is None:
                parts.append(f'["{key}",["{checksum}",{size},null,null]]')
                quotes += 4
            elif type(label) is str:
                parts.append(f'["{key}",["{checksum}",{size},null,"{label}"]]')
                quotes += 6
            else:
                return None
    except (TypeError, ValueError):  # entries of another shape
        return None
    text = "[" + ",".join(parts) + "]"
    # no string held a quote or a backslash, nor anything the encoder escapes (control
    # characters) or `canonical_json` does (lone surrogates)
    if text.isascii():  # the usual case, checked in one pass over the bytes
        data = text.encode()
        return data if data.translate(None, _PLAIN_ASCII) == b'"' * quotes else None
    if text.count('"') != quotes or "\\" in text or not text.isprintable():
        return None  # (neither a control character nor a lone surrogate is printable)
    return text.encode()


def escaped(text: str) -> str:
    """JSON text (of `json.dumps(..., ensure_ascii=False)`) for a file: lone surrogates and
    line breaks escaped, so that it encodes and each value stays on its line(s)."""
    return text if text.isascii() else _surrogates_and_breaks().sub(_escape, text)


@functools.cache
def _surrogates() -> re.Pattern[str]:
    """Lone surrogates. Compiled when first needed, as `_surrogates_and_breaks`: a class of the
    surrogates takes 0.15–0.4 ms to compile, which every command would pay at start."""
    return re.compile("[\ud800-\udfff]")


@functools.cache
def _surrogates_and_breaks() -> re.Pattern[str]:
    """Lone surrogates, and the line breaks of `str.splitlines` that JSON allows raw in a
    string."""
    return re.compile("[\ud800-\udfff\x85\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def content_id(value: Any) -> str:
    """The SHA-1 of a value's canonical JSON."""
    return sha1_hex(canonical_json(value))
