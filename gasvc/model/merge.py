"""Three-way merge of two versions against their merge base, item by item (docs/merge.md).

Pure: the trees and label objects are read through `get` and new ones written through `put`
(model/tree.py), so the workspace (`gas merge`, revert, cherry-pick, pull) and the server
(squash-and-merge) share it. Only what changed on a side is read: merging costs O(changes), not
O(items).

- A segment changed on one side only is taken whole from that side (added, deleted, changed).
  Deleted on one side and changed on the other: a `segment` conflict. Changed on both sides: its
  description and sensors merge like JSON, and its items one by one.
- An item: its file by checksum and size (one side changed it → that side; both alike → that;
  both differently → a `file` conflict), its label inside the label (model/jsonmerge.py, objects
  in lists matched by `instance` or `trackId`, field conflicts as `label` conflicts). Deleted on
  one side and changed on the other: an `item` conflict. A frame of a fusion segment merges
  sensor by sensor, each sensor's data as an item (conflicts named by the data's file in the
  segment, `<sensor folder>/<remotePath>`); data whose remote path changed on both sides
  differently is a `frame` conflict.
- The catalog merges like JSON with categories and attributes matched by name (`catalog`
  conflicts); the notes likewise (`notes` conflicts).

The merged state holds ours at every conflict (theirs with `prefer="theirs"`); the conflicts are
listed all the same, so the caller decides whether they stop the merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gasvc.model import tree
from gasvc.model.jsonmerge import CATALOG_KEYS, LABEL_KEYS, MISSING, merge_json, same
from gasvc.model.sensorfolders import data_file
from gasvc.model.snapshot import (
    FrameEntry,
    Item,
    Segment,
    VersionState,
    frame,
    stored_frame,
)
from gasvc.model.tree import Getter, Putter

OURS, THEIRS = "ours", "theirs"


@dataclass(frozen=True)
class Conflict:
    """One thing both sides changed differently.

    `part`: "file", "item", "label", "frame", "segment", "catalog" or "notes"; `segment` and
    `path` say where ("" for the catalog and notes, `path` "" for a whole segment); `field` the
    place inside a label, catalog or notes (`BOX2D[instance=a].category`); the three values are
    as the parts are (an `Item`, a label field's JSON, …; None or MISSING when absent)."""

    part: str
    segment: str
    path: str
    field: str
    base: Any
    ours: Any
    theirs: Any


@dataclass
class VersionMerge:
    state: VersionState
    conflicts: list[Conflict] = field(default_factory=list)


def merge_states(base: VersionState, ours: VersionState, theirs: VersionState, get: Getter,
                 put: Putter, prefer: str | None = None) -> VersionMerge:
    """`ours` and `theirs` merged against `base`; conflicts settled by `prefer` (default
    ours) in the state and listed in `conflicts`."""
    result = VersionMerge(ours.copy())
    for name in sorted(base.segments.keys() | ours.segments.keys() | theirs.segments.keys()):
        _merge_segment(name, base.segments.get(name), ours.segments.get(name),
                       theirs.segments.get(name), result, get, put, prefer)
    result.state.catalog = _merge_catalog(base.catalog, ours.catalog, theirs.catalog, result,
                                          get, put, prefer)
    result.state.notes = _merge_json_part("notes", "", base.notes, ours.notes, theirs.notes,
                                          (), result, prefer)
    return result


def _stored(segment: Segment | None) -> Any:
    return None if segment is None else segment.stored()


def _merge_segment(name: str, base: Segment | None, ours: Segment | None, theirs: Segment | None,
                   result: VersionMerge, get: Getter, put: Putter, prefer: str | None) -> None:
    b, o, t = _stored(base), _stored(ours), _stored(theirs)
    if same(o, t) or same(t, b):
        return
    if same(o, b) or (ours is None or theirs is None):
        if not same(o, b):
            result.conflicts.append(Conflict("segment", name, "", "", b, o, t))
        if same(o, b) or prefer == THEIRS:
            _take_segment(result.state, name, theirs)
        return
    merged = result.state.segments[name]
    merged.description = _merge_json_part("segment", name, base.description if base else "",
                                          ours.description, theirs.description, (), result,
                                          prefer)
    merged.sensors = _merge_json_part("segment", name, base.sensors if base else {},
                                      ours.sensors, theirs.sensors, (), result, prefer)
    fusion = bool(ours.sensors or theirs.sensors or (base and base.sensors))
    changes = list(_item_changes(name, base.tree if base else tree.EMPTY, ours.tree,
                                 theirs.tree, fusion, result, get, put, prefer))
    merged.tree = tree.apply(merged.tree, changes, get, put)


def _take_segment(state: VersionState, name: str, segment: Segment | None) -> None:
    if segment is None:
        state.segments.pop(name, None)
    else:
        state.segments[name] = Segment(segment.description, segment.tree, dict(segment.sensors))


def _item_changes(name: str, base: tree.TreeRef, ours: tree.TreeRef, theirs: tree.TreeRef,
                  fusion: bool, result: VersionMerge, get: Getter, put: Putter,
                  prefer: str | None) -> Iterator[tuple[str, Any]]:
    """(path, new stored value or None) of every item where the merge differs from ours."""
    mine = {path: after for path, _, after in tree.diff(base, ours, get)}
    for path, before, other in tree.diff(base, theirs, get):
        if path not in mine:
            yield path, other
            continue
        own = mine[path]
        if fusion:
            merged = _merge_frame(name, path, before, own, other, result, get, put, prefer)
        else:
            merged = _merge_stored_item(name, path, before, own, other, result, get, put,
                                        prefer)
        if merged != own:
            yield path, merged


def _merge_whole(part: str, segment: str, path: str, base: Any, ours: Any, theirs: Any,
                 result: VersionMerge, prefer: str | None) -> Any:
    if same(ours, theirs) or same(theirs, base):
        return ours
    if same(ours, base):
        return theirs
    result.conflicts.append(Conflict(part, segment, path, "", base, ours, theirs))
    return theirs if prefer == THEIRS else ours


def _merge_frame(segment: str, frame_id: str, base: Any, ours: Any, theirs: Any,
                 result: VersionMerge, get: Getter, put: Putter, prefer: str | None) -> Any:
    """A frame (stored, or None) merged sensor by sensor; None when no sensor's data is left."""
    sides = [{e.sensor: e for e in frame(value)} for value in (base, ours, theirs)]
    merged: list[FrameEntry] = []
    for sensor in sorted(sides[0].keys() | sides[1].keys() | sides[2].keys()):
        old, own, other = (side.get(sensor) for side in sides)
        paths = {e.path for e in (old, own, other) if e is not None}
        if len(paths) > 1:  # a sensor's data renamed: merged whole
            entry = _merge_whole("frame", segment, frame_id, old, own, other, result, prefer)
        else:
            path = paths.pop()
            old_item, own_item, other_item = (None if e is None else e.item
                                              for e in (old, own, other))
            item = merge_item(segment, data_file(sensor, path), old_item, own_item, other_item,
                              result, get, put, prefer)
            entry = None if item is None else FrameEntry(sensor, path, *item)
        if entry is not None:
            merged.append(entry)
    return stored_frame(merged) if merged else None


def _merge_stored_item(segment: str, path: str, base: Any, ours: Any, theirs: Any,
                       result: VersionMerge, get: Getter, put: Putter, prefer: str | None
                       ) -> Any:
    item = merge_item(segment, path, _item(base), _item(ours), _item(theirs), result, get,
                      put, prefer)
    return None if item is None else item.stored()


def _item(value: Any) -> Item | None:
    return None if value is None else Item.from_stored(value)


def merge_item(segment: str, path: str, base: Item | None, ours: Item | None,
               theirs: Item | None, result: VersionMerge, get: Getter, put: Putter,
               prefer: str | None = None) -> Item | None:
    """One item merged (None: deleted); its conflicts are added to `result`."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    if ours is None or theirs is None:
        result.conflicts.append(Conflict("item", segment, path, "", base, ours, theirs))
        return theirs if prefer == THEIRS else ours
    files = [None if x is None else x.file for x in (base, ours, theirs)]
    source = ours
    if files[1] != files[2]:
        if files[1] == files[0]:
            source = theirs
        elif files[2] != files[0]:
            result.conflicts.append(Conflict("file", segment, path, "", base, ours, theirs))
            source = theirs if prefer == THEIRS else ours
    label = merge_label(segment, path, base.label if base else None, ours.label, theirs.label,
                        result, get, put, prefer)
    return Item(source.checksum, source.size, source.timestamp, label)


def merge_label(segment: str, path: str, base: str | None, ours: str | None,
                theirs: str | None, result: VersionMerge, get: Getter, put: Putter,
                prefer: str | None = None) -> str | None:
    """The id of the merged label object (None: no label)."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    values = [get(x) if x else {} for x in (base, ours, theirs)]
    merged = _merge_json_part("label", segment, values[0], values[1], values[2], LABEL_KEYS,
                              result, prefer, path)
    return _stored_id(merged, [(ours, values[1]), (theirs, values[2])], put)


def _stored_id(value: Any, known: list[tuple[str | None, Any]], put: Putter) -> str | None:
    """The id of a merged object: None when empty, a side's id when it equals that side."""
    if not value:
        return None
    for ident, side in known:
        if ident and same(value, side):
            return ident
    return put(value)


def _merge_catalog(base: str | None, ours: str | None, theirs: str | None,
                   result: VersionMerge, get: Getter, put: Putter, prefer: str | None
                   ) -> str | None:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    values = [get(x) if x else {} for x in (base, ours, theirs)]
    merged = _merge_json_part("catalog", "", values[0], values[1], values[2], CATALOG_KEYS,
                              result, prefer)
    return _stored_id(merged, [(ours, values[1]), (theirs, values[2])], put)


def _merge_json_part(part: str, segment: str, base: Any, ours: Any, theirs: Any,
                     keys: tuple[str, ...], result: VersionMerge, prefer: str | None,
                     path: str = "") -> Any:
    """A JSON part merged; its field conflicts added to `result` as `part` conflicts."""
    merged, conflicts = merge_json(base, ours, theirs, keys)
    for found in conflicts:
        result.conflicts.append(Conflict(part, segment, path, found.path, found.base,
                                         found.ours, found.theirs))
    if conflicts and prefer == THEIRS:
        merged, _ = merge_json(base, theirs, ours, keys)
    return {} if merged is MISSING and isinstance(ours, dict) else merged
