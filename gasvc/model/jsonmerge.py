"""Three-way merge of two JSON values against their base, inside the value (labels, catalogs).

`merge_json(base, ours, theirs, keys)` returns the merged value and the places where both sides
changed the same thing differently (`FieldConflict`s; the merged value holds ours there).

- Equal sides (numbers by value: `0` and `0.0` are equal), or one side equal to the base: the
  other side wins. This is checked first at every level, so an unchanged part costs one compare.
- Objects merge key by key, recursively: a key added, changed or removed on one side is taken;
  a key added on both sides merges what they added (from an empty object when both are objects).
- Lists of objects that all carry one of `keys` (labels: `instance`, `trackId`; catalogs: `name`),
  unique within each list, merge element by element matched by that key: an element added on each
  side gives both, an element changed on both sides merges recursively, one deleted on one side and
  changed on the other conflicts. The result keeps ours' order, then theirs' additions.
- Other lists are aligned to the base on each side (difflib over each element's canonical JSON):
  an element each side left alone, changed in place (a replaced run is paired by position),
  or deleted; runs inserted between base elements. Each base element then merges like a key of an
  object, and both sides' insertions are kept (one copy when both inserted the same run).
- Anything else changed differently on both sides is a conflict at its path.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gasvc.model.canon import canonical_json

#: A value that is absent (a key not present, an element deleted).
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

#: Fields that identify an element of a list of label objects.
LABEL_KEYS = ("instance", "trackId")
#: Fields that identify an element of a list in a catalog (categories, attributes).
CATALOG_KEYS = ("name",)


@dataclass(frozen=True)
class FieldConflict:
    """A field both sides changed differently: its path (`BOX2D[instance=a].category`) and the
    three values (MISSING: absent on that side)."""

    path: str
    base: Any
    ours: Any
    theirs: Any


def merge_json(base: Any, ours: Any, theirs: Any, keys: Sequence[str] = LABEL_KEYS
               ) -> tuple[Any, list[FieldConflict]]:
    """The merged value (MISSING when the merge deletes it) and its conflicts."""
    conflicts: list[FieldConflict] = []
    return _merge(base, ours, theirs, tuple(keys), [], conflicts), conflicts


def same(a: Any, b: Any) -> bool:
    """Whether two values (or MISSING) are equal, numbers by value."""
    if a is MISSING or b is MISSING:
        return a is b
    return a is b or _text(a) == _text(b)


def _text(value: Any) -> bytes:
    """Canonical JSON of the value with whole floats as ints, so equal numbers compare equal."""
    return canonical_json(_by_value(value))


def _by_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _by_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_by_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def shown_path(path: Sequence[Any]) -> str:
    """`["BOX2D", 1, "category"]` → `BOX2D[1].category`; a `_Named` element → `[instance=a]`."""
    out = ""
    for part in path:
        if isinstance(part, (int, _Named)):
            out += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f"[{canonical_json(part).decode()}]"
    return out


def _merge(base: Any, ours: Any, theirs: Any, keys: tuple[str, ...], path: list[Any],
           conflicts: list[FieldConflict]) -> Any:
    if same(ours, theirs) or same(theirs, base):
        return ours
    if same(ours, base):
        return theirs
    if isinstance(ours, dict) and isinstance(theirs, dict):
        old = base if isinstance(base, dict) else {}
        return _merge_dicts(old, ours, theirs, keys, path, conflicts)
    if isinstance(ours, list) and isinstance(theirs, list):
        start = base if isinstance(base, list) else []
        key = _list_key(start, ours, theirs, keys)
        if key is not None:
            return _merge_keyed(start, ours, theirs, key, keys, path, conflicts)
        return _merge_aligned(start, ours, theirs, keys, path, conflicts)
    conflicts.append(FieldConflict(shown_path(path), base, ours, theirs))
    return ours


def _merge_dicts(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any],
                 keys: tuple[str, ...], path: list[Any], conflicts: list[FieldConflict]
                 ) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in [*ours, *(k for k in theirs if k not in ours), *(
            k for k in base if k not in ours and k not in theirs)]:
        value = _merge(base.get(name, MISSING), ours.get(name, MISSING),
                       theirs.get(name, MISSING), keys, [*path, name], conflicts)
        if value is not MISSING:
            merged[name] = value
    return merged


def _list_key(base: list[Any], ours: list[Any], theirs: list[Any], keys: tuple[str, ...]
              ) -> str | None:
    """The identifying field every element of the three lists has, unique in each, if any."""
    for key in keys:
        if all(_keyed_by(values, key) for values in (base, ours, theirs)):
            return key
    return None


def _keyed_by(values: list[Any], key: str) -> bool:
    found = [v.get(key) for v in values if isinstance(v, dict)]
    if len(found) != len(values) or any(f is None or isinstance(f, (dict, list)) for f in found):
        return False
    return len({canonical_json(f) for f in found}) == len(found)


def _merge_keyed(base: list[Any], ours: list[Any], theirs: list[Any], key: str,
                 keys: tuple[str, ...], path: list[Any], conflicts: list[FieldConflict]
                 ) -> list[Any]:
    def by_key(values: list[Any]) -> dict[str, Any]:
        return {canonical_json(v[key]).decode(): v for v in values}

    old, mine, other = by_key(base), by_key(ours), by_key(theirs)
    # the order: the key sequences merged like any list, a changed element's key never paired
    order = list(dict.fromkeys(_merge_aligned(list(old), list(mine), list(other), (), [], [],
                                              pair=False)))
    order += sorted((old.keys() | mine.keys() | other.keys()) - set(order))
    merged = []
    for name in order:
        shown = _Named(f"{key}={_unquoted(name)}")
        value = _merge(old.get(name, MISSING), mine.get(name, MISSING),
                       other.get(name, MISSING), keys, [*path, shown], conflicts)
        if value is not MISSING:
            merged.append(value)
    return merged


def _unquoted(text: str) -> str:
    """A key's JSON as shown in a path: a string without its quotes."""
    return text[1:-1] if text.startswith('"') else text


