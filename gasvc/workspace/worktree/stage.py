"""`gas add`, `gas rm`, `gas restore --staged`: moving changes into and out of the index.

What a path argument names is worktree/pathspec.py's `PathSpec`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from gasvc.errors import ClientError, InvalidParams
from gasvc.model.names import (
    MAX_NAME,
    escaped,
    local_segment_problem,
)
from gasvc.workspace.store.folderstore import recorded_segments
from gasvc.workspace.store.layout import Layout, shown_path
from gasvc.workspace.store.objects import ObjectStore
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree import folders, parallel
from gasvc.workspace.worktree.addplan import WINDOW, SegmentPlan, SegmentPlanner, plan_segment
from gasvc.workspace.worktree.compare import ItemState, all_segments, read_catalog, trusted_mtime
from gasvc.workspace.worktree.folders import Scope
from gasvc.workspace.worktree.fusion_files import prepare_add
from gasvc.workspace.worktree.ignore import path_rule, root_rules
from gasvc.workspace.worktree.maskstage import MaskStager, check_mask_specs
from gasvc.workspace.worktree.metafile import LabelRef, write_labels
from gasvc.workspace.worktree.pathspec import EVERYTHING, PathSpec
from gasvc.workspace.worktree.scan import segment_names


class PathspecError(ClientError):
    """A pathspec that matches nothing or cannot be read."""

    exit_code = 128


@dataclass
class StageResult:
    staged: int = 0
    removed: int = 0
    #: segment → paths whose label line `add` removed from `metadata.jsonl` with the file
    dropped: dict[str, list[str]] = field(default_factory=dict)


def add(layout: Layout, state: State, specs: list[PathSpec], tracked_only: bool = False,
        force: bool = False) -> StageResult:
    """Stage the working tree's files, labels and catalog under `specs`; files the ignore
    rules match are left out unless `force` (a spec naming one is refused)."""
    result, matched = StageResult(), [False] * len(specs)
    _check_segment_names(layout, specs)
    if not force:
        _refuse_ignored(layout, state, specs)
    segments = _segments(layout, state, specs, force)
    prepare_add(layout, state, segments, specs)  # fusion: sensors.json and frames.jsonl
    version = state.data_version()
    scopes = _scopes(layout, state, segments, force)
    plans = _plan_in_workers(layout, state, scopes, specs, tracked_only, force)
    stager = _Stager(layout, state, result)
    check_mask_specs(layout, specs)
    with state.transaction():
        if state.data_version() != version:  # another command wrote the index meanwhile
            plans, scopes = {}, {segment: None for segment in segments}
        for segment in segments:
            plan = plans.get(segment)
            if plan is None or plan.files is None:
                plan = _add_streaming(layout, state, segment, specs, tracked_only, force,
                                      stager, scopes[segment])
            else:
                stager.apply(plan)
            plan.saved.save(state, segment)
            for i in plan.matched:
                matched[i] = True
            if plan.dropped:
                result.dropped[segment] = plan.dropped
            if plan.matched:
                _stage_new_segment(layout, state, segment)
            _stage_segment(layout, state, segment, specs, matched)
        for i, spec in enumerate(specs):
            tracked_catalog = bool(state.get("staged_catalog"))
            if spec.catalog or (spec == EVERYTHING and (tracked_catalog or not tracked_only)):
                catalog = read_catalog(layout)
                matched[i] |= catalog is not None or bool(state.get("staged_catalog"))
                state.set("staged_catalog", state.put_object(catalog) if catalog else "")
    for segment, paths in result.dropped.items():  # as `gas rm` does: the label goes too
        write_labels(layout, segment, dict.fromkeys(paths))
    for segment, labels in stager.masks.rewrites.items():  # the masks' images as staged
        write_labels(layout, segment, labels)
    _check_matched(specs, matched)
    return result


def _segments(layout: Layout, state: State, specs: list[PathSpec], force: bool) -> list[str]:
    """The segments the specs name (all for "."; an untracked segment folder the ignore
    rules match is left out unless `force`)."""
    named = {spec.segment for spec in specs if spec.segment is not None}
    if any(spec.segment is None and not spec.catalog for spec in specs):
        rules, tracked = root_rules(str(layout.root)), state.segments()
        return [segment for segment in all_segments(layout, state) if force
                or segment in named or segment in tracked
                or not rules.is_ignored(shown_path(segment))]
    return sorted(named)


def _check_segment_names(layout: Layout, specs: list[PathSpec]) -> None:
    """Refuse to add a top-level folder whose name the server refuses as a segment name."""
    everything = any(spec.segment is None and not spec.catalog for spec in specs)
    for segment in segment_names(layout.root):
        problem = local_segment_problem(segment)
        if problem is not None and (everything or any(s.segment == segment for s in specs)):
            raise InvalidParams(
                f"cannot add the folder {escaped(segment)}: {problem}",
                f"rename it (a segment name is UTF-8, at most {MAX_NAME} characters, without '/',"
                " '\\' or control characters), or move it out of the workspace")


def _refuse_ignored(layout: Layout, state: State, specs: list[PathSpec]) -> None:
    """git's refusal to add a path the ignore rules match (tracked ones aside)."""
    ignored = []
    for spec in specs:
        if spec.segment is None or spec.labels or spec.catalog:
            continue
        path = shown_path(spec.segment, spec.prefix)
        folder = os.path.isdir(layout.file(spec.segment, spec.prefix)) or not spec.prefix
        if (path_rule(str(layout.root), path.rstrip("/"), folder)[1]
                and state.entry(spec.segment, spec.prefix) is None
                and not state.count_entries(spec.segment, spec.prefix + "/" if spec.prefix
                                            else "")):
            ignored.append(spec.shown)
    if ignored:
        raise IgnoredPaths("The following paths are ignored by one of your .gasignore files:\n"
                           + "\n".join(ignored) + "\nnothing was added",
                           "use -f if you really want to add them (`gas check-ignore -v PATH`"
                           " names the rule)")


