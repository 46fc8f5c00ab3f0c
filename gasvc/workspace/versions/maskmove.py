"""The mask images of a move of the working tree (checkout, switch, pull; see checkout.py): an
item whose label changes gets the images of its new label's masks in `@masks/` (model/masks.py),
and loses those its new label no longer has. Images come from the move's `BlobSource` like data
files, by checksum; a changed, untracked or ignored image where the move writes one is a
conflict like a data file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gasvc.model.masks import KINDS, MASKS_DIR, MaskRef, mask_path, masks_of, parse_mask_path
from gasvc.model.snapshot import Item
from gasvc.workspace.store.layout import Layout, folder_segment, segment_folder, split_shown
from gasvc.workspace.store.maskstore import drop_mask_stats, set_mask_stats
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.compare import trusted_mtime
from gasvc.workspace.worktree.scan import hash_path

#: (segment, path, old item, new item) of an item a move changes (checkout.ItemMove).
Change = tuple[str, str, Item | None, Item | None]


@dataclass(frozen=True)
class MaskMove:
    """One mask image a move writes (`new`) or removes (`new` None)."""

    segment: str
    item: str
    kind: str
    path: str  # workspace-relative
    old: MaskRef | None
    new: MaskRef | None


def mask_moves(layout: Layout, state: State, changes: Iterable[Change],
               forced: Item) -> list[MaskMove]:
    """The mask images that differ between the old and new labels of the changed items; for
    an item whose old side is `forced` (rewritten whatever is on disk), every image of its new
    label, and the removal of any other image of the item that is there."""
    moves = []
    for segment, path, before, after in changes:
        old_label = before.label if before is not None else None
        new_label = after.label if after is not None else None
        if old_label == new_label and before is not forced:
            continue
        old = {} if before is forced else _masks(state, old_label)
        new = _masks(state, new_label)
        folder = segment_folder(segment)
        for kind in KINDS:
            shown = mask_path(folder, path, kind)
            a, b = old.get(kind), new.get(kind)
            if before is forced and b is None and os.path.lexists(layout.root / shown):
                moves.append(MaskMove(segment, path, kind, shown, None, None))
            elif a != b or (before is forced and b is not None):
                moves.append(MaskMove(segment, path, kind, shown, a, b))
    return moves


def _masks(state: State, label: str | None) -> dict[str, MaskRef]:
    return {ref.kind: ref for ref in masks_of(state.get_object(label) if label else None)}


def item_of_path(shown: str) -> tuple[str | None, str]:
    """(segment, path) of the item a workspace-relative path stands for: a mask image's item,
    else `split_shown`'s."""
    found = parse_mask_path(shown)
    if found is None:
        return split_shown(shown)
    folder, item, _ = found
    return folder_segment(folder), item


def staged_mask(state: State, shown: str) -> tuple[str, str, str, int, str] | None:
    """(segment, item path, checksum, size, mask type) of the image the staged label of its
    item has at the mask image path `shown`; None if it is no such path, or the label has no
    image there."""
    found = parse_mask_path(shown)
    segment = folder_segment(found[0]) if found is not None else None
    if found is None or segment is None:
        return None
    entry = state.entry(segment, found[1])
    if entry is None or entry.sum is None or entry.label is None:
        return None
    for ref in masks_of(state.get_object(entry.label)):
        if ref.kind == found[2] and ref.checksum is not None:
            return segment, found[1], ref.checksum, int(ref.size or 0), ref.kind
    return None


def stale_images(layout: Layout, labels: dict[str, dict[str, dict[str, Any]]],
                 planned: set[Path], make: Callable[..., Any]) -> list[Any]:
    """`gas restore` of labels (segment → item → staged label): the `Fetch`es (built by
    `make`) of their masks' images that are missing or hold other bytes, and not `planned`."""
    found = []
    for segment, items in labels.items():
        folder = segment_folder(segment)
        for path, label in items.items():
            for ref in masks_of(label):
                target = layout.root / mask_path(folder, path, ref.kind)
                if ref.checksum is None or target in planned or (
                        target.is_file() and hash_path(str(target))[0] == ref.checksum):
                    continue
                found.append(make(segment, path, ref.checksum, int(ref.size or 0), target,
                                  mask=ref.kind))
    return found


def kept_masks(layout: Layout, moves: list[MaskMove]) -> set[str]:
    """Images a move would write where a file is that no old label points at (it may be
    ignored, so not in status's untracked list: it is data all the same)."""
    return {move.path for move in moves if move.old is None and move.new is not None
            and os.path.lexists(layout.root / move.path)}


def mask_targets(layout: Layout, moves: list[MaskMove]) -> list[Path]:
    return [layout.root / move.path for move in moves]


def write_masks(layout: Layout, state: State, moves: list[MaskMove],
                fetch: Callable[[list[Any]], None], make: Callable[..., Any]) -> int:
    """Remove and write the images (`make(segment, path, checksum, size, target, mask=kind)`
    builds a `Fetch`, `fetch` runs them); records the written images' stats. Returns how many
    images were written."""
    fetches = []
    for move in moves:
        target = layout.root / move.path
        if move.new is None:
            target.unlink(missing_ok=True)
            _prune(target.parent, layout.root / MASKS_DIR)
        else:
            assert move.new.checksum is not None and move.new.size is not None
            fetches.append(make(move.segment, move.item, move.new.checksum, move.new.size,
                                target, mask=move.kind))
    fetch(fetches)
    rows = []
    for move in moves:
        if move.new is not None:
            st = os.stat(layout.root / move.path)
            rows.append((move.path, str(move.new.checksum), int(move.new.size or 0),
                         trusted_mtime(st.st_mtime_ns), st.st_ino))
    with state.transaction():
        drop_mask_stats(state, [move.path for move in moves if move.new is None])
        set_mask_stats(state, rows)
    return len(fetches)


def _prune(folder: Path, stop: Path) -> None:
    """Remove the folders a removed image leaves empty, up to `@masks/` itself."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
