"""`gas status`: staged changes (HEAD → index), unstaged ones (index → working tree), untracked
files, and where the branch stands against the last fetched remote head.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gasvc.model.canon import content_id
from gasvc.model.masks import mask_path
from gasvc.model.metadata import METADATA
from gasvc.model.names import is_utf8
from gasvc.workspace.store.folderstore import drop_folder_listings, save_folder_listings
from gasvc.workspace.store.labellines import drop_stale_files, record_lines
from gasvc.workspace.store.layout import CATALOG, Layout, segment_folder, shown_path
from gasvc.workspace.store.maskstore import record_refs, set_mask_stats
from gasvc.workspace.store.pending import Interrupted, interrupted
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree import folders, parallel
from gasvc.workspace.worktree.compare import (
    ABSENT,
    compare_files,
    label_file_stat,
    read_catalog,
    trusted_mtime,
)
from gasvc.workspace.worktree.ignore import root_rules
from gasvc.workspace.worktree.maskfiles import (
    CLEAN_KEY,
    LineMasks,
    MaskCheck,
    check_masks,
    line_masks,
    staged_mask_files,
)
from gasvc.workspace.worktree.scan import (
    linked_folder,
    outside_link,
    segment_names,
    top_level_links,
    top_level_strays,
)

if TYPE_CHECKING:
    from gasvc.workspace.store.conflicts import ShownConflict
    from gasvc.workspace.worktree.metafile import LabelRef


@dataclass(frozen=True)
class Change:
    #: the workspace-relative path: "folder/remotePath", "folder/" for a whole segment (the
    #: segment's folder, see layout.segment_folder), or "catalog.json"
    path: str
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
    #: top-level entries that belong to no segment ("name/" for a folder)
    outside: list[str] = field(default_factory=list)
    #: symbolic links not followed: files or folders linked out of the workspace, and
    #: top-level links
    links: list[str] = field(default_factory=list)
    interrupted: Interrupted | None = None  # an operation that did not finish (pending.py)
    #: untracked paths the ignore rules match ("dir/" for a folder not walked); listed only
    #: when asked for (`gas status --ignored`)
    ignored: list[str] = field(default_factory=list)
    #: the merge, revert or cherry-pick in progress ("gas merge topic"), and its conflicts not
    #: resolved yet (filled in by the workspace, see versions/merging.py)
    merging: str | None = None
    unmerged: list[ShownConflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.staged or self.unstaged or self.untracked or self.outside or self.links
                    or self.interrupted or self.merging)


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
            changes.append(Change(shown_path(name), "A" if staged else "D"))
    for entry in state.staged_changes():
        old = (entry.head_sum, entry.head_size, entry.head_label)
        new = (entry.sum, entry.size, entry.label)
        changes.append(Change(shown_path(entry.segment, entry.path), _code(old, new)))
    changes += [Change(path, code) for path, code in staged_mask_files(state)]
    head_catalog, catalog = state.get("head_catalog", ""), state.get("staged_catalog", "")
    if head_catalog != catalog:
        changes.append(Change(CATALOG, "A" if not head_catalog else "D" if not catalog else "M"))
    return sorted(changes, key=lambda c: c.path)


@dataclass
class SegmentChanges:
    """What one segment's working files and labels show against the index."""

    unstaged: list[Change] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    refresh: list[tuple[str, str, int, int]] = field(default_factory=list)
    settled: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    clean_folders: list[tuple[str, str, bytes, bytes, bytes]] = field(default_factory=list)
    #: (segment, packed lines) of label files read in full and found to match the index
    label_lines: list[tuple[str, bytes]] = field(default_factory=list)
    #: per segment, the masks its lines point at (None: `metadata.jsonl` matches the index)
    lines: dict[str, LineMasks | None] = field(default_factory=dict)
    masks: MaskCheck = field(default_factory=MaskCheck)

    def add(self, other: SegmentChanges) -> None:
        self.lines.update(other.lines)
        self.masks.claimed += other.masks.claimed
        self.unstaged += other.unstaged
        self.untracked += other.untracked
        self.links += other.links
        self.ignored += other.ignored
        self.refresh += other.refresh
        self.settled += other.settled
        self.clean_folders += other.clean_folders
        self.label_lines += other.label_lines


def worktree_changes(layout: Layout, state: State) -> tuple[list[Change], list[str]]:
    """(unstaged changes, untracked paths); refreshes the index's stat cache as it goes."""
    found = _worktree(layout, state)
    return sorted(found.unstaged, key=lambda c: c.path), sorted(found.untracked)


