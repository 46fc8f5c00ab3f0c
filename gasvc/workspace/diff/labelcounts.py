"""The label counts of the segments a diff changes, on both sides (model/labelstats.py).

Before: the old side's segment, whole (or the items the path filter names). A tree of a local
version is counted once and the counts are kept in the state database under the tree's manifest
id (a tree never changes); the index and the working tree are HEAD's tree corrected by their
overrides; a server version is listed from the server. After: before, less the changed items'
old labels, plus their new labels — so only the old side is ever read whole.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from gasvc.model.labelstats import LabelCounts, SegmentLabelStat, compare
from gasvc.model.snapshot import VersionState
from gasvc.workspace.diff.diff_result import DiffResult, covers_item, covers_whole_segment
from gasvc.workspace.store.state import State, is_fusion
from gasvc.workspace.versions.fusion import iterate_files
from gasvc.workspace.worktree.pathspec import PathSpec

#: Where a tree's counts are kept: the `meta` key CACHE + manifest id.
CACHE = "labelcounts."
#: Finds a label by its object id.
Labels = Callable[[str], Any]


def label_stats(result: DiffResult, before: Callable[[str], LabelCounts]
                ) -> list[SegmentLabelStat]:
    """Per segment with changes, in name order: `before(segment)` and it with the changes."""
    items = defaultdict(list)
    for item in result.items:
        items[item.segment].append(item)
    stats = []
    for segment in sorted(items.keys() | {s.name for s in result.segments}):
        old = before(segment)
        new = old.copy()
        for item in items[segment]:
            if item.code != "A":
                new.add(item.old_label, -1)
            if item.code != "D":
                new.add(item.new_label)
        stats.append(compare(segment, old, new))
    return stats


def tree_counts(state: State, version: VersionState, segment: str, specs: tuple[PathSpec, ...]
                ) -> LabelCounts:
    """The counts of a local version's segment (of the items `specs` name; a fusion segment's
    files), cached for the whole tree."""
    ref = version.tree(segment)
    if ref.manifest is None:
        return LabelCounts()
    whole = covers_whole_segment(specs, segment)
    key = CACHE + ref.manifest
    cached = state.get(key) if whole else None
    if cached is not None:
        return LabelCounts.from_stored(json.loads(cached))
    ids: Counter[str | None] = Counter(
        item.label for path, item in iterate_files(state, version, segment, is_fusion(state))
        if whole or covers_item(specs, segment, path))
    counts = counted(ids, state.get_object)
    if whole:
        try:
            with state.transaction():
                state.set(key, json.dumps(counts.stored()))
        except sqlite3.OperationalError:  # a read-only or busy database: counted again next time
            pass
    return counts


def counted(ids: Counter[str | None], labels: Labels) -> LabelCounts:
    """The counts of items by label id (None: unlabelled), each label read once."""
    counts = LabelCounts()
    for label_id, times in ids.items():
        one = LabelCounts()
        one.add(labels(label_id) if label_id else None)
        counts.items += times * one.items
        counts.labelled += times * one.labelled
        for kind, number in one.objects.items():
            counts.objects[kind] += times * number
    return counts


def corrected(counts: LabelCounts, changes: Iterable[tuple[str | None, str | None, bool, bool]],
              labels: Labels) -> LabelCounts:
    """`counts` with items replaced: (old label id, new label id, had the item, has it)."""
    found = counts.copy()
    for old, new, had, has in changes:
        if had:
            found.add(labels(old) if old else None, -1)
        if has:
            found.add(labels(new) if new else None)
    return found


def listed_counts(details: Iterable[dict[str, Any]], segment: str,
                  specs: tuple[PathSpec, ...], plain: Callable[[dict[str, Any]], Any]
                  ) -> LabelCounts:
    """The counts of items listed by the server (data details), those `specs` name."""
    counts = LabelCounts()
    for detail in details:
        if covers_item(specs, segment, str(detail["remotePath"])):
            counts.add(plain(detail))
    return counts
