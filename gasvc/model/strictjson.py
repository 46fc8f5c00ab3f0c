"""Reading labels and catalogs: standard JSON only, so that what `gas add` accepts can be pushed.

No NaN or Infinity (the server refuses them, so a label holding one could never be pushed), and
at most `MAX_DEPTH` levels of nesting (deeper JSON would hit Python's recursion limit while being
read, hashed, written or diffed).
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Levels of nested objects and arrays a label or catalog may have (a label object itself is one
#: level, a list of boxes in it two, ...): far more than any label type needs, far fewer than
#: Python's recursion limit.
MAX_DEPTH = 100


class JsonRefused(ValueError):
    """JSON text or a value that gasvc does not store: the message says why."""


#: Digits as '0', '+' dropped and 'E' as 'e': a float too large for a double then shows as
#: "0e000" (an exponent of 3 digits or more) or as a run of 309 zeros (that many digits).
_NUMBER_SHAPES = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_RUN = b"0" * 309


def _suspect(text: str | bytes) -> bool:
    """Whether the text may hold a non-standard number: NaN, Infinity, or a float too large for
    a double. Only such text is read with the slower checks."""
    data = text.encode(errors="replace") if isinstance(text, str) else text
    if b"NaN" in data or b"Infinity" in data:
        return True
    shapes = data.translate(_NUMBER_SHAPES, b"+")
    return b"0e000" in shapes or _LONG_RUN in shapes


def load_json(text: str | bytes, wrapped: int = 0) -> Any:
    """Standard JSON only, nested at most `MAX_DEPTH` levels (plus `wrapped` levels of a line
    around the value the limit is for): `JsonRefused` (a ValueError) says what is wrong."""
    try:
        if _suspect(text):
            value = _STRICT.decode(text if isinstance(text, str) else text.decode())
        else:
            value = json.loads(text)
    except RecursionError:
        raise JsonRefused(f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise JsonRefused(f"not valid JSON ({error.msg})") from None
    except JsonRefused:
        raise
    except ValueError:  # Python's limit on converting long integers
        raise JsonRefused("a number has too many digits") from None
    check_depth(value, text, MAX_DEPTH + wrapped)
    return value


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:20]}{'...' if len(text) > 20 else ''}"
                          " is too large")
    return value


_STRICT = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def check_value(value: Any, data: bytes) -> None:
    """Refuse a value received as parsed JSON (from a server) that gasvc would not read from a
    file: NaN, Infinity, or nesting deeper than `MAX_DEPTH`; `data` is its canonical JSON."""
    if b"NaN" in data or b"Infinity" in data:
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            raise JsonRefused("the JSON holds NaN or Infinity (not JSON numbers)") from None
    check_depth(value, data)


def check_depth(value: Any, text: str | bytes, limit: int = MAX_DEPTH) -> None:
    """Refuse a value nested deeper than `limit` levels (`text`, its JSON, tells cheaply when
    it cannot be: fewer opening brackets than the limit)."""
    opening = (text.count("{") + text.count("[") if isinstance(text, str)
               else text.count(b"{") + text.count(b"["))
    if opening <= limit:
        return
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        node, depth = level.pop()
        if depth > limit:
            raise JsonRefused(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, (dict, list)):
            level.extend((child, depth + 1) for child in children
                         if isinstance(child, (dict, list)))