def _worktree(layout: Layout, state: State, report_ignored: bool = False) -> SegmentChanges:
    version = state.data_version()
    found = SegmentChanges()
    new_rules = folders.rules_changed(layout, state)
    rules = root_rules(str(layout.root))
    on_disk = set(segment_names(layout.root))
    staged_segments = {name: staged for name, (_, staged) in state.segments().items()}
    segments = sorted(on_disk | set(staged_segments))
    for segment in segments:
        if segment not in on_disk and staged_segments.get(segment, False):
            found.unstaged.append(Change(shown_path(segment), "D"))
        elif segment in on_disk and not staged_segments.get(segment, False):
            ignored = rules.is_ignored(shown_path(segment))
            (found.ignored if ignored else found.untracked).append(shown_path(segment))
    segments = [segment for segment in segments if is_utf8(segment)]  # others: never tracked
    changed = folders.changed_folders(layout, state, segments,
                                      trust=new_rules is None and not report_ignored)
    units = [(segment, changed[segment], report_ignored) for segment in segments]
    weights = [sum(scope.weight(state, segment) for scope in scopes)
               for segment, scopes, _ in units]
    for part in parallel.map_units(_segment_changes, layout, state, units, weights):
        found.add(part)
    found.masks = check_masks(layout, state, found.lines, found.masks.claimed,
                              trust=new_rules is None and not report_ignored)
    found.unstaged += [Change(mask.path, mask.code) for mask in found.masks.changed]
    found.untracked += found.masks.untracked
    catalog = _catalog_change(layout, state)
    if catalog == "??":
        found.untracked.append(CATALOG)
    elif catalog:
        found.unstaged.append(Change(CATALOG, catalog))
    _save_checks(state, found, version, new_rules)
    return found


def _segment_changes(layout: Layout, state: State,
                     unit: tuple[str, list[folders.Scope], bool]) -> SegmentChanges:
    """Labels of the segment, and files of its `changed` folders (see folders.py); ignored
    files too when asked for."""
    segment, changed, report_ignored = unit
    found = SegmentChanges()
    label_changes, label_stat, refs, staged, lines = _label_changes(layout, state, segment)
    found.lines[segment] = None if label_changes is None else line_masks(
        {path: ref.masks for path, ref in refs.items() if path in staged})
    found.masks.claimed += [mask_path(segment_folder(segment), path, mask.kind)
                            for path, ref in refs.items() if path not in staged
                            for mask in ref.masks]  # images of untracked items: not strays
    shown: set[str] = set()  # items shown as M or D (their label change goes with them)
    linked = _LinkedFolders(layout, segment)
    if linked_folder(linked.folder) is None and outside_link(linked.root,
                                                             str(layout.metadata(segment))):
        found.links.append(shown_path(segment, METADATA))
    for scope in changed:
        walked = folders.Walked()
        if scope.delta is not None:
            walked.delta(scope.prefix, scope.delta)
        refreshed = len(found.refresh)
        items = list(compare_files(layout, state, segment, found.refresh, False, scope.prefix,
                                   walked, report_ignored=report_ignored, delta=scope.delta))
        for item in items:
            if item.kind == "untracked":
                found.untracked.append(item.key)
            elif item.kind == "ignored":
                found.ignored.append(item.key)
            elif item.kind == "link":
                found.links.append(item.key)
                if item.entry is not None and item.entry.sum is not None:
                    found.unstaged.append(Change(item.key, "D"))
                    shown.add(item.key)
            elif item.kind in ("deleted", "modified"):
                found.unstaged.append(Change(item.key, item.kind[0].upper()))
                shown.add(item.key)
                if item.kind == "deleted":
                    found.links += linked.above(item.path)
        found.clean_folders += [(segment, *row) for row in walked.clean(
            items, found.refresh[refreshed:])]
    if label_changes is None:
        return found
    found.unstaged += [Change(key, "L") for key in label_changes - shown]
    if not label_changes:  # the labels match the index: trust this stat of the file
        mtime, size, ino = label_stat
        found.settled.append((segment, (trusted_mtime(mtime) if mtime > 0 else mtime, size,
                                        ino)))
        if lines is not None:
            found.label_lines.append((segment, lines))
    return found


class _LinkedFolders:
    """The folder links that hide deleted files of a segment (each folder looked at once)."""

    def __init__(self, layout: Layout, segment: str) -> None:
        self.root, self.folder = str(layout.root), layout.folder_path(segment)
        self.seen: set[str] = set()
        self.links: set[str] = set()

    def above(self, path: str) -> list[str]:
        """[the link] when a folder of `path` (the segment's included) is a link, first time."""
        parent = os.path.dirname(path)
        if parent in self.seen:
            return []
        self.seen.add(parent)
        link = linked_folder(self.folder, parent)
        if link is None:
            return []
        shown = os.path.relpath(link, self.root).replace(os.sep, "/")
        if shown in self.links:
            return []
        self.links.add(shown)
        return [shown]


