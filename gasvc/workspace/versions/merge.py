"""Replaying local commits on top of another version, item by item (`gas pull` when diverged).

Each local commit's changes (`tree.diff` against its parent) are applied to the new base one
item at a time, per component: a commit that changed an item's file takes that file, a commit
that changed its label takes that label, and what it did not touch stays as the other side made
it. A conflict is the same component of the same item changed on both sides to different values
(a deletion changes both components); so are a segment deleted on one side and changed on the
other, and the catalog changed on both sides. Nothing is written until every commit replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from gasvc.errors import ClientError
from gasvc.model import tree
from gasvc.model.canon import canonical_json, content_id
from gasvc.model.snapshot import FrameEntry, Item, ItemChange, VersionState, as_item, diff_items
from gasvc.workspace.store.layout import CATALOG, shown_path
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.versions.commit import apply_changes, commit_state
from gasvc.workspace.versions.fusion_merge import frame_changes, merged_sensors
from gasvc.workspace.worktree.fusion_files import is_fusion


@dataclass(frozen=True)
class Side:
    """One side's version of an item: None fields mean absent (deleted)."""

    checksum: str | None
    size: int | None
    label: dict[str, Any] | None


@dataclass(frozen=True)
class Conflict:
    path: str  # "segment/remotePath", "segment/" or "catalog.json"
    ours: Side | None
    theirs: Side | None


class MergeConflict(ClientError):
    """A merge or pull whose sides changed the same items."""

    def __init__(self, commit: CommitRecord, conflicts: list[Conflict]) -> None:
        shown = "".join(f"\n  {c.path}\n    ours:   {describe(c.ours)}\n"
                        f"    theirs: {describe(c.theirs)}" for c in conflicts[:50])
        more = f"\n  … and {len(conflicts) - 50} more" if len(conflicts) > 50 else ""
        super().__init__(f"local commit {commit.id[:7]} ({commit.title}) conflicts with the "
                         f"server's changes in {len(conflicts)} places:{shown}{more}",
                         "nothing was changed; `gas pull --ours` keeps your side of these, "
                         "`gas pull --theirs` the server's")
        self.commit, self.conflicts = commit, conflicts


def describe(side: Side | None) -> str:
    if side is None:
        return "deleted"
    if side.checksum is None:
        return "changed"
    if side.size is None:  # a catalog
        return f"catalog {side.checksum[:10]}"
    label = canonical_json(side.label).decode() if side.label else "no label"
    label = label if len(label) <= 100 else label[:99] + "…"
    return f"file {side.checksum} ({side.size} bytes), label {label}"


def _file(value: Item | None) -> tuple[str, int] | None:
    return (value.checksum, value.size) if value else None


def _label(value: Item | None) -> str | None:
    return value.label if value else None


def merge_item(target: Item | None, before: Item | None, after: Item | None,
               prefer: str | None = None) -> tuple[Item | None, bool]:
    """(merged value, conflict?) of a change `before → after` applied onto `target`.

    `prefer` "ours" or "theirs" settles a conflict by taking that side's whole item.
    """
    conflict = False
    for part in (_file, _label):
        ours, base, theirs = part(after), part(before), part(target)
        if ours != base and theirs != base and ours != theirs:
            conflict = True
    if conflict and prefer is not None:
        return (after if prefer == "ours" else target), False
    if after is None or conflict:
        return None, conflict
    if before is None or target is None:
        return after, False
    file = after.file if _file(after) != _file(before) else target.file
    label = after.label if _label(after) != _label(before) else target.label
    return Item(*file, label), False


def replay(state: State, onto: CommitRecord, commits: list[CommitRecord],
           prefer: str | None = None) -> list[CommitRecord]:
    """New commits: `commits` (oldest first) replayed onto `onto` (its state must be local);
    commits left with no change are dropped.

    Raises `MergeConflict` for the first commit that conflicts; nothing is recorded then.
    """
    current = commit_state(state, onto.id)
    parent, made, last = onto.id, [], state.put_object(current.stored())
    for commit in commits:
        current = _replay_one(state, commit, current, prefer)
        root = state.put_object(current.stored())
        if root == last:  # nothing of it is left: dropped, like git's empty commits
            continue
        last = root
        record = CommitRecord(
            content_id({"parent": parent, "state": root, "title": commit.title,
                        "description": commit.description, "author": commit.author,
                        "date": commit.date}),
            parent, commit.title, commit.description, commit.author, commit.date, root, None)
        made.append(record)
        parent = record.id
    with state.transaction():
        for record in made:
            state.add_commit(record)
    return made