class _Named(str):
    """A list element named by its key in a path: printed as `[instance=a]`."""


def _merge_aligned(base: list[Any], ours: list[Any], theirs: list[Any], keys: tuple[str, ...],
                   path: list[Any], conflicts: list[FieldConflict], pair: bool = True
                   ) -> list[Any]:
    mine, other = _fates(base, ours, pair), _fates(base, theirs, pair)
    merged: list[Any] = []
    for index in range(len(base) + 1):
        merged += _insertions(mine.inserted[index], other.inserted[index])
        if index < len(base):
            value = _merge(base[index], mine.kept[index], other.kept[index], keys,
                           [*path, index], conflicts)
            if value is not MISSING:
                merged.append(value)
    return merged


def _insertions(mine: list[Any], other: list[Any]) -> list[Any]:
    """Both sides' elements inserted at one place: one copy of what both inserted. The run
    first by its JSON comes first, then what the other adds to it, so that which side is ours
    does not matter."""
    if not mine or not other:
        return mine or other
    first, second = sorted([mine, other], key=lambda run: [_text(v) for v in run])
    texts = [_text(v) for v in first]
    extra = []
    for value in second:
        text = _text(value)
        if text in texts:
            texts.remove(text)
        else:
            extra.append(value)
    return first + extra


@dataclass
class _Fates:
    """What one side did with each base element (its value now, or MISSING), and what it
    inserted before each base index (`inserted[len(base)]`: at the end)."""

    kept: list[Any]
    inserted: list[list[Any]]


def _fates(base: list[Any], side: list[Any], pair: bool) -> _Fates:
    fates = _Fates(list(base), [[] for _ in range(len(base) + 1)])
    matcher = difflib.SequenceMatcher(None, [_text(v) for v in base], [_text(v) for v in side],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" and pair else 0
        for k in range(pairs):
            fates.kept[i1 + k] = side[j1 + k]
        for i in range(i1 + pairs, i2):
            fates.kept[i] = MISSING
        fates.inserted[i2] += side[j1 + pairs:j2]
    return fates