def _catalog_change(layout: Layout, state: State) -> str:
    """"" when `catalog.json` matches the index, "??" when untracked, else M or D."""
    catalog = read_catalog(layout)
    staged = state.get("staged_catalog", "")
    if (content_id(catalog) if catalog is not None else "") == staged:
        return ""
    if not staged:
        return "??"
    return "D" if catalog is None else "M"


def _label_changes(layout: Layout, state: State, segment: str
                   ) -> tuple[set[str] | None, tuple[int, int, int], dict[str, LabelRef],
                              dict[str, str | None], bytes | None]:
    """Keys of tracked items whose working label differs from the staged one (None when
    `metadata.jsonl` has the stat the index saw), the file's stat, the lines read (all, or
    those its recorded lines do not hold: labeldelta.py) with the staged labels of their
    items, and the record to keep of a file read in full. Lines as gas writes them are
    compared by the hash of their label's text, without parsing (metafile.py)."""
    stat = label_file_stat(layout, segment)
    if stat == state.metadata_stat(segment) and stat[0] != 0:
        return None, stat, {}, {}, None
    # here: a status of a tree whose labels are as recorded never loads the label readers
    from gasvc.workspace.worktree.labeldelta import label_delta, matching_lines
    from gasvc.workspace.worktree.metafile import label_refs, read_label_text

    text = read_label_text(layout, segment) if stat != ABSENT else None
    where, folder = shown_path(segment, METADATA), segment_folder(segment)
    delta = label_delta(state, segment, text, where, folder) if text is not None else None
    if delta is not None:
        return ({shown_path(segment, path) for path in delta.changed()}, stat, delta.refs,
                delta.staged, None)
    staged = state.staged_labels(segment)
    refs = label_refs(text, where, staged, folder) if text is not None else {}
    changes = {shown_path(segment, path) for path, label in staged.items()
               if (refs[path].label if path in refs else None) != label}
    lines = matching_lines(text, refs, staged) if text is not None and not changes else None
    return changes, stat, refs, staged, lines


def _save_checks(state: State, found: SegmentChanges, version: int, new_rules: str | None
                 ) -> None:
    """Record what the check verified: file stats, label files, clean folders (only if no
    other command wrote the index meanwhile: they speak of the index as read). With
    `new_rules` (the ignore rules' fingerprint, changed), listings recorded before are
    dropped: they were judged by other rules."""
    masks = found.masks
    if not (found.refresh or found.settled or found.clean_folders or new_rules
            or masks.refresh or masks.refs or masks.clean or found.label_lines):
        return
    with state.transaction():
        if new_rules is not None:
            drop_folder_listings(state)
            state.set(folders.RULES_KEY, new_rules)
        state.refresh_stats(found.refresh)
        set_mask_stats(state, masks.refresh)
        for segment, stat in found.settled:
            state.set_metadata_stat(segment, stat)
        if state.data_version() == version:
            save_folder_listings(state, found.clean_folders)
            record_lines(state, found.label_lines)
            if found.label_lines:
                drop_stale_files(state)
            for segment, refs in masks.refs:
                record_refs(state, segment, refs)
            if masks.clean is not None:
                state.set(CLEAN_KEY, masks.clean)


def folded(untracked: list[str]) -> list[str]:
    """Untracked paths as status lists them, sorted: an untracked segment's folder ("new/")
    stands for every file in it, as git shows an untracked folder."""
    folders = tuple(path for path in untracked if path.endswith("/"))
    return sorted(path for path in untracked if path in folders or not path.startswith(folders))


def status(layout: Layout, state: State, report_ignored: bool = False) -> Status:
    """The status; `report_ignored` lists ignored paths too (every folder is then compared in
    detail: a recorded clean folder may hold ignored files)."""
    from gasvc.workspace.store.refs import head_info

    branch, head, remote_head, ahead, behind = head_info(state)
    result = Status(branch, head, remote_head, ahead, behind, interrupted=interrupted(state))
    result.staged = staged_changes(state)
    found = _worktree(layout, state, report_ignored)
    result.unstaged = sorted(found.unstaged, key=lambda c: c.path)
    result.untracked = folded(found.untracked)
    rules = root_rules(str(layout.root))
    strays = top_level_strays(layout.root)
    result.outside = [path for path in strays if not rules.is_ignored(path)]
    if report_ignored:
        result.ignored = sorted({*found.ignored,
                                 *(path for path in strays if rules.is_ignored(path))})
    result.links = sorted({*found.links, *top_level_links(layout.root)})
    return result
