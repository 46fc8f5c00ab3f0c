"""`gas add`, `gas rm`, `gas restore --staged`: moving changes into and out of the index.

Paths are workspace-relative POSIX strings: `seg`, `seg/dir`, `seg/file.jpg`,
`seg/metadata.jsonl` (the labels of the whole segment), `catalog.json`, or `.` for everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gasvc.errors import GasError, InvalidParams
from gasvc.model.metadata import METADATA, LabelLine
from gasvc.model.names import check_segment_name
from gasvc.workspace.compare import (
    ItemState,
    all_segments,
    compare_files,
    label_id,
    read_catalog,
    read_labels,
    trusted_mtime,
)
from gasvc.workspace.layout import CATALOG, Layout
from gasvc.workspace.metafile import write_labels
from gasvc.workspace.objects import store_file
from gasvc.workspace.scan import hash_file
from gasvc.workspace.state import Entry, State


@dataclass(frozen=True)
class PathSpec:
    """What one path argument names: the catalog, or a segment with an optional path prefix."""

    catalog: bool = False
    segment: str | None = None
    prefix: str = ""
    labels: bool = False

    def covers(self, segment: str, path: str) -> bool:
        """Whether the spec names this item's file (and with it, its label)."""
        if self.catalog or self.labels or (self.segment is not None and segment != self.segment):
            return False
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    def covers_labels(self, segment: str) -> bool:
        """Whether the spec is the segment's `metadata.jsonl`: every label of the segment."""
        return self.labels and segment == self.segment


EVERYTHING = PathSpec()


def parse_pathspec(relative: str) -> PathSpec:
    path = relative.strip("/")
    if path in ("", "."):
        return EVERYTHING
    if path == CATALOG:
        return PathSpec(catalog=True)
    segment, _, rest = path.partition("/")
    if not segment or segment == ".gas":
        raise InvalidParams(f"{relative!r} is not inside a segment folder")
    check_segment_name(segment)
    if rest == METADATA:
        return PathSpec(segment=segment, labels=True)
    return PathSpec(segment=segment, prefix=rest)


class PathspecError(GasError):
    code, status = "InvalidParamsValue", 400
    exit_code = 128


@dataclass
class StageResult:
    staged: int = 0
    removed: int = 0


def add(layout: Layout, state: State, specs: list[PathSpec], tracked_only: bool = False
        ) -> StageResult:
    """Stage the working tree's files, labels and catalog under `specs`."""
    result, matched = StageResult(), [False] * len(specs)
    with state.transaction():
        for segment in _segments(layout, state, specs):
            labels = read_labels(layout, state, segment, force=True).labels or {}
            _check_label_targets(layout, segment, labels)
            label_specs = [i for i, spec in enumerate(specs) if spec.covers_labels(segment)]
            for i in label_specs:
                matched[i] = True
            for window in _windows(compare_files(layout, state, segment, [])):
                files: list[ItemState] = []
                for item in window:
                    hits = [i for i, spec in enumerate(specs) if spec.covers(segment, item.path)]
                    for i in hits:
                        matched[i] = True
                    if item.kind == "gone" or (tracked_only and item.kind == "untracked"):
                        continue
                    if hits:
                        files.append(item)
                    elif label_specs and item.entry is not None and item.entry.sum is not None:
                        _stage_label(state, item, labels, result)
                stored = _store_all(layout, files)
                for item in files:
                    _stage_item(state, item, labels, stored.get(item.path), result)
            _stage_segment(layout, state, segment, specs, matched)
        for i, spec in enumerate(specs):
            tracked_catalog = bool(state.get("staged_catalog"))
            if spec.catalog or (spec == EVERYTHING and (tracked_catalog or not tracked_only)):
                catalog = read_catalog(layout)
                matched[i] |= catalog is not None or bool(state.get("staged_catalog"))
                state.set("staged_catalog", state.put_object(catalog) if catalog else "")
    _check_matched(specs, matched)
    return result


def _segments(layout: Layout, state: State, specs: list[PathSpec]) -> list[str]:
    named = {spec.segment for spec in specs if spec.segment is not None}
    if any(spec.segment is None and not spec.catalog for spec in specs):
        return all_segments(layout, state)
    return sorted(named)


def _windows(items: Iterator[ItemState], size: int = 256) -> Iterator[list[ItemState]]:
    window: list[ItemState] = []
    for item in items:
        window.append(item)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


def _store_all(layout: Layout, items: list[ItemState]) -> dict[str, tuple[str, int]]:
    """Copy new or changed files into `.gas/objects/`; (SHA-1, size) by path.

    Sequential on purpose: on small files, threads only contend (measured: slower).
    """
    todo = [item for item in items if item.kind in ("untracked", "modified")]

    def store(item: ItemState) -> tuple[str, int]:
        known = item.entry.head_sum if item.entry else None
        return store_file(layout, layout.file(item.segment, item.path), known)

    return dict(zip((item.path for item in todo), map(store, todo), strict=True))