class IgnoredPaths(ClientError):
    """An explicit `gas add` of paths the ignore rules ignore (without -f)."""


def _scopes(layout: Layout, state: State, segments: list[str], force: bool
            ) -> dict[str, list[Scope] | None]:
    """Per segment, the folders to compare (folders.py; not with `force`: a folder recorded
    clean may hold ignored files, which `force` adds), or None for the whole segment."""
    if force or not recorded_segments(state).intersection(segments):
        return {segment: None for segment in segments}
    trust = folders.rules_changed(layout, state) is None
    return dict(folders.changed_folders(layout, state, segments, trust))


def _plan_in_workers(layout: Layout, state: State, scopes: dict[str, list[Scope] | None],
                     specs: list[PathSpec], tracked_only: bool, force: bool
                     ) -> dict[str, SegmentPlan]:
    """Plans of the segments, compared in parallel worker processes when that pays (two or
    more segments with many index rows to compare, two or more cores); else {} (each is done
    streaming)."""
    sizes = state.segment_sizes() if None in scopes.values() else {}
    segments = list(scopes)
    weights = [sizes.get(segment, 0) if found is None
               else sum(scope.weight(state, segment) for scope in found)
               for segment, found in scopes.items()]
    if (sum(1 for weight in weights if weight) < 2 or (os.cpu_count() or 1) < 2
            or sum(weights) < parallel.MIN_ROWS):
        return {}
    work = functools.partial(_plan_scoped, specs=specs, tracked_only=tracked_only,
                             force=force, scopes=scopes)
    plans = parallel.map_units(work, layout, state, segments, weights)
    return {plan.segment: plan for plan in plans}


def _plan_scoped(layout: Layout, state: State, segment: str, specs: list[PathSpec],
                 tracked_only: bool, force: bool, scopes: dict[str, list[Scope] | None]
                 ) -> SegmentPlan:
    return plan_segment(layout, state, segment, specs, tracked_only, force, scopes[segment])


def _add_streaming(layout: Layout, state: State, segment: str, specs: list[PathSpec],
                   tracked_only: bool, force: bool, stager: _Stager,
                   scopes: list[Scope] | None) -> SegmentPlan:
    """Plan and stage a segment in this process, a window of files at a time."""
    planner = SegmentPlanner(layout, state, segment, specs, tracked_only, force, scopes)
    for window in planner.windows():
        stager.stage_files(segment, planner.labels, window)
    planner.finish()
    stager.stage_labels(segment, planner.labels, planner.relabel)
    return SegmentPlan(segment, matched=planner.matched, dropped=planner.dropped,
                       saved=planner.records.saved())


