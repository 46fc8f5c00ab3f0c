"""Field-by-field differences between two JSON values (labels, catalogs), for `gas diff`.

`field_changes(old, new)` lists what changed as `FieldChange`s with paths like `BOX2D[1].category`:
`~` a value changed, `+` a key or list element appeared, `-` one disappeared.

Lists are aligned first (their common head and tail, then difflib over each element's canonical
JSON between), so deleting the first of three boxes reads `- BOX2D[0]`, not as every later box
shifting into its neighbour's place, and one element changed reads as that element changed.
Elements replaced in place are paired by position and compared inside. DeepDiff then compares the
aligned values: dictionaries, numbers, strings. Numbers compare by value: `0 → 0.0` is no change
of a label value (though the stored JSON keeps `0` and `0.0` apart), while `true` and `1` differ.
Two objects with no key in common (DeepDiff's one change of the whole) are listed key by key, so a
label whose every type changed reads `- CLASSIFICATION`, `+ BOX2D: […]`, never `: {…} → {…}`.
Removed elements are named by their old index, everything else by its new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from gasvc.model.canon import canonical_json


@dataclass(frozen=True)
class FieldChange:
    op: str  # "~" changed, "+" added, "-" removed
    path: str  # "BOX2D[1].category"; "" for the whole value
    old: Any = None
    new: Any = None


class Slot(NamedTuple):
    """Where an aligned list element sits: its index in the old and in the new list (-1: none)."""

    old: int
    new: int


class Aligned(dict[Slot, Any]):
    """A list turned into a dict keyed by `Slot`, so that DeepDiff compares paired elements."""


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """What differs between `old` and `new`, in path order; None counts as `{}`."""
    from deepdiff import DeepDiff

    old, new = {} if old is None else old, {} if new is None else new
    if isinstance(old, dict) and isinstance(new, dict) and not (old and new):
        return _whole_keys(old, new)  # DeepDiff reports {} → {…} as one root change
    before, after = _align(old, new)
    found = DeepDiff(before, after, view="tree", verbose_level=2)
    changes = []
    for report, levels in found.items():
        op = {"dictionary_item_added": "+", "dictionary_item_removed": "-"}.get(report, "~")
        for level in levels:
            keys = level.path(output_format="list")
            changes += _key_by_key(op, keys, level.t1, level.t2)
    return sorted(changes, key=lambda c: _sort_key(c.path))


def _whole_keys(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    added = [FieldChange("+", format_path([k]), new=v) for k, v in sorted(new.items())]
    return added + [FieldChange("-", format_path([k]), old=v) for k, v in sorted(old.items())]


def _key_by_key(op: str, keys: list[Any], t1: Any, t2: Any) -> list[FieldChange]:
    """The change, or for one object replacing another, what changed in each key."""
    if op != "~" or not (isinstance(t1, dict) and isinstance(t2, dict)):
        return [_change(op, keys, t1, t2)]
    found = []
    for name in sorted(t1.keys() | t2.keys(), key=str):
        if name not in t2:
            found.append(_change("-", [*keys, name], t1[name], None))
        elif name not in t1:
            found.append(_change("+", [*keys, name], None, t2[name]))
        elif not same_by_value(_plain(t1[name]), _plain(t2[name])):
            found += _key_by_key("~", [*keys, name], t1[name], t2[name])
    return found


def _change(op: str, keys: list[Any], t1: Any, t2: Any) -> FieldChange:
    path = format_path(keys, removed=op == "-")
    if op == "+":
        return FieldChange("+", path, new=_plain(t2))
    if op == "-":
        return FieldChange("-", path, old=_plain(t1))
    return FieldChange("~", path, _plain(t1), _plain(t2))


def _align(old: Any, new: Any) -> tuple[Any, Any]:
    """Both values with each pair of lists at the same place turned into `Aligned` dicts."""
    if isinstance(old, dict) and isinstance(new, dict):
        before, after = dict(old), dict(new)
        for key in old.keys() & new.keys():
            before[key], after[key] = _align(old[key], new[key])
        return before, after
    if isinstance(old, list) and isinstance(new, list):
        return _align_lists(old, new)
    if _is_number(old) and _is_number(new) and old == new:
        return old, old  # 0 and 0.0: the same value
    return old, new


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_by_value(old: Any, new: Any) -> bool:
    """Whether two JSON values are equal, numbers by value (0 and 0.0 are; true and 1 not)."""
    return canonical_json(_by_value(old)) == canonical_json(_by_value(new))


def _by_value(value: Any) -> Any:
    """The value with whole floats as ints (exactly), so that equal numbers compare equal."""
    if isinstance(value, dict):
        return {k: _by_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_by_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _align_lists(old: list[Any], new: list[Any]) -> tuple[Aligned, Aligned]:
    before, after = Aligned(), Aligned()
    for tag, i1, i2, j1, j2 in _opcodes([canonical_json(_by_value(v)) for v in old],
                                        [canonical_json(_by_value(v)) for v in new]):
        pairs = min(i2 - i1, j2 - j1) if tag in ("equal", "replace") else 0
        for k in range(pairs):
            slot = Slot(i1 + k, j1 + k)
            before[slot], after[slot] = _align(old[i1 + k], new[j1 + k])
        for i in range(i1 + pairs, i2):
            before[Slot(i, -1)] = old[i]
        for j in range(j1 + pairs, j2):
            after[Slot(-1, j)] = new[j]
    return before, after


def _opcodes(a: list[bytes], b: list[bytes]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes from `a` to `b`, the common head and tail kept equal first: so one
    element changed is one replacement, even where an equal element could be matched instead."""
    import difflib  # here: most label diffs compare no lists

    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail],
                                      autojunk=False)
    middle = [(tag, i1 + head, i2 + head, j1 + head, j2 + head)
              for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    return [("equal", 0, head, 0, head), *middle,
            ("equal", len(a) - tail, len(a), len(b) - tail, len(b))]


def _plain(value: Any) -> Any:
    """An aligned value back in its JSON form."""
    if isinstance(value, Aligned):
        return [_plain(v) for _, v in sorted(value.items(), key=lambda kv: kv[0].new
                                             if kv[0].new >= 0 else kv[0].old)]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def format_path(keys: list[Any], removed: bool = False) -> str:
    """`["BOX2D", Slot(1, 1), "category"]` → `BOX2D[1].category`."""
    out = ""
    for key in keys:
        if isinstance(key, Slot):
            out += f"[{key.old if removed or key.new < 0 else key.new}]"
        elif isinstance(key, int):
            out += f"[{key}]"
        elif key and all(c.isalnum() or c in "_-" for c in str(key)):
            out += f".{key}" if out else str(key)
        else:
            out += f"[{json.dumps(str(key), ensure_ascii=False)}]"
    return out


def _sort_key(path: str) -> list[tuple[int, int, str]]:
    """Orders `A[2]` before `A[10]`, and a key before the keys inside it."""
    parts: list[tuple[int, int, str]] = []
    for piece in path.replace("[", ".[").split("."):
        if piece.startswith("[") and piece[1:-1].isdigit():
            parts.append((0, int(piece[1:-1]), ""))
        elif piece:
            parts.append((1, 0, piece))
    return parts
