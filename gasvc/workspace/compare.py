"""The working tree against the index: files by stat (hashing only what changed), labels by
`metadata.jsonl`, the catalog by its content. Shared by status, add and commit -a.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from gasvc.errors import GasError
from gasvc.model.canon import content_id
from gasvc.model.metadata import LabelLine, parse
from gasvc.workspace.layout import Layout
from gasvc.workspace.scan import FileStat, hash_file, segment_names, stat_key, walk_segment
from gasvc.workspace.state import Entry, State

#: The recorded stat of a `metadata.jsonl` that does not exist.
ABSENT = (-1, -1, 0)
#: A stat taken this close to the file's mtime cannot prove the file unchanged (racy git).
RACY_NS = 2_000_000_000


class ItemState(NamedTuple):
    """One item as the index and the working tree see it."""

    segment: str
    path: str
    entry: Entry | None
    file: FileStat | None
    checksum: str | None
    kind: str  # "clean", "modified", "deleted", "untracked", "gone" (absent everywhere)

    @property
    def key(self) -> str:
        return f"{self.segment}/{self.path}"


def trusted_mtime(mtime_ns: int) -> int:
    """The mtime to record for a file just verified: 0 if too recent to trust later."""
    return 0 if time.time_ns() - mtime_ns < RACY_NS else mtime_ns


def all_segments(layout: Layout, state: State) -> list[str]:
    return sorted(set(segment_names(layout.root)) | set(state.segments()))


def compare_files(layout: Layout, state: State, segment: str,
                  refresh: list[tuple[str, str, int, int]], report_clean: bool = True
                  ) -> Iterator[ItemState]:
    """Merge-join the segment's files with its index rows; appends stat refreshes to `refresh`.

    This is the hot loop of `gas status`: an unchanged file costs one stat and one comparison.
    """
    files = walk_segment(layout.root, segment)
    entries = state.entries(segment)
    file, entry = next(files, None), next(entries, None)
    while file is not None or entry is not None:
        if entry is None or (file is not None and file.path < entry.path):
            assert file is not None
            yield ItemState(segment, file.path, None, file, None, "untracked")
            file = next(files, None)
        elif file is None or entry.path < file.path:
            kind = "deleted" if entry.sum is not None else "gone"
            yield ItemState(segment, entry.path, entry, None, None, kind)
            entry = next(entries, None)
        else:
            if (report_clean or entry.sum is None or file.size != entry.size
                    or file.mtime_ns != entry.mtime_ns or file.ino != entry.ino):
                item = _compare(layout, segment, entry, file, refresh)
                if report_clean or item.kind != "clean":
                    yield item
            file, entry = next(files, None), next(entries, None)


def _compare(layout: Layout, segment: str, entry: Entry, file: FileStat,
             refresh: list[tuple[str, str, int, int]]) -> ItemState:
    if entry.sum is None:
        return ItemState(segment, file.path, entry, file, None, "untracked")
    if (file.size, file.mtime_ns, file.ino) == (entry.size, entry.mtime_ns, entry.ino):
        return ItemState(segment, file.path, entry, file, entry.sum, "clean")
    if file.size != entry.size:
        return ItemState(segment, file.path, entry, file, None, "modified")
    checksum, _ = hash_file(layout.file(segment, file.path))
    if checksum == entry.sum:
        refresh.append((segment, file.path, trusted_mtime(file.mtime_ns), file.ino))
        return ItemState(segment, file.path, entry, file, checksum, "clean")
    return ItemState(segment, file.path, entry, file, checksum, "modified")


@dataclass(frozen=True)
class SegmentLabels:
    """The labels of a segment's `metadata.jsonl`, or None when it matches the index."""

    labels: dict[str, LabelLine] | None
    stat: tuple[int, int, int]


def read_labels(layout: Layout, state: State, segment: str, force: bool = False
                ) -> SegmentLabels:
    path = layout.metadata(segment)
    try:
        stat = stat_key(os.stat(path))
    except FileNotFoundError:
        stat = ABSENT
    if not force and stat == state.metadata_stat(segment) and stat[0] != 0:
        return SegmentLabels(None, stat)
    if stat == ABSENT:
        return SegmentLabels({}, stat)
    text = path.read_text(encoding="utf-8")
    return SegmentLabels(parse(text, f"{segment}/metadata.jsonl"), stat)


def label_id(label: dict[str, Any] | None) -> str | None:
    return content_id(label) if label else None


def read_catalog(layout: Layout) -> dict[str, Any] | None:
    """The working tree's catalog, or None when `catalog.json` is absent."""
    try:
        text = layout.catalog.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        catalog = json.loads(text)
    except ValueError as error:
        raise GasError(f"catalog.json is not valid JSON: {error}",
                       "fix the file, or delete it to have no catalog") from None
    if not isinstance(catalog, dict):
        raise GasError("catalog.json must hold a JSON object keyed by label type")
    return catalog
