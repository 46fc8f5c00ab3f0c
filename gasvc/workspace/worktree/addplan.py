"""What `gas add` stages in one segment, found read-only, so that it can run in a worker process.

Only files whose stat changed are compared item by item (`compare_files` without clean items),
in the folders whose listings changed since recorded (folders.py); the labels of unchanged files
are compared by id with the index (see `metafile.read_label_refs`), or only in the lines not
recorded (labeldelta.py), so the work follows what changed rather than the segment's size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from gasvc.errors import ClientError, GasError
from gasvc.model.metadata import METADATA
from gasvc.model.names import MAX_PATH, escaped, local_path_problem
from gasvc.workspace.store.layout import Layout, shown_path
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.addlabels import AddLabels
from gasvc.workspace.worktree.addrecords import Records, Saved
from gasvc.workspace.worktree.compare import ItemState, compare_files
from gasvc.workspace.worktree.folders import Scope
from gasvc.workspace.worktree.metafile import LabelRef
from gasvc.workspace.worktree.pathspec import PathSpec


class LabelWithoutFile(ClientError):
    """A `metadata.jsonl` line labelling a path that is not a file of the segment."""


class RefusedPath(ClientError):
    """Files whose paths the server would refuse."""


class OutsideLink(ClientError):
    """A symbolic link leading out of the workspace."""


#: Files staged a window at a time (bounds memory while streaming).
WINDOW = 256
#: A worker's plan holds at most this many files; beyond, the segment is redone streaming.
MAX_PLANNED = 20_000


class SegmentPlanner:
    """Reads a segment's labels and compares its files; yields what to stage, in windows."""

    def __init__(self, layout: Layout, state: State, segment: str, specs: list[PathSpec],
                 tracked_only: bool, force: bool = False, scopes: list[Scope] | None = None
                 ) -> None:
        self.layout, self.state, self.segment = layout, state, segment
        self.tracked_only, self.force = tracked_only, force
        #: the folders to compare (folders.py), or None: the whole segment
        self.scopes = scopes
        #: file specs naming the whole segment, and those naming part of it
        self.whole = [i for i, spec in enumerate(specs) if spec.segment in (None, segment)
                      and not (spec.catalog or spec.labels or spec.prefix)]
        self.partial = [(i, spec) for i, spec in enumerate(specs)
                        if spec.segment == segment and spec.prefix and not spec.labels]
        self.matched = {i for i, spec in enumerate(specs) if spec.covers_labels(segment)}
        self.all_labels = bool(self.matched)
        self.read = AddLabels(layout, state, segment)
        #: path → staged label id of the tracked items (those that matter: see AddLabels)
        self.tracked = self.read.tracked
        self.labels = self.read.refs
        #: (path, staged label id) of tracked items whose label alone may need staging
        self.relabel: list[tuple[str, str | None]] = []
        #: label lines of deleted tracked files whose deletion is staged: to remove
        self.dropped: list[str] = []
        self._seen: set[str] = set()  # tracked paths the comparison reported
        self._found: set[str] = set()  # labelled paths it reported as files
        self.records = Records()

    def windows(self) -> Iterator[list[ItemState]]:
        """Files under the specs to store or stage (new, modified, deleted), in path order
        within each folder compared."""
        files: list[ItemState] = []
        for item in self._compared():
            self.read.note(item)
            if item.path in self.tracked:
                self._seen.add(item.path)
            if item.file is not None and item.path in self.labels:
                self._found.add(item.path)
            covered = self.covers(item.path)
            staged = covered and item.kind != "link" and not (
                self.tracked_only and item.kind == "untracked")
            self.records.saw(item, staged)
            if item.kind == "gone" or (self.tracked_only and item.kind == "untracked"):
                continue
            if item.kind == "link":
                if covered and (item.entry is not None or not self.tracked_only):
                    raise OutsideLink(
                        f"{item.key} is a symbolic link leading out of the workspace; gas does"
                        " not read through it", "copy the file it points to into the workspace"
                        " in its place, or remove the link; then run the command again")
                continue
            if covered:
                files.append(item)
                if len(files) >= WINDOW:
                    yield self._checked(files)
                    files = []
            elif self.all_labels and item.entry is not None and item.entry.sum is not None:
                self.relabel.append((item.path, item.entry.label))
        if files:
            yield self._checked(files)

    def _compared(self) -> Iterator[ItemState]:
        """The items of the scopes' folders that are not clean (of the whole segment without
        scopes); stat refreshes go to `records`."""
        if self.scopes is None:
            yield from compare_files(self.layout, self.state, self.segment,
                                     self.records.refresh, report_clean=False,
                                     ignore=not self.force)
            return
        for scope in self.scopes:
            if scope.delta is not None:
                self.records.delta(scope.prefix, scope.delta)
            yield from compare_files(self.layout, self.state, self.segment,
                                     self.records.refresh, False, scope.prefix,
                                     ignore=not self.force, delta=scope.delta)

    def _checked(self, files: list[ItemState]) -> list[ItemState]:
        """The window, once no new file in it has a path the server refuses."""
        refused = [(item.path, problem) for item in files if item.kind == "untracked"
                   and (problem := local_path_problem(item.path)) is not None]
        if refused:
            raise refused_paths(self.segment, refused)
        return files

    def finish(self) -> None:
        """After `windows`: check that every label is for a file, and find the label changes
        of the files the comparison skipped as unchanged."""
        self._check_targets()
        for path, staged in self.read.changed():  # a problem is refused if staged
            if path not in self._seen and (self.all_labels or self.covers(path)):
                self.relabel.append((path, staged))
        if self.read.any_tracked():
            self.matched.update(self.whole)
        for i, spec in self.partial:
            if (i in self.matched or self.read.is_tracked(spec.prefix)
                    or self.read.tracks_under(spec.prefix + "/") or self._gone(spec.prefix)):
                self.matched.add(i)
        if ((self.all_labels or self.whole) and not self.dropped  # every label is staged
                and self.records.all_added):
            self.records.labels = self.read.record(self.records.added)

    def _gone(self, prefix: str) -> bool:
        """Whether the spec names an index row whose file is neither staged nor there (a
        staged deletion): the comparison of its folder reports it, which matches the spec, but
        a folder recorded clean is not compared (folders.py), so it is looked for here."""
        rows = [self.state.entry(self.segment, prefix),
                *self.state.entries(self.segment, prefix + "/")]
        return any(row is not None and row.sum is None
                   and not os.path.isfile(self.layout.file(self.segment, row.path))
                   for row in rows)

    def _never_tracked(self, path: str) -> bool:
        """Whether neither HEAD nor the index had the item when the add began (`tracked` says
        it of the staged items: streaming, this add may have staged their deletion already)."""
        entry = self.state.entry(self.segment, path)
        return entry is None or (entry.sum is None and entry.head_sum is None)

    def _names(self, path: str) -> bool:
        """Whether a file spec names this path (without counting it as matched)."""
        return bool(self.whole) or any(spec.covers(self.segment, path)
                                       for _, spec in self.partial)

    def covers(self, path: str) -> bool:
        """Whether a file spec names this item; the specs that do count as matched."""
        self.matched.update(self.whole)
        hit = bool(self.whole)
        for i, spec in self.partial:
            if spec.covers(self.segment, path):
                self.matched.add(i)
                hit = True
        return hit

    def _check_targets(self) -> None:
        """Every label must be for a file: one reported as a file, or an unchanged tracked
        file; anything else is looked at on disk (a symlinked folder is not walked). The label
        of a tracked file that was deleted goes with the file: dropped when the specs stage its
        deletion, else left alone; a label for a file never tracked is an error."""
        missing = [path for path in self.labels if path not in self._found
                   and (path not in self.tracked or path in self._seen)
                   and not os.path.isfile(self.layout.file(self.segment, path))]
        untracked = []
        for path in missing:
            if path not in self.tracked and self._never_tracked(path):
                untracked.append(path)
            elif self._names(path):
                self.dropped.append(path)
                del self.labels[path]
        self.dropped.sort()  # the lines' order, or the comparison's through recorded lines
        if untracked:
            path = min(untracked, key=lambda p: self.labels[p].line)
            raise LabelWithoutFile(
                f"{shown_path(self.segment, METADATA)}:{self.labels[path].line}: label for"
                f" {path!r}, which is not a file in {shown_path(self.segment)}",
                "add the file, or remove the line")


