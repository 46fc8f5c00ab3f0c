"""The sides of a local diff: HEAD, the index, the working tree, a commit.

A side is HEAD plus *overrides*: the items whose value differs from HEAD's. The index's are its
staged changes, the working tree's add its unstaged ones, a commit's come from `tree.diff` against
HEAD's state. Diffing two sides visits only their overrides' keys, so a diff costs the changes,
not the dataset. HEAD's own values come from the index (`head_*`), one row per key visited.
Two commits are diffed directly with `tree.diff`, without HEAD in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gasvc.model.canon import content_id
from gasvc.model.labelstats import LabelCounts
from gasvc.model.masks import masks_of, with_mask_file
from gasvc.model.metadata import LabelLine
from gasvc.model.snapshot import Item, VersionState
from gasvc.workspace.diff.diff_result import (
    DiffResult,
    ItemDiff,
    Value,
    catalog_diff,
    covers_catalog,
    covers_change,
    covers_item,
    covers_segment,
    item_diff,
    segment_changes,
)
from gasvc.workspace.diff.labelcounts import corrected, label_stats, tree_counts
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.refs import head_commit
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.versions.commit import commit_state
from gasvc.workspace.versions.fusion import diff_segment
from gasvc.workspace.worktree.compare import (
    ItemState,
    all_segments,
    compare_files,
    label_id,
    read_catalog,
    read_labels,
)
from gasvc.workspace.worktree.maskfiles import LineMasks, MaskCheck, check_masks, line_masks
from gasvc.workspace.worktree.pathspec import PathSpec
from gasvc.workspace.worktree.scan import hash_file, segment_names

Key = tuple[str, str]


@dataclass
class Side:
    name: str  # "HEAD", "index", "working tree" or a commit id
    overrides: dict[Key, Value]
    segments: set[str]
    catalog: str  # object id, "" for none
    objects: dict[str, Any] = field(default_factory=dict)  # labels not in the state db
    heads: dict[Key, Value] = field(default_factory=dict)  # HEAD values already read


def head_side(state: State) -> Side:
    segments = {name for name, (in_head, _) in state.segments().items() if in_head}
    return Side("HEAD", {}, segments, state.get("head_catalog", "") or "")


def index_side(state: State) -> Side:
    overrides: dict[Key, Value] = {}
    heads: dict[Key, Value] = {}
    for e in state.staged_changes():
        key = (e.segment, e.path)
        overrides[key] = (e.sum, e.size or 0, e.label) if e.sum is not None else None
        heads[key] = (e.head_sum, e.head_size or 0, e.head_label) if e.head_sum else None
    segments = {name for name, (_, staged) in state.segments().items() if staged}
    return Side("index", overrides, segments, state.get("staged_catalog", "") or "",
                heads=heads)


def commit_side(state: State, commit_id: str, name: str) -> Side:
    """A locally available commit, as its differences from HEAD."""
    head = commit_state(state, head_commit(state))
    mine = commit_state(state, commit_id)
    overrides: dict[Key, Value] = {}
    for segment in head.segment_names(mine):
        for path, _, after in _tree_changes(state, head, mine, segment):
            overrides[(segment, path)] = _value(after)
    return Side(name, overrides, set(mine.segments), mine.catalog or "")


def worktree_side(layout: Layout, state: State) -> Side:
    """The index with the working tree's unstaged changes on top (untracked files ignored)."""
    side = index_side(state)
    side.name = "working tree"
    refresh: list[tuple[str, str, int, int]] = []
    lines: dict[str, LineMasks | None] = {}
    for segment in all_segments(layout, state):
        labels = read_labels(layout, state, segment).labels
        for item in compare_files(layout, state, segment, refresh):
            _override(layout, side, item, labels)
        lines[segment] = None if labels is None else line_masks(
            {path: masks_of(line.label) for path, line in labels.items()})
    _mask_overrides(state, side, check_masks(layout, state, lines))
    on_disk = set(segment_names(layout.root))
    side.segments = {name for name in side.segments if name in on_disk}
    if side.catalog:
        catalog = read_catalog(layout)
        side.catalog = content_id(catalog) if catalog is not None else ""
        side.objects[side.catalog] = catalog
    _save_refresh(state, refresh)
    return side


def _override(layout: Layout, side: Side, item: ItemState,
              labels: dict[str, LabelLine] | None) -> None:
    entry = item.entry
    if entry is None or entry.sum is None or item.kind in ("untracked", "gone"):
        return
    label = entry.label
    if labels is not None:
        line = labels.get(item.path)
        label = label_id(line.label) if line is not None else None
        if line is not None and label is not None:
            side.objects[label] = line.label
    value: Value = None
    if item.kind == "modified":
        assert item.file is not None
        checksum = item.checksum or hash_file(layout.file(item.segment, item.path))[0]
        value = (checksum, item.file.size, label)
    elif item.kind == "clean":
        value = (entry.sum, entry.size or 0, label)
    if value != (entry.sum, entry.size or 0, entry.label):
        side.overrides[(item.segment, item.path)] = value


