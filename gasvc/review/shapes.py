"""Which label instances of an item were removed, added, changed or kept, for drawing.

Per label type, instances equal on both sides are `unchanged` (each matched once); those left
are paired in order as `changed` (the first left before with the first left after, …); the
rest are `removed` (before) or `added` (after). A single-valued type (CLASSIFICATION, a mask)
is one instance.
"""

from __future__ import annotations

from typing import Any

from gasvc.model.canon import canonical_json

Drawn = dict[str, Any]


def sides(old: dict[str, Any] | None, new: dict[str, Any] | None
          ) -> tuple[list[Drawn], list[Drawn]]:
    """(before, after): each instance as {labelType, index, status, instance}."""
    before: list[Drawn] = []
    after: list[Drawn] = []
    old, new = old or {}, new or {}
    for label_type in sorted(old.keys() | new.keys()):
        a, b = _listed(old.get(label_type)), _listed(new.get(label_type))
        old_status, new_status = _statuses(a, b)
        before += _all_drawn(label_type, old_status, a)
        after += _all_drawn(label_type, new_status, b)
    return before, after


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statuses(old: list[Any], new: list[Any]) -> tuple[list[str], list[str]]:
    old_status, new_status = ["removed"] * len(old), ["added"] * len(new)
    waiting: dict[bytes, list[int]] = {}
    for index, instance in enumerate(new):
        waiting.setdefault(canonical_json(instance), []).append(index)
    for index, instance in enumerate(old):
        same = waiting.get(canonical_json(instance))
        if same:
            old_status[index] = new_status[same.pop(0)] = "unchanged"
    left_old = [i for i, s in enumerate(old_status) if s == "removed"]
    left_new = [i for i, s in enumerate(new_status) if s == "added"]
    for i, j in zip(left_old, left_new, strict=False):
        old_status[i] = new_status[j] = "changed"
    return old_status, new_status


def _all_drawn(label_type: str, statuses: list[str], found: list[Any]) -> list[Drawn]:
    return [_drawn(label_type, index, status, instance)
            for index, (status, instance) in enumerate(zip(statuses, found, strict=True))]


def _drawn(label_type: str, index: int, status: str, instance: Any) -> Drawn:
    return {"labelType": label_type, "index": index, "status": status, "instance": instance}
