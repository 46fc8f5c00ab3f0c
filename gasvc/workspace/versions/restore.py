"""`gas restore PATH`: working files, mask images and labels take their staged values again."""

from __future__ import annotations

import os
from typing import Any

from gasvc.workspace.store.layout import Layout, WriteGuard, split_shown
from gasvc.workspace.store.maskstore import set_mask_stats
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.checkout import BlobSource, Fetch, MoveResult
from gasvc.workspace.versions.maskmove import staged_mask, stale_images
from gasvc.workspace.worktree.compare import trusted_mtime
from gasvc.workspace.worktree.metafile import write_labels
from gasvc.workspace.worktree.status import worktree_changes


def restore_worktree(layout: Layout, state: State, covers: Any, source: BlobSource
                     ) -> MoveResult:
    """`gas restore PATH`: working files and labels take their staged values again.

    `covers(segment, path) -> bool` selects the items.
    """
    unstaged, _ = worktree_changes(layout, state)
    result = MoveResult()
    fetches: list[Fetch] = []
    labels: dict[str, dict[str, Any]] = {}
    for change in unstaged:
        segment, path = split_shown(change.path)
        mask = staged_mask(state, change.path) if segment is None else None
        if mask is not None and covers(mask[0], mask[1]):
            fetches.append(Fetch(*mask[:4], layout.root / change.path, mask=mask[4]))
            result.changed_paths.append(change.path)
        if segment is None or not path or not covers(segment, path):
            continue
        entry = state.entry(segment, path)
        if entry is None or entry.sum is None:
            continue
        if change.code in ("M", "D"):
            fetches.append(Fetch(segment, path, entry.sum, entry.size or 0,
                                 layout.file(segment, path)))
        labels.setdefault(segment, {})[path] = (
            state.get_object(entry.label) if entry.label else {})
        result.changed_paths.append(change.path)
    fetches += stale_images(layout, labels, {f.target for f in fetches}, Fetch)
    guard = WriteGuard(layout)
    guard.check_all(fetch.target for fetch in fetches)
    guard.check_all(layout.metadata(segment) for segment in labels)
    source.fetch(fetches)
    result.written = len(fetches)
    with state.transaction():
        for fetch in fetches:
            st = os.stat(fetch.target)
            if fetch.mask:
                set_mask_stats(state, [(str(fetch.target.relative_to(layout.root)),
                                        fetch.checksum, fetch.size,
                                        trusted_mtime(st.st_mtime_ns), st.st_ino)])
                continue
            state.refresh_stat(fetch.segment, fetch.path, trusted_mtime(st.st_mtime_ns),
                               st.st_ino)
    for segment, updates in labels.items():
        write_labels(layout, segment, {p: label or None for p, label in updates.items()})
    return result
