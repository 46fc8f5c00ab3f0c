"""Canonical JSON and content hashes: equal values always give equal bytes and equal ids."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the one byte form a value is hashed in."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def content_id(value: Any) -> str:
    """The SHA-1 of a value's canonical JSON."""
    return sha1_hex(canonical_json(value))