def _replay_one(state: State, commit: CommitRecord, target: VersionState,
                prefer: str | None) -> VersionState:
    before, after = commit_state(state, commit.parent), commit_state(state, commit.id)
    conflicts: list[Conflict] = []
    segments = _segment_changes(state, before, after, target, conflicts)
    if prefer == "theirs":
        segments = {name: present for name, present in segments.items()
                    if present or name not in target.segments
                    or target.tree(name) == before.tree(name)}
    changes: list[ItemChange] = []
    sensors: dict[str, dict[str, Any]] = {}  # fusion segments' merged sensors
    for name in before.segment_names(after):
        if name not in after.segments or (name not in target.segments
                                          and name in before.segments):
            continue
        if is_fusion(state):
            sensors[name] = _replay_fusion(state, name, (before, after, target), prefer,
                                           changes, conflicts)
            continue
        base_tree = target.tree(name)
        for path, old, new in diff_items(before.tree(name), after.tree(name), state.get_object):
            now = as_item(tree.lookup(base_tree, path, state.get_object))
            merged, conflict = merge_item(now, old, new, prefer)
            if conflict:
                conflicts.append(Conflict(shown_path(name, path), _side(state, new),
                                          _side(state, now)))
            elif merged != now:
                changes.append((name, path, merged))
    catalog = _catalog(before, after, target, conflicts, prefer)
    if prefer is not None:
        # ours cannot bring back a segment the server deleted with only our items in it
        conflicts = [c for c in conflicts
                     if prefer == "ours" and c.path.endswith("/") and c.theirs is None]
    if conflicts:
        raise MergeConflict(commit, conflicts)
    result = apply_changes(state, target, segments, changes, catalog)
    for name, found in sensors.items():
        if name in result.segments:
            result.segments[name].sensors = found
    return result


def _replay_fusion(state: State, name: str, sides: tuple[VersionState, ...],
                   prefer: str | None, changes: list[ItemChange], conflicts: list[Conflict]
                   ) -> dict[str, Any]:
    """A fusion segment's frame changes (into `changes`) and conflicts; its merged sensors."""
    before, after, target = (side.segments.get(name) for side in sides)
    frames, clashes = frame_changes(state, name, before, after, target, prefer)
    # a frame is the tree value of a fusion segment, as an Item is a normal segment's
    changes += [(name, frame_id, cast(Item, value)) for frame_id, value in frames]
    found, more = merged_sensors(name, before, after, target, prefer)
    conflicts += [Conflict(path, _fusion_side(state, ours), _fusion_side(state, theirs))
                  for path, ours, theirs in clashes + more]
    return found


def _fusion_side(state: State, value: Any) -> Side | None:
    """A side of a fusion conflict: a sensor's data (its file and label), or a sensor."""
    if isinstance(value, FrameEntry):
        return _side(state, value.item)
    return None if value is None else Side(None, None, None)


def _segment_changes(state: State, before: VersionState, after: VersionState,
                     target: VersionState, conflicts: list[Conflict]) -> dict[str, bool]:
    """Segments the commit adds or deletes; deleting one the other side changed, or changing
    one the other side deleted, conflicts."""
    old, new, theirs = before.segments, after.segments, target.segments
    present: dict[str, bool] = {}
    for name in before.segment_names(after):
        if name not in new:
            if name in theirs and theirs[name].tree != old[name].tree:
                conflicts.append(Conflict(f"{name}/", None, Side(None, None, None)))
            present[name] = False
        elif name not in old:
            present[name] = True
        elif name not in theirs and new[name].tree != old[name].tree:
            conflicts.append(Conflict(f"{name}/", Side(None, None, None), None))
    return present


def _catalog(before: VersionState, after: VersionState, target: VersionState,
             conflicts: list[Conflict], prefer: str | None) -> str | None:
    ours, base, theirs = after.catalog, before.catalog, target.catalog
    if ours == base:
        return theirs
    if theirs not in (base, ours):
        conflicts.append(Conflict(CATALOG, Side(ours, None, None), Side(theirs, None, None)))
        return theirs if prefer == "theirs" else ours
    return ours


def _side(state: State, value: Item | None) -> Side | None:
    if value is None:
        return None
    label = state.get_object(value.label) if value.label else None
    return Side(value.checksum, value.size, label)
