"""Replaying a local commit's changes to fusion segments onto another version (merge.py).

Each sensor's data in a frame is merged as an item is: a commit that changed (added, edited,
relabelled, deleted) it takes its version, unless the other side changed the same data
differently — a conflict, named by the data's file. Sensors are merged one by one the same
way. `prefer` ("ours", "theirs") settles a conflict.
"""

from __future__ import annotations

from typing import Any

from gasvc.model import tree
from gasvc.model.fusion import SENSORS, data_file
from gasvc.model.snapshot import FrameEntry, Segment, frame, stored_frame
from gasvc.workspace.store.layout import shown_path
from gasvc.workspace.store.state import State

#: (what conflicts, as users see it; our value; their value) — a value None is deleted.
FusionConflict = tuple[str, Any, Any]


def _merge(ours: Any, base: Any, theirs: Any, prefer: str | None) -> tuple[Any, bool]:
    """(merged value, conflict?) of a change base → ours applied onto theirs."""
    if ours in (base, theirs):
        return theirs, False
    if theirs == base:
        return ours, False
    if prefer is not None:
        return (ours if prefer == "ours" else theirs), False
    return theirs, True


def frame_changes(state: State, name: str, before: Segment | None, after: Segment | None,
                  target: Segment | None, prefer: str | None
                  ) -> tuple[list[tuple[str, Any]], list[FusionConflict]]:
    """The frame changes (frame id, frame or None) to make on `target`'s segment, and the
    sensors' data that conflict (each named by its file, with both sides' `FrameEntry`)."""
    get = state.get_object
    changes: list[tuple[str, Any]] = []
    conflicts: list[FusionConflict] = []
    target_tree = target.tree if target is not None else tree.EMPTY
    for frame_id, old, new in tree.diff(before.tree if before else tree.EMPTY,
                                        after.tree if after else tree.EMPTY, get):
        now = tree.lookup(target_tree, frame_id, get)
        base, ours, theirs = _by_sensor(old), _by_sensor(new), _by_sensor(now)
        merged: list[FrameEntry] = []
        for sensor in sorted(base.keys() | ours.keys() | theirs.keys()):
            entry, conflict = _merge(ours.get(sensor), base.get(sensor), theirs.get(sensor),
                                     prefer)
            if conflict:
                named = ours.get(sensor) or theirs.get(sensor) or base[sensor]
                conflicts.append((shown_path(name, data_file(sensor, named.path)),
                                  ours.get(sensor), theirs.get(sensor)))
            elif entry is not None:
                merged.append(entry)
        value = stored_frame(merged) if merged else None
        if value != now:
            changes.append((frame_id, value))
    return changes, conflicts


def _by_sensor(value: Any) -> dict[str, FrameEntry]:
    return {entry.sensor: entry for entry in frame(value)}


def merged_sensors(name: str, before: Segment | None, after: Segment | None,
                   target: Segment | None, prefer: str | None
                   ) -> tuple[dict[str, Any], list[FusionConflict]]:
    """`target`'s sensors with the commit's sensor changes, and the sensors that conflict."""
    old = before.sensors if before else {}
    new = after.sensors if after else {}
    now = dict(target.sensors) if target else {}
    conflicts: list[FusionConflict] = []
    for sensor in sorted(old.keys() | new.keys()):
        merged, conflict = _merge(new.get(sensor), old.get(sensor), now.get(sensor), prefer)
        if conflict:
            conflicts.append((f"{shown_path(name, SENSORS)} sensor {sensor}", new.get(sensor),
                              now.get(sensor)))
        elif merged is None:
            now.pop(sensor, None)
        else:
            now[sensor] = merged
    return now, conflicts
