"""The working tree against the index: files by stat (hashing only what changed), labels by
`metadata.jsonl`, the catalog by its content. Shared by status, add and commit -a.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from gasvc.errors import ClientError
from gasvc.model.canon import content_id
from gasvc.model.metadata import METADATA, LabelLine, parse, read_text
from gasvc.model.names import is_utf8
from gasvc.model.strictjson import MAX_DEPTH, load_json
from gasvc.workspace.store.layout import CATALOG, Layout, segment_folder, shown_path
from gasvc.workspace.store.state import Entry, State
from gasvc.workspace.worktree.ignore import rules_at
from gasvc.workspace.worktree.scan import (
    FileStat,
    Ignoring,
    OnListing,
    hash_path,
    ignored_rows,
    labels_readable,
    outside_link,
    segment_names,
    stat_key,
    walk_segment,
)

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from gasvc.workspace.worktree.folders import Delta

#: The recorded stat of a `metadata.jsonl` that does not exist.
ABSENT = (-1, -1, 0)
#: A file read this soon after its mtime may change again within the same timestamp tick, so
#: its stat cannot prove it unchanged later ("racy git"). Whole-second timestamps (coarse file
#: systems) get the wider window.
RACY_NS = 100_000_000
COARSE_RACY_NS = 2_000_000_000


class BadCatalogFile(ClientError):
    """A `catalog.json` that gas cannot read."""


class ItemState(NamedTuple):
    """One item as the index and the working tree see it."""

    segment: str
    path: str
    entry: Entry | None
    file: FileStat | None
    checksum: str | None
    #: "clean", "modified", "deleted", "untracked", "gone" (absent everywhere), "link" (a
    #: symbolic link leading out of the workspace: not read, no file), "ignored" (untracked,
    #: and the ignore rules match it; a folder not walked ends with "/"), or, until hashed,
    #: "suspect" (stat changed, size did not)
    kind: str

    @property
    def key(self) -> str:
        """The item's workspace-relative path, as users see and type it."""
        return shown_path(self.segment, self.path)


def trusted_mtime(mtime_ns: int) -> int:
    """The mtime to record for a file just verified: 0 if too recent to trust later."""
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return 0 if time.time_ns() - mtime_ns < window else mtime_ns


def all_segments(layout: Layout, state: State) -> list[str]:
    """Segments of the index and the working tree (not folders whose name is not UTF-8: they
    cannot be tracked, and `gas add` refuses them)."""
    on_disk = {name for name in segment_names(layout.root) if is_utf8(name)}
    return sorted(on_disk | set(state.segments()))


def compare_files(layout: Layout, state: State, segment: str,
                  refresh: list[tuple[str, str, int, int]], report_clean: bool = True,
                  prefix: str = "", on_listing: OnListing | None = None,
                  ignore: bool = True, report_ignored: bool = False,
                  delta: Delta | None = None) -> Iterator[ItemState]:
    """Merge-join the segment's files (those under the folder `prefix`, if given; with a
    `delta`, only its files directly in `prefix`) with their index rows, in path order;
    appends stat refreshes to `refresh`, and tells `on_listing` each folder's listing (not a
    delta's: the caller has it).
    Untracked files the ignore rules match (unless not `ignore`) are left out, or reported as
    "ignored" with `report_ignored`.

    This is the hot loop of `gas status`: an unchanged file costs one stat and one comparison.
    Files whose stat changed but not their size are hashed in parallel, a window at a time.
    """
    window: list[ItemState] = []
    ignoring = Ignoring(str(layout.root), segment_folder(segment) + "/",
                        lambda folder: state.count_entries(segment, folder) > 0
                        ) if ignore else None
    if delta is None:
        files = walk_segment(layout.folder_path(segment), prefix, on_listing, ignoring)
        entries = state.entries(segment, prefix)
    else:
        files, entries = _delta_streams(state, segment, prefix, delta, ignoring)
    for item in _join(layout, segment, report_clean, files, entries):
        if item.kind == "ignored" and not report_ignored:
            continue
        window.append(item)
        if len(window) >= HASH_WINDOW:
            yield from _settle(layout, window, refresh, report_clean)
            window = []
    yield from _settle(layout, window, refresh, report_clean)


#: Items whose hashes are computed together (bounds memory; keeps the pool busy).
HASH_WINDOW = 512
_POOL: ThreadPoolExecutor | None = None


