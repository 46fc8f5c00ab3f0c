"""Strict readers of request values: integers, booleans and free texts (titles, descriptions).

Python's `int()` accepts non-ASCII digits ('١٢٣', '１２') and any size, and SQLite stores at
most 64-bit integers; `bool()` turns "no" into True. These readers accept only what the wire
format means and answer anything else with InvalidParams (400), never with a 500.
"""

from __future__ import annotations

import re
from typing import Any

from gasvc.errors import InvalidParams

#: Every integer the server stores or compares must fit SQLite's signed 64-bit integers.
MAX_INT = 2**63 - 1
#: A commit's or draft's title (its one-line message).
MAX_TITLE = 1024
#: Descriptions of commits, drafts and segments; a dataset's alias.
MAX_DESCRIPTION = 64 * 1024
MAX_ALIAS = 255

_ASCII_INT = re.compile(r"[0-9]{1,19}")


def parse_int(value: Any, name: str, minimum: int = 0) -> int:
    """An integer from a JSON number or a decimal string of ASCII digits, in [minimum, 2^63)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value):
        number = int(value)
    else:
        raise InvalidParams(f"{name} must be an integer written in ASCII digits, not {value!r}")
    if not minimum <= number <= MAX_INT:
        raise InvalidParams(f"{name} {number} is out of range",
                            f"{name} is between {minimum} and 2^63 - 1")
    return number


def is_int_text(value: Any) -> bool:
    """Whether `parse_int` would read `value` (with minimum 0)."""
    try:
        parse_int(value, "")
    except InvalidParams:
        return False
    return True


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParams(f"{name} must be true or false, not {value!r}")
    return value


def check_text(value: Any, name: str, limit: int, required: bool = False) -> str:
    """A title or description: a string of at most `limit` characters (null reads as "")."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidParams(f"{name} must be a string, not {type(value).__name__}")
    if required and not value:
        raise InvalidParams(f"{name} is empty", f"give a {name}")
    if len(value) > limit:
        raise InvalidParams(f"{name} is longer than {limit} characters",
                            f"shorten the {name} to at most {limit} characters")
    return value
