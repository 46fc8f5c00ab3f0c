"""`gas status`: staged changes (HEAD → index), unstaged ones (index → working tree), untracked
files, and where the branch stands against the last fetched remote head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gasvc.model.canon import content_id
from gasvc.workspace import folders, parallel
from gasvc.workspace.compare import (
    all_segments,
    compare_files,
    read_catalog,
    trusted_mtime,
)
from gasvc.workspace.labelids import read_label_ids
from gasvc.workspace.layout import CATALOG, Layout
from gasvc.workspace.scan import Listing, segment_names, top_level_strays
from gasvc.workspace.state import Entry, State


@dataclass(frozen=True)
class Change:
    path: str  # "segment/remotePath", "segment/" for a whole segment, or "catalog.json"
    code: str  # "A" added, "M" modified, "D" deleted, "L" label only


@dataclass
class Status:
    branch: str | None
    head: str | None
    remote_head: str | None = None
    ahead: int = 0
    behind: int = 0
    staged: list[Change] = field(default_factory=list)
    unstaged: list[Change] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.staged or self.unstaged or self.untracked)


def _code(old: tuple[object, object, object], new: tuple[object, object, object]) -> str:
    if old[0] is None:
        return "A"
    if new[0] is None:
        return "D"
    return "L" if old[:2] == new[:2] else "M"


def staged_changes(state: State) -> list[Change]:
    changes: list[Change] = []
    for name, (in_head, staged) in state.segments().items():
        if in_head != staged:
            changes.append(Change(name + "/", "A" if staged else "D"))
    for entry in state.staged_changes():
        old = (entry.head_sum, entry.head_size, entry.head_label)
        new = (entry.sum, entry.size, entry.label)
        changes.append(Change(f"{entry.segment}/{entry.path}", _code(old, new)))
    head_catalog, catalog = state.get("head_catalog", ""), state.get("staged_catalog", "")
    if head_catalog != catalog:
        changes.append(Change(CATALOG, "A" if not head_catalog else "D" if not catalog else "M"))
    return sorted(changes, key=lambda c: c.path)


@dataclass
class SegmentChanges:
    """What one segment's working files and labels show against the index."""

    unstaged: list[Change] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    refresh: list[tuple[str, str, int, int]] = field(default_factory=list)
    settled: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    clean_folders: list[tuple[str, str, bytes, bytes]] = field(default_factory=list)
    label_memos: list[tuple[str, str, bytes]] = field(default_factory=list)

    def add(self, other: SegmentChanges) -> None:
        self.unstaged += other.unstaged
        self.untracked += other.untracked
        self.refresh += other.refresh
        self.settled += other.settled
        self.clean_folders += other.clean_folders
        self.label_memos += other.label_memos


def worktree_changes(layout: Layout, state: State) -> tuple[list[Change], list[str]]:
    """(unstaged changes, untracked paths); refreshes the index's stat cache as it goes."""
    version = state.data_version()
    found = SegmentChanges()
    on_disk = set(segment_names(layout.root))
    staged_segments = {name: staged for name, (_, staged) in state.segments().items()}
    segments = all_segments(layout, state)
    for segment in segments:
        if segment not in on_disk and staged_segments.get(segment, False):
            found.unstaged.append(Change(segment + "/", "D"))
        elif segment in on_disk and not staged_segments.get(segment, False):
            found.untracked.append(segment + "/")
    changed = folders.changed_folders(layout, state, segments)
    units = [(segment, changed[segment]) for segment in segments]
    weights = [sum(state.count_entries(segment, prefix) for prefix in prefixes)
               for segment, prefixes in units]
    for part in parallel.map_units(_segment_changes, layout, state, units, weights):
        found.add(part)
    catalog = _catalog_change(layout, state)
    if catalog == "??":
        found.untracked.append(CATALOG)
    elif catalog:
        found.unstaged.append(Change(CATALOG, catalog))
    _save_checks(state, found, version)
    return sorted(found.unstaged, key=lambda c: c.path), sorted(found.untracked)


def _segment_changes(layout: Layout, state: State, unit: tuple[str, list[str]]
                     ) -> SegmentChanges:
    """Labels of the segment, and files of its `changed` folders (see folders.py)."""
    segment, changed = unit
    found = SegmentChanges()
    labels = read_label_ids(layout, state, segment)
    if labels.memo is not None:
        found.label_memos.append((segment, *labels.memo))
    label_changes = _label_changes(state, segment, labels.ids)
    for prefix in changed:
        listings: dict[str, Listing] = {}
        refreshed = len(found.refresh)
        items = list(compare_files(layout, state, segment, found.refresh, False, prefix,
                                   listings))
        for item in items:
            if item.kind == "untracked":
                found.untracked.append(item.key)
            elif item.kind in ("deleted", "modified"):
                found.unstaged.append(Change(item.key, item.kind[0].upper()))
                label_changes.discard(item.key)
        found.clean_folders += [(segment, *row) for row in folders.clean_listings(
            listings, items, found.refresh[refreshed:])]
    found.unstaged += [Change(key, "L") for key in label_changes]
    if labels.ids is not None and not label_changes:
        mtime, size, ino = labels.stat
        found.settled.append((segment, (trusted_mtime(mtime) if mtime > 0 else mtime, size,
                                        ino)))
    return found


def _catalog_change(layout: Layout, state: State) -> str:
    """"" when `catalog.json` matches the index, "??" when untracked, else M or D."""
    catalog = read_catalog(layout)
    staged = state.get("staged_catalog", "")
    if (content_id(catalog) if catalog is not None else "") == staged:
        return ""
    if not staged:
        return "??"
    return "D" if catalog is None else "M"


def _label_changes(state: State, segment: str, ids: dict[str, str | None] | None
                   ) -> set[str]:
    """Keys of tracked items whose working label (by id) differs from the staged one."""
    if ids is None:
        return set()
    return {f"{segment}/{path}" for path, staged in state.staged_labels(segment).items()
            if ids.get(path) != staged}


def _save_checks(state: State, found: SegmentChanges, version: int) -> None:
    """Record what the check verified: file stats, label files (and the lines read), clean
    folders (only if no other command wrote the index meanwhile: they speak of the index as
    read)."""
    if not (found.refresh or found.settled or found.clean_folders or found.label_memos):
        return
    with state.transaction():
        state.refresh_stats(found.refresh)
        for segment, stat in found.settled:
            state.set_metadata_stat(segment, stat)
        for memo in found.label_memos:
            state.save_label_memo(*memo)
        if state.data_version() == version:
            state.save_folder_listings(found.clean_folders)


def entry_value(entry: Entry) -> tuple[str | None, int | None, str | None]:
    return entry.sum, entry.size, entry.label


def status(layout: Layout, state: State) -> Status:
    from gasvc.workspace.refs import head_info

    branch, head, remote_head, ahead, behind = head_info(state)
    result = Status(branch, head, remote_head, ahead, behind)
    result.staged = staged_changes(state)
    result.unstaged, result.untracked = worktree_changes(layout, state)
    result.outside = top_level_strays(layout.root)
    return result