def thread_pool() -> ThreadPoolExecutor:
    """The process's pool for file I/O (hashing, copying): it overlaps reads and writes."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor  # not for a status of a clean tree

        _POOL = ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2))
    return _POOL


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it must make its own pool."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


def _delta_streams(state: State, segment: str, prefix: str, delta: Delta,
                   ignoring: Ignoring | None) -> tuple[Iterator[FileStat], Iterator[Entry]]:
    """The files of a folder's delta (folders.py), flagged as the ignore rules say, and their
    index rows: both in path order."""
    rows = [row for row in delta.rows if row[0] in delta.names]
    rules = rules_at(ignoring.root, ignoring.base + prefix) if ignoring and rows else None
    flags = ignored_rows(rows, prefix, ignoring, rules)
    files = [FileStat(prefix + name, size, mtime_ns, ino, flag)
             for (name, size, mtime_ns, ino), flag in zip(rows, flags, strict=True)]
    entries = state.entries_named(segment, sorted(prefix + name for name in delta.names))
    return iter(files), entries


def _join(layout: Layout, segment: str, report_clean: bool, files: Iterator[FileStat],
          entries: Iterator[Entry]) -> Iterator[ItemState]:
    """Items in path order; "suspect" ones (stat changed, same size) still need a hash.
    Unchanged files are skipped unless `report_clean`."""
    root, folder = str(layout.root), layout.folder_path(segment)
    file, entry = next(files, None), next(entries, None)
    while file is not None or entry is not None:
        if entry is None or (file is not None and file.path < entry.path):
            assert file is not None
            if file.ignored:
                yield ItemState(segment, file.path, None, file, None, "ignored")
            else:
                yield _unlinked(root, folder, ItemState(segment, file.path, None, file, None,
                                                        "untracked"))
            file = next(files, None)
        elif file is None or entry.path < file.path:
            kind = "deleted" if entry.sum is not None else "gone"
            yield ItemState(segment, entry.path, entry, None, None, kind)
            entry = next(entries, None)
        elif entry.sum is None and file.ignored:
            yield ItemState(segment, file.path, entry, file, None, "ignored")
            file, entry = next(files, None), next(entries, None)
        else:
            if (report_clean or file.mtime_ns != entry.mtime_ns or file.size != entry.size
                    or file.ino != entry.ino or entry.sum is None):
                item = _classify(segment, entry, file)
                yield item if item.kind == "clean" else _unlinked(root, folder, item)
            file, entry = next(files, None), next(entries, None)


def _unlinked(root: str, folder: str, item: ItemState) -> ItemState:
    """The item, or, when its file is a link leading out of the workspace, a "link" item
    (never read: what it points to is not the workspace's)."""
    if outside_link(root, os.path.join(folder, item.path)):
        return item._replace(file=None, checksum=None, kind="link")
    return item


def _classify(segment: str, entry: Entry, file: FileStat) -> ItemState:
    if entry.sum is None:
        return ItemState(segment, file.path, entry, file, None, "untracked")
    if file.mtime_ns == entry.mtime_ns and file.size == entry.size and file.ino == entry.ino:
        return ItemState(segment, file.path, entry, file, entry.sum, "clean")
    if file.size != entry.size:
        return ItemState(segment, file.path, entry, file, None, "modified")
    return ItemState(segment, file.path, entry, file, None, "suspect")


def _settle(layout: Layout, window: list[ItemState], refresh: list[tuple[str, str, int, int]],
            report_clean: bool) -> Iterator[ItemState]:
    suspects = [item for item in window if item.kind == "suspect"]
    if not suspects:
        yield from window
        return
    paths = (os.path.join(layout.folder_path(i.segment), i.path) for i in suspects)
    hashed = map(hash_path, paths) if len(suspects) < 4 else thread_pool().map(hash_path, paths)
    sums = dict(zip((id(item) for item in suspects), hashed, strict=True))
    for item in window:
        if item.kind == "suspect":
            assert item.entry is not None and item.file is not None
            checksum = sums[id(item)][0]
            if checksum == item.entry.sum:
                refresh.append((item.segment, item.path, trusted_mtime(item.file.mtime_ns),
                                item.file.ino))
                item = item._replace(checksum=checksum, kind="clean")
            else:
                item = item._replace(checksum=checksum, kind="modified")
        if report_clean or item.kind != "clean":
            yield item


@dataclass(frozen=True)
class SegmentLabels:
    """The labels of a segment's `metadata.jsonl`, or None when it matches the index."""

    labels: dict[str, LabelLine] | None
    stat: tuple[int, int, int]


def label_file_stat(layout: Layout, segment: str) -> tuple[int, int, int]:
    """The stat key of a segment's `metadata.jsonl` (ABSENT when there is none, or when it
    is reached through a link gas does not follow)."""
    if not labels_readable(layout, segment):
        return ABSENT
    try:
        return stat_key(os.stat(layout.metadata(segment)))
    except FileNotFoundError:
        return ABSENT


def read_labels(layout: Layout, state: State, segment: str) -> SegmentLabels:
    path = layout.metadata(segment)
    stat = label_file_stat(layout, segment)
    if stat == state.metadata_stat(segment) and stat[0] != 0:
        return SegmentLabels(None, stat)
    if stat == ABSENT:
        return SegmentLabels({}, stat)
    where = shown_path(segment, METADATA)
    return SegmentLabels(parse(read_text(path, where), where, segment_folder(segment)), stat)


def label_id(label: dict[str, Any] | None) -> str | None:
    return content_id(label) if label else None


def read_catalog(layout: Layout) -> dict[str, Any] | None:
    """The working tree's catalog, or None when `catalog.json` is absent."""
    if outside_link(str(layout.root), str(layout.catalog)):
        raise BadCatalogFile("catalog.json is a symbolic link leading out of the workspace; gas"
                             " does not read through it", "replace the link with the file itself")
    try:
        text = read_text(layout.catalog, CATALOG)
    except FileNotFoundError:
        return None
    try:
        catalog = load_json(text)
    except ValueError as error:
        raise BadCatalogFile(f"catalog.json: {error}",
                             "fix the file (standard JSON: finite numbers, no NaN or Infinity,"
                             f" nested at most {MAX_DEPTH} levels), or delete it to have no"
                             " catalog") from None
    if not isinstance(catalog, dict):
        raise BadCatalogFile("catalog.json must hold a JSON object keyed by label type")
    return catalog