def _stage_item(state: State, item: ItemState, labels: dict[str, LabelLine],
                stored: tuple[str, int] | None, result: StageResult) -> None:
    line = labels.get(item.path)
    label = label_id(line.label) if line is not None else None
    if line is not None:
        state.put_object(line.label)
    if item.kind == "deleted":
        state.stage(item.segment, item.path, None, None, None)
        result.removed += 1
        return
    assert item.file is not None
    if item.kind == "clean":
        assert item.entry is not None
        if item.entry.label != label:
            state.set_label(item.segment, item.path, label)
            result.staged += 1
        return
    assert stored is not None
    checksum, size = stored
    state.stage(item.segment, item.path, checksum, size, label,
                trusted_mtime(item.file.mtime_ns), item.file.ino)
    result.staged += 1


def _stage_label(state: State, item: ItemState, labels: dict[str, LabelLine],
                 result: StageResult) -> None:
    line = labels.get(item.path)
    label = state.put_object(line.label) if line is not None and line.label else None
    assert item.entry is not None
    if item.entry.label != label:
        state.set_label(item.segment, item.path, label)
        result.staged += 1


def _stage_segment(layout: Layout, state: State, segment: str, specs: list[PathSpec],
                   matched: list[bool]) -> None:
    whole = [i for i, spec in enumerate(specs)
             if spec.segment in (None, segment) and not spec.prefix and not spec.catalog]
    if not whole:
        return
    exists = layout.segment_dir(segment).is_dir()
    if exists or state.segments().get(segment, (False, False))[1]:
        for i in whole:
            matched[i] = True
    state.stage_segment(segment, exists)


def _check_label_targets(layout: Layout, segment: str, labels: dict[str, LabelLine]) -> None:
    for path, line in labels.items():
        if not layout.file(segment, path).is_file():
            raise GasError(
                f"{segment}/{METADATA}:{line.line}: label for {path!r}, which is not a file in"
                f" {segment}/", "add the file, or remove the line")


def _check_matched(specs: list[PathSpec], matched: list[bool]) -> None:
    for spec, hit in zip(specs, matched, strict=True):
        if not hit:
            name = CATALOG if spec.catalog else f"{spec.segment}/{spec.prefix}".rstrip("/")
            raise PathspecError(f"pathspec {name!r} did not match any files",
                                "check the path; `gas status` lists what can be added")


def unstage(state: State, specs: list[PathSpec]) -> StageResult:
    """`gas restore --staged`: the index takes HEAD's values again for these paths."""
    result = StageResult()
    with state.transaction():
        for entry in list(state.staged_changes()):
            if any(spec.covers(entry.segment, entry.path) for spec in specs):
                state.stage(entry.segment, entry.path, entry.head_sum, entry.head_size,
                            entry.head_label)
                result.staged += 1
        for name, (in_head, staged) in state.segments().items():
            if in_head != staged and any(s.segment in (None, name) and not s.catalog
                                         and not s.prefix for s in specs):
                state.stage_segment(name, in_head)
        if any(spec.catalog or spec == EVERYTHING for spec in specs):
            state.set("staged_catalog", state.get("head_catalog", ""))
    return result


def remove(layout: Layout, state: State, specs: list[PathSpec], cached: bool,
           force: bool = False) -> StageResult:
    """`gas rm`: stage the deletion of tracked items; also delete the files unless cached."""
    result = StageResult()
    targets = [e for e in state.entries() if e.sum is not None
               and any(spec.covers(e.segment, e.path) for spec in specs)]
    if not targets:
        raise PathspecError("no tracked file matches " + ", ".join(
            f"{s.segment}/{s.prefix}".rstrip("/") for s in specs), "see `gas status`")
    if not cached and not force:
        _refuse_unsaved(layout, targets)
    with state.transaction():
        for entry in targets:
            state.stage(entry.segment, entry.path, None, None, None)
            result.removed += 1
    if not cached:
        _delete_files(layout, targets)
    return result


def _refuse_unsaved(layout: Layout, targets: Iterable[Entry]) -> None:
    changed = []
    for entry in targets:
        path = layout.file(entry.segment, entry.path)
        if path.is_file() and hash_file(path)[0] != entry.sum:
            changed.append(f"{entry.segment}/{entry.path}")
    if changed:
        raise GasError("these files have changes that are not staged: " + ", ".join(changed),
                       "stage or restore them first, or use --force to delete them anyway")


def _delete_files(layout: Layout, targets: list[Entry]) -> None:
    by_segment: dict[str, list[str]] = {}
    for entry in targets:
        by_segment.setdefault(entry.segment, []).append(entry.path)
    for segment, paths in by_segment.items():
        for path in paths:
            layout.file(segment, path).unlink(missing_ok=True)
        write_labels(layout, segment, dict.fromkeys(paths))