def _mask_overrides(state: State, side: Side, check: MaskCheck) -> None:
    """Items whose masks' images changed carry them in their working label (as `gas add`
    would stage it: maskstage.py); a missing image changes nothing here (status shows it)."""
    for mask in check.changed:
        key = (mask.segment, mask.item)
        if key in side.overrides:
            value = side.overrides[key]
        else:  # as staged
            entry = state.entry(*key)
            value = (entry.sum, entry.size or 0, entry.label) if entry and entry.sum else None
        if value is None or value[2] is None or mask.current is None:
            continue
        old = side.objects.get(value[2]) or state.get_object(value[2])
        label = with_mask_file(old, mask.kind, *mask.current)
        label_id = content_id(label)
        side.objects[label_id] = label
        side.overrides[key] = (value[0], value[1], label_id)


def _save_refresh(state: State, refresh: list[tuple[str, str, int, int]]) -> None:
    if refresh:
        with state.transaction():
            for segment, path, mtime_ns, ino in refresh:
                state.refresh_stat(segment, path, mtime_ns, ino)


def head_value(state: State, key: Key) -> Value:
    entry = state.entry(*key)
    if entry is None or entry.head_sum is None:
        return None
    return entry.head_sum, entry.head_size or 0, entry.head_label


def diff_sides(state: State, old: Side, new: Side, specs: tuple[PathSpec, ...],
               details: bool, labels: bool = False) -> DiffResult:
    def objects(object_id: str) -> Any:
        for side in (new, old):
            if object_id in side.objects:
                return side.objects[object_id]
        return state.get_object(object_id)

    def value(side: Side, key: Key) -> Value:
        if key in side.overrides:
            return side.overrides[key]
        if key in old.heads or key in new.heads:
            return old.heads[key] if key in old.heads else new.heads[key]
        return head_value(state, key)

    lookup = objects if details else None
    keep = objects if labels else None
    result = DiffResult(old.name, new.name)
    for key in sorted(old.overrides.keys() | new.overrides.keys()):
        if not covers_item(specs, *key):
            continue
        a, b = value(old, key), value(new, key)
        if a != b:
            _append(result, specs, item_diff(key[0], key[1], a, b, lookup, keep))
    result.segments = segment_changes(old.segments, new.segments, specs)
    if covers_catalog(specs):
        result.catalog = catalog_diff(old.catalog, new.catalog, lookup)
    if labels:
        head = commit_state(state, head_commit(state))

        def before(segment: str) -> LabelCounts:
            changes = [(key, value(old, key)) for key in old.overrides if key[0] == segment
                       and covers_item(specs, *key)]
            heads = {key: value(_HEAD, key) for key, _ in changes}
            return corrected(tree_counts(state, head, segment, specs),
                             ((_label(heads[k]), _label(v), heads[k] is not None, v is not None)
                              for k, v in changes), objects)

        result.label_stats = label_stats(result, before)
        result.catalogs = (_catalog(old.catalog, objects), _catalog(new.catalog, objects))
    return result


#: HEAD as a side: no overrides (its values come from the index's HEAD columns).
_HEAD = Side("HEAD", {}, set(), "")


def _catalog(object_id: str | None, objects: Callable[[str], Any]) -> dict[str, Any]:
    return dict(objects(object_id) or {}) if object_id else {}


def _label(value: Value) -> str | None:
    return value[2] if value else None


def diff_states(state: State, old: VersionState, new: VersionState, names: tuple[str, str],
                specs: tuple[PathSpec, ...], details: bool, labels: bool = False
                ) -> DiffResult:
    """Two version states, compared leaf by leaf where their trees differ."""
    lookup = state.get_object if details else None
    keep = state.get_object if labels else None
    result = DiffResult(*names)
    for segment in old.segment_names(new):
        if not covers_segment(specs, segment):
            continue
        for path, before, after in _tree_changes(state, old, new, segment):
            a, b = _value(before), _value(after)
            if a != b and covers_item(specs, segment, path):
                _append(result, specs, item_diff(segment, path, a, b, lookup, keep))
    result.segments = segment_changes(old.segments, new.segments, specs)
    if covers_catalog(specs):
        result.catalog = catalog_diff(old.catalog or "", new.catalog or "", lookup)
    if labels:
        result.label_stats = label_stats(
            result, lambda segment: tree_counts(state, old, segment, specs))
        result.catalogs = (_catalog(old.catalog, state.get_object),
                           _catalog(new.catalog, state.get_object))
    return result


def _append(result: DiffResult, specs: tuple[PathSpec, ...], item: ItemDiff) -> None:
    if covers_change(specs, item):
        result.items.append(item)


def _tree_changes(state: State, old: VersionState, new: VersionState, segment: str
                  ) -> Iterator[tuple[str, Item | None, Item | None]]:
    a, b = old.tree(segment), new.tree(segment)
    if a.manifest == b.manifest and old.segments.get(segment) == new.segments.get(segment):
        return iter(())
    return diff_segment(state, old, new, segment, is_fusion(state))


def _value(item: Item | None) -> Value:
    """An item as the diff compares it: (checksum, size, label id)."""
    if item is None:
        return None
    return str(item.checksum), int(item.size), item.label

