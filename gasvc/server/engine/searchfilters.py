"""Basic search's filters (spec 2.13.1): checked when the job is created, then matched against
each file of a commit.

| key | operators | value |
|---|---|---|
| segment, sensor | in | list of names |
| size | =, >, <, >=, <= | integer (bytes) |
| withLabel | = | boolean |
| frame, keyword (the remote path) | =, like | string; `like` matches a part (`%` any run) |
| category | in | list of category names, in `extraInfo.labelType` |
| attribute | in | {attribute name: list of values}: one object has them all |
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gasvc.errors import InvalidParams, ParamsMissing

OPERATORS: dict[str, tuple[str, ...]] = {
    "segment": ("in",), "sensor": ("in",), "size": ("=", ">", "<", ">=", "<="),
    "withLabel": ("=",), "frame": ("=", "like"), "keyword": ("=", "like"),
    "category": ("in",), "attribute": ("in",),
}
_COMPARE = {"=": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge,
            "<=": operator.le}


@dataclass(frozen=True)
class Candidate:
    """One file a search looks at: where it is, its size, its label (the JSON object)."""

    segment: str
    path: str
    size: int
    label: dict[str, Any]
    frame_id: str | None = None
    sensor: str | None = None


Matcher = Callable[[Candidate], bool]


def check_filters(arguments: dict[str, Any], fusion: bool) -> None:
    """Refuse search arguments that cannot run, with what to change."""
    if arguments.get("conjunction") not in ("and", "or"):
        raise InvalidParams(f"invalid conjunction {arguments.get('conjunction')!r}",
                            "use and or or")
    if arguments.get("unit", "file") not in ("file", "frame"):
        raise InvalidParams(f"invalid unit {arguments.get('unit')!r}", "use file or frame")
    if arguments.get("unit") == "frame" and not fusion:
        raise InvalidParams("unit frame is for fusion datasets", "search by file")
    filters = arguments.get("filters")
    if not isinstance(filters, list) or not filters:
        raise ParamsMissing("filters is required (a non-empty list)")
    for found in filters:
        _check_filter(found)


def _check_filter(found: Any) -> None:
    if not isinstance(found, dict):
        raise InvalidParams("every filter must be an object with key, operator and value")
    key, op, value = found.get("key"), found.get("operator"), found.get("value")
    if key not in OPERATORS:
        raise InvalidParams(f"invalid filter key {key!r}", f"use one of {sorted(OPERATORS)}")
    if op not in OPERATORS[key]:
        raise InvalidParams(f"invalid operator {op!r} for {key}",
                            f"use one of {OPERATORS[key]}")
    kinds: dict[str, Callable[[Any], bool]] = {
        "segment": _is_list, "sensor": _is_list, "category": _is_list,
        "size": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "withLabel": lambda v: isinstance(v, bool),
        "frame": lambda v: isinstance(v, str), "keyword": lambda v: isinstance(v, str),
        "attribute": lambda v: isinstance(v, dict) and all(_is_list(x) for x in v.values()),
    }
    if not kinds[key](value):
        raise InvalidParams(f"invalid value {value!r} for filter {key}")
    if key in ("category", "attribute") and not _label_type(found):
        raise ParamsMissing(f"filter {key} needs extraInfo.labelType")


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _label_type(found: dict[str, Any]) -> str | None:
    extra = found.get("extraInfo")
    kind = extra.get("labelType") if isinstance(extra, dict) else None
    return kind if isinstance(kind, str) else None


def matcher(arguments: dict[str, Any]) -> Matcher:
    """One predicate for all the filters joined by the conjunction."""
    tests = [_matcher(f) for f in arguments["filters"]]
    if arguments["conjunction"] == "and":
        return lambda c: all(test(c) for test in tests)
    return lambda c: any(test(c) for test in tests)


def _matcher(found: dict[str, Any]) -> Matcher:
    key, op, value = found["key"], found["operator"], found["value"]
    if key == "segment":
        return lambda c: c.segment in value
    if key == "sensor":
        return lambda c: c.sensor in value
    if key == "size":
        compare = _COMPARE[op]
        return lambda c: bool(compare(c.size, value))
    if key == "withLabel":
        return lambda c: bool(c.label) == value
    if key in ("frame", "keyword"):
        text = _text_matcher(op, value)
        return (lambda c: c.frame_id is not None and text(c.frame_id)) if key == "frame" \
            else (lambda c: text(c.path))
    kind = str(_label_type(found))
    if key == "category":
        return lambda c: any(o.get("category") in value for o in _objects(c.label, kind))
    return lambda c: any(all(name in (o.get("attributes") or {})
                             and o["attributes"][name] in values
                             for name, values in value.items())
                         for o in _objects(c.label, kind))


def _text_matcher(op: str, value: str) -> Callable[[str], bool]:
    if op == "=":
        return lambda text: text == value
    pattern = re.compile(".*".join(re.escape(part) for part in value.split("%")))
    return lambda text: pattern.search(text) is not None


def _objects(label: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The labelled objects of one type: a list's items, or the one object (classification)."""
    found = label.get(kind)
    if isinstance(found, list):
        return [o for o in found if isinstance(o, dict)]
    return [found] if isinstance(found, dict) else []