class _Stager:
    """The writes of `gas add`: file contents into `.gas/objects/`, rows into the index."""

    def __init__(self, layout: Layout, state: State, result: StageResult) -> None:
        self.layout, self.state, self.result = layout, state, result
        self.store = ObjectStore(layout)
        self.masks = MaskStager(layout, state, self.store)
        self._put: set[str] = set()  # label ids stored by this command

    def apply(self, plan: SegmentPlan) -> None:
        if plan.error is not None:
            error, hint = plan.error
            error.hint = hint
            raise error
        assert plan.files is not None
        for start in range(0, len(plan.files), WINDOW):
            self.stage_files(plan.segment, plan.labels, plan.files[start:start + WINDOW])
        self.stage_labels(plan.segment, plan.labels, plan.relabel)

    def stage_files(self, segment: str, labels: dict[str, LabelRef], items: list[ItemState]
                    ) -> None:
        """Store new and modified files, then stage them (and deletions) in one statement."""
        folder = os.path.join(self.layout.folder_path(segment), "")
        rows: list[tuple[str, str, str | None, int | None, str | None, int, int]] = []
        for item in items:
            if item.kind == "clean":
                assert item.entry is not None
                self.stage_labels(segment, labels, [(item.path, item.entry.label)])
            elif item.kind == "deleted":
                rows.append((segment, item.path, None, None, None, 0, 0))
                self.result.removed += 1
            else:
                assert item.file is not None
                checksum, size = self.store.store(folder + item.path,
                                                  item.entry.head_sum if item.entry else None)
                label = self._label(segment, labels, item.path,
                                    item.entry.label if item.entry else None)
                rows.append((segment, item.path, checksum, size, label,
                             trusted_mtime(item.file.mtime_ns), item.file.ino))
                self.result.staged += 1
        self.state.stage_rows(rows)

    def stage_labels(self, segment: str, labels: dict[str, LabelRef],
                     items: list[tuple[str, str | None]]) -> None:
        """Stage the working labels of tracked items (path, staged label id) that differ."""
        for path, staged in items:
            label = self._label(segment, labels, path, staged)
            if label != staged:
                self.state.set_label(segment, path, label)
                self.result.staged += 1

    def _label(self, segment: str, labels: dict[str, LabelRef], path: str,
               staged: str | None) -> str | None:
        """An item's working label id; the label is stored first if new, and its masks' images
        when it is to be staged (a line naming a missing image is refused: maskstage.py)."""
        ref = labels.get(path)
        if ref is None:
            return None
        if ref.problem is not None or (ref.masks and ref.label != staged):
            self.masks.stage(segment, path, ref)
        if ref.data is not None and ref.label is not None and ref.label not in self._put:
            self.state.put_json(ref.label, ref.data)
            self._put.add(ref.label)
        return ref.label


def _stage_segment(layout: Layout, state: State, segment: str, specs: list[PathSpec],
                   matched: list[bool]) -> None:
    whole = [i for i, spec in enumerate(specs)
             if spec.segment in (None, segment) and not spec.prefix and not spec.catalog]
    if not whole:
        return
    folder = layout.segment_dir(segment)
    exists = folder.is_dir() and not folder.is_symlink()
    if exists or state.segments().get(segment, (False, False))[1]:
        for i in whole:
            matched[i] = True
    state.stage_segment(segment, exists)


def _stage_new_segment(layout: Layout, state: State, segment: str) -> None:
    """A file staged in a segment folder the index does not hold yet brings the segment in
    (else the commit would have no segment to put the file in)."""
    staged = state.segments().get(segment, (False, False))[1]
    if not staged and layout.segment_dir(segment).is_dir():
        state.stage_segment(segment, True)


def _check_matched(specs: list[PathSpec], matched: list[bool]) -> None:
    """Refuse a path that names nothing; everything (`-A`, `.`) may be nothing, as in git."""
    for spec, hit in zip(specs, matched, strict=True):
        if not hit and spec != EVERYTHING:
            raise PathspecError(f"pathspec {spec.shown!r} did not match any files",
                                "check the path; `gas status` lists what can be added")


def unstage(state: State, specs: list[PathSpec]) -> StageResult:
    """`gas restore --staged`: the index takes HEAD's values again for these paths; a
    segment's `metadata.jsonl` names the labels of its items (a deleted item stays so)."""
    result = StageResult()
    relabelled: set[str] = set()  # segments whose staged labels change
    with state.transaction():
        for entry in list(state.staged_changes()):
            if any(spec.covers(entry.segment, entry.path) for spec in specs):
                state.stage(entry.segment, entry.path, entry.head_sum, entry.head_size,
                            entry.head_label)
            elif (entry.sum is not None and entry.label != entry.head_label
                  and any(spec.covers_labels(entry.segment) for spec in specs)):
                state.set_label(entry.segment, entry.path, entry.head_label)
            else:
                continue
            result.staged += 1
            if entry.label != entry.head_label:
                relabelled.add(entry.segment)
        for segment in relabelled:  # its metadata.jsonl no longer matches: read it again
            state.set_metadata_stat(segment, (0, -1, 0))
        for name, (in_head, staged) in state.segments().items():
            if in_head != staged and any(s.segment in (None, name) and not s.catalog
                                         and not s.prefix for s in specs):
                state.stage_segment(name, in_head)
        if any(spec.catalog or spec == EVERYTHING for spec in specs):
            state.set("staged_catalog", state.get("head_catalog", ""))
    return result


def remove(layout: Layout, state: State, specs: list[PathSpec], cached: bool,
           force: bool = False) -> StageResult:
    """`gas rm`: stage the deletion of tracked items (with their labels, mask images and, in a
    fusion segment, their places in frames), or of masks named alone; also delete the files
    unless `cached` (worktree/remove.py)."""
    from gasvc.workspace.worktree.remove import remove as remove_specs

    return remove_specs(layout, state, specs, cached, force)