def refused_paths(segment: str, refused: list[tuple[str, str]]) -> RefusedPath:
    """The error for files whose paths the server would refuse (the first few named)."""
    shown = [f"{escaped(f'{segment}/{path}')}: {problem}" for path, problem in refused[:10]]
    more = f"\n  ... and {len(refused) - 10} more" if len(refused) > 10 else ""
    noun, it = ("this file", "it") if len(refused) == 1 else ("these files", "them")
    return RefusedPath(f"cannot add {noun}: the server refuses the path\n  " + "\n  ".join(shown)
                       + more, f"rename {it} (a path is UTF-8, at most {MAX_PATH} characters,"
                       f" without control characters or '\\'), or move {it} out of the workspace")


@dataclass
class SegmentPlan:
    """A planner's results, sent back from a worker process (None `files`: too many, redo)."""

    segment: str
    files: list[ItemState] | None = None
    relabel: list[tuple[str, str | None]] = field(default_factory=list)
    labels: dict[str, LabelRef] = field(default_factory=dict)
    matched: set[int] = field(default_factory=set)
    dropped: list[str] = field(default_factory=list)
    #: an error to raise, with its hint (pickling keeps only the message)
    error: tuple[GasError, str] | None = None
    #: what to record once staged
    saved: Saved = field(default_factory=Saved)


def plan_segment(layout: Layout, state: State, segment: str, specs: list[PathSpec],
                 tracked_only: bool, force: bool = False, scopes: list[Scope] | None = None
                 ) -> SegmentPlan:
    """A segment's whole plan (in a worker): what to stage, and the labels that needs."""
    try:
        planner = SegmentPlanner(layout, state, segment, specs, tracked_only, force, scopes)
        files: list[ItemState] = []
        for window in planner.windows():
            files += window
            if len(files) > MAX_PLANNED:
                return SegmentPlan(segment)
        planner.finish()
    except GasError as error:
        return SegmentPlan(segment, error=(error, error.hint))
    needed = [item.path for item in files] + [path for path, _ in planner.relabel]
    labels = {path: planner.labels[path] for path in needed if path in planner.labels}
    return SegmentPlan(segment, files, planner.relabel, labels, planner.matched,
                       planner.dropped, saved=planner.records.saved())
