"""`gas rm`: stage the deletion of tracked items, and delete their files unless `--cached`.

An item goes with what is its own: its line in `metadata.jsonl`, its mask images (those its
staged label or its line names: `@masks/…`), and, in a fusion segment, its data in its frame
(`frames.jsonl`, staged and working: a frame left without data goes). A mask image named alone
(`gas rm @masks/train/a.jpg.semantic.png`) removes that mask from its item's label, not the
item. `--cached` changes the index only: the working files, lines and frames stay as they are
(and then show as untracked, or as changes not staged). Without `--force`, files whose working
bytes are not the staged ones are refused (an edited item or mask image, or an image its line
names that was never staged), so nothing unsaved is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gasvc.errors import ClientError
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.masks import mask_path, masks_of
from gasvc.model.metadata import LabelLine
from gasvc.workspace.store.layout import Layout, WriteGuard, segment_folder, shown_path
from gasvc.workspace.store.state import Entry, State, is_fusion
from gasvc.workspace.worktree.maskstage import item_masks
from gasvc.workspace.worktree.metafile import read_lines, write_labels
from gasvc.workspace.worktree.pathspec import PathSpec
from gasvc.workspace.worktree.scan import hash_file, outside_link
from gasvc.workspace.worktree.stage import PathspecError, StageResult

if TYPE_CHECKING:
    from gasvc.workspace.worktree.fusion_rm import FramesWithout


class UnstagedChanges(ClientError):
    """Files whose working copy differs from what is staged, asked to be removed."""


@dataclass
class Removal:
    """What one `gas rm` changes: index rows, then (unless cached) working files."""

    items: list[Entry]
    #: (index row, mask type) of masks named alone, their items kept
    masks: list[tuple[Entry, str]]
    #: the working lines of the segments touched (none read with --cached)
    lines: dict[str, dict[str, LabelLine]] = field(default_factory=dict)

    def segments(self) -> set[str]:
        return {e.segment for e in self.items} | {e.segment for e, _ in self.masks}


def remove(layout: Layout, state: State, specs: list[PathSpec], cached: bool,
           force: bool = False) -> StageResult:
    """`gas rm` of the specs (see the module's doc)."""
    removal = _removal(state, specs)
    images: dict[Path, None] = {}  # the mask images to delete (none with --cached)
    if not cached:
        images = dict.fromkeys(_staged_images(layout, state, removal))
        removal.lines = _working_lines(layout, removal.segments())  # each must read
        images.update(dict.fromkeys(_line_images(layout, removal)))
        guard = WriteGuard(layout)
        guard.check_all(layout.metadata(segment) for segment in removal.segments())
        guard.check_all(layout.file(e.segment, e.path) for e in removal.items)
        guard.check_all(images)
    if not cached and not force:
        _refuse_unsaved(layout, state, removal, list(images))
    frames = _fusion_frames(layout, state, removal.items, cached)
    result = StageResult()
    with state.transaction():
        for entry in removal.items:
            state.stage(entry.segment, entry.path, None, None, None)
            result.removed += 1
        for entry, kind in removal.masks:
            state.set_label(entry.segment, entry.path, _label_without(state, entry, kind))
            result.removed += 1  # (an image, staged as deleted through its label)
        if frames is not None:
            frames.stage(state)
        for segment in removal.segments():  # read its labels again: they no longer match
            state.set_metadata_stat(segment, (0, -1, 0))
    if not cached:
        _delete_files(layout, removal)
        for path in images:
            path.unlink(missing_ok=True)
        if frames is not None:
            frames.write_working()
    return result


def _removal(state: State, specs: list[PathSpec]) -> Removal:
    """The tracked items the specs name, and the masks named alone (of items not removed)."""
    items = [spec for spec in specs if not spec.mask]
    targets = [e for e in state.entries() if e.sum is not None
               and any(spec.covers(e.segment, e.path) for spec in items)]
    named = {(e.segment, e.path) for e in targets}
    masks: list[tuple[Entry, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for spec in specs:
        if not spec.mask or spec.segment is None or (spec.segment, spec.prefix) in named:
            continue
        entry = state.entry(spec.segment, spec.prefix)
        if entry is None or entry.sum is None or spec.mask not in _kinds(state, entry):
            raise PathspecError(f"{spec.shown} is no staged mask",
                                "`gas status` lists the masks; a mask no label has staged"
                                " yet is dropped by removing it from its item's line")
        if (entry.segment, entry.path, spec.mask) not in seen:
            seen.add((entry.segment, entry.path, spec.mask))
            masks.append((entry, spec.mask))
    if not targets and not masks:
        raise PathspecError("no tracked file matches " + ", ".join(s.shown for s in specs),
                            "see `gas status`")
    return Removal(targets, masks)


def _kinds(state: State, entry: Entry) -> set[str]:
    return {ref.kind for ref in masks_of(state.get_object(entry.label))} if entry.label else set()


def _label_without(state: State, entry: Entry, kind: str) -> str | None:
    """The id of the item's staged label (as staged now: another of its masks may have gone
    already) without its `kind` mask; stored if new."""
    staged = state.entry(entry.segment, entry.path)
    assert staged is not None and staged.label is not None
    label = {key: value for key, value in state.get_object(staged.label).items() if key != kind}
    if not label:
        return None
    data = canonical_json(label)
    state.put_json(sha1_hex(data), data)
    return sha1_hex(data)


def _staged_images(layout: Layout, state: State, removal: Removal) -> Iterator[Path]:
    """The images of the removed items' staged masks, and of the masks named alone."""
    for path, _ in item_masks(layout, state, removal.items):
        yield path
    for entry, kind in removal.masks:
        yield layout.root / mask_path(segment_folder(entry.segment), entry.path, kind)


def _line_images(layout: Layout, removal: Removal) -> Iterator[Path]:
    """The images the working lines of the removed items name (staged or not)."""
    for entry in removal.items:
        line = removal.lines.get(entry.segment, {}).get(entry.path)
        folder = segment_folder(entry.segment)
        for ref in masks_of(line.label if line else None):
            yield layout.root / mask_path(folder, entry.path, ref.kind)


def _working_lines(layout: Layout, segments: Iterable[str]) -> dict[str, dict[str, LabelLine]]:
    """The `metadata.jsonl` lines rm rewrites: each file must read (a bad line raises its
    error) before anything changes, or the rewrite would fail with files already deleted."""
    return {segment: read_lines(layout, segment) for segment in sorted(segments)}


def _refuse_unsaved(layout: Layout, state: State, removal: Removal, images: list[Path]) -> None:
    """Refuse when a file to delete holds bytes that are not staged: an item's, or a mask
    image's (the staged one's checksum differs, or no label staged it)."""
    changed: list[str] = []
    root = str(layout.root)
    for entry in removal.items:
        path = layout.file(entry.segment, entry.path)
        if outside_link(root, str(path)) or (path.is_file() and hash_file(path)[0] != entry.sum):
            changed.append(shown_path(entry.segment, entry.path))
    staged = {path: checksum for path, checksum in item_masks(layout, state, removal.items)}
    for entry, kind in removal.masks:
        checksum = next(ref.checksum for ref in masks_of(state.get_object(str(entry.label)))
                        if ref.kind == kind)
        staged[layout.root / mask_path(segment_folder(entry.segment), entry.path, kind)] = (
            str(checksum))
    for image in images:
        if image.is_file() and hash_file(image)[0] != staged.get(image):
            changed.append(image.relative_to(layout.root).as_posix())
    if changed:
        raise UnstagedChanges("these files have changes that are not staged: " + ", ".join(changed),
                              "stage or restore them first, or use --force to delete them anyway")


def _delete_files(layout: Layout, removal: Removal) -> None:
    """The items' files, and their lines; the masks named alone leave their items' lines."""
    updates: dict[str, dict[str, dict[str, Any] | None]] = {}
    for entry in removal.items:
        layout.file(entry.segment, entry.path).unlink(missing_ok=True)
        updates.setdefault(entry.segment, {})[entry.path] = None
    for entry, kind in removal.masks:
        line = removal.lines.get(entry.segment, {}).get(entry.path)
        if line is not None and kind in line.label:
            label = updates.setdefault(entry.segment, {}).get(entry.path, line.label)
            updates[entry.segment][entry.path] = {k: v for k, v in (label or {}).items()
                                                  if k != kind} or None
    for segment, labels in updates.items():  # each file as read before anything changed
        write_labels(layout, segment, labels, removal.lines[segment])


def _fusion_frames(layout: Layout, state: State, items: list[Entry], cached: bool
                   ) -> FramesWithout | None:
    """In a fusion workspace, the frames without the removed data (fusion_rm.py); else None."""
    if not items or not is_fusion(state):
        return None
    from gasvc.workspace.worktree.fusion_rm import FramesWithout

    return FramesWithout.of(layout, state, items, cached)
