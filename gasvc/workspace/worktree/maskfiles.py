"""Mask images in the working tree against the label lines that point at them (model/masks.py).

A line records the checksum and size its mask image had when last staged (like a DVC pointer
file). The image is *changed* when its bytes differ from that record, or it is missing. Which
masks the lines point at comes from the lines when a segment's `metadata.jsonl` was read, else
from the staged labels (the file matches them), recorded per segment in `mask_refs` so that a
clean status reads no label. Images are read only when their stat changed since they were last
read (the `masks` stat cache, with compare.py's racy rule); and while `@masks/` lists exactly as
when the cache alone found it clean (`CLEAN_KEY`), not even the cache is looked at.

Files under `@masks/` that no line points at are untracked (`?? @masks/…`).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gasvc.model.masks import MASKED, MASKS_DIR, MaskRef, mask_changes, mask_path, masks_of
from gasvc.workspace.store.labellines import recorded_lines
from gasvc.workspace.store.layout import Layout, segment_folder
from gasvc.workspace.store.maskstore import (
    mask_stats,
    masked_labels,
    recorded_refs,
    staged_mask_changes,
)
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.compare import thread_pool, trusted_mtime
from gasvc.workspace.worktree.scan import FileStat, Ignoring, hash_path, list_folder, walk_segment

#: meta key: the fingerprint of the mask images last found clean by their stat cache alone
CLEAN_KEY = "masks.clean"
#: A segment's masks by item path, as its lines record them (None: its `metadata.jsonl` was not
#: read, because it matches the index).
LineMasks = dict[str, tuple[MaskRef, ...]]


@dataclass(frozen=True)
class MaskFile:
    """A mask a line points at, and its image in the working tree."""

    segment: str
    item: str
    kind: str
    path: str  # workspace-relative: "@masks/train/a.jpg.semantic.png"
    recorded: tuple[str | None, int | None]  # (checksum, size) the line records
    current: tuple[str, int] | None  # the image's, None when it is missing

    @property
    def changed(self) -> bool:
        return self.current != self.recorded

    @property
    def code(self) -> str:
        """As status shows a changed mask: "D" missing, "A" new (its line records no image
        yet), else "M"."""
        if self.current is None:
            return "D"
        return "A" if self.recorded[0] is None else "M"


@dataclass
class MaskCheck:
    masks: list[MaskFile] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)
    #: stat cache rows of images just read: (path, checksum, size, mtime_ns, inode)
    refresh: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    #: segments whose staged masks were worked out now: (segment, JSON) to record
    refs: list[tuple[str, str]] = field(default_factory=list)
    #: images the lines of untracked items point at (neither checked nor untracked)
    claimed: list[str] = field(default_factory=list)
    #: the fingerprint to record as clean (CLEAN_KEY), if this check found it clean
    clean: str | None = None

    @property
    def changed(self) -> list[MaskFile]:
        return [mask for mask in self.masks if mask.changed]


def _staged_text(state: State, segment: str, fresh: list[tuple[str, str]]) -> str:
    """The masks of a segment's staged labels (JSON text, item path → its masks): as recorded
    in `mask_refs`, else read from the labels (then appended to `fresh`, to be recorded)."""
    text = recorded_refs(state, segment)
    if text is not None:
        return text
    if _recorded_lines_name_no_mask(state, segment):
        fresh.append((segment, "{}"))
        return "{}"
    found: LineMasks = {}
    for path, data in masked_labels(state, segment):
        refs = tuple(masks_of(json.loads(data)))
        if refs:
            found[path] = refs
    text = json.dumps({p: [list(r) for r in refs] for p, refs in found.items()})
    fresh.append((segment, text))
    return text


def _recorded_lines_name_no_mask(state: State, segment: str) -> bool:
    """Whether the segment's recorded label lines (store/labellines.py: a line for every staged
    item with a label, each matching it) show that no staged label holds a mask: none names a
    mask type's key, and none has a \\u escape that could spell one. Then the labels are not
    read (after an add, the first status would read every one)."""
    lines = recorded_lines(state, segment)
    return lines is not None and MASKED.encode() not in lines and b"\\u" not in lines


def _parsed(text: str) -> LineMasks:
    return {path: tuple(MaskRef(*ref) for ref in refs) for path, refs in json.loads(text).items()}


def line_masks(labels: Mapping[str, Iterable[MaskRef]]) -> LineMasks:
    """The masks of label lines (item path → its masks), those without left out."""
    return {path: tuple(refs) for path, refs in labels.items() if refs}


def check_masks(layout: Layout, state: State, lines: Mapping[str, LineMasks | None],
                claimed: Iterable[str] = (), trust: bool = False) -> MaskCheck:
    """Every mask the lines of the segments in `lines` point at, against its image; and the
    files under `@masks/` no line points at (`claimed` images aside).

    With `trust` (the ignore rules unchanged), when every segment's lines are its staged labels
    and `@masks/` lists exactly as when it was last found clean by the stat cache alone (its
    fingerprint, CLEAN_KEY), it is clean again: no image is looked at one by one."""
    check, claimed = MaskCheck(), list(claimed)
    texts = {segment: _staged_text(state, segment, check.refs)
             for segment, found in lines.items() if found is None}
    fingerprint = None
    if trust and not claimed and len(texts) == len(lines):
        fingerprint = _fingerprint(layout, texts)
        if fingerprint == state.get(CLEAN_KEY):
            return check
    on_disk = {file.path: file for file in _mask_files(layout)}
    for path in claimed:
        on_disk.pop(path[len(MASKS_DIR) + 1:], None)
    stats = mask_stats(state)
    hashing: list[tuple[MaskFile, FileStat]] = []
    for segment, found in sorted(lines.items()):
        masks = found if found is not None else _parsed(texts[segment])
        folder = segment_folder(segment)
        for item, refs in sorted(masks.items()):
            for ref in refs:
                path = mask_path(folder, item, ref.kind)
                mask = MaskFile(segment, item, ref.kind, path, (ref.checksum, ref.size), None)
                file = on_disk.pop(path[len(MASKS_DIR) + 1:], None)
                cached = stats.get(path)
                if file is None:
                    check.masks.append(mask)
                elif cached is not None and cached[1:] == (file.size, file.mtime_ns, file.ino):
                    check.masks.append(_current(mask, cached[0], file.size))
                else:
                    hashing.append((mask, file))
    paths = [os.path.join(layout.root, m.path) for m, _ in hashing]
    sums = thread_pool().map(hash_path, paths) if paths else iter(())  # no pool: none to hash
    for (mask, file), (checksum, size) in zip(hashing, sums, strict=True):
        check.masks.append(_current(mask, checksum, size))
        check.refresh.append((mask.path, checksum, size, trusted_mtime(file.mtime_ns), file.ino))
    check.untracked = sorted(f"{MASKS_DIR}/{path}" for path, file in on_disk.items()
                             if not file.ignored)
    if fingerprint is not None and not (hashing or on_disk or check.changed):
        check.clean = fingerprint  # listed before the images were checked: never too new
    return check


def _fingerprint(layout: Layout, texts: Mapping[str, str]) -> str:
    """The SHA-1 of the staged masks of the segments and of the listing (names and stats) of
    every folder under `@masks/`."""
    digest = hashlib.sha1(json.dumps(sorted(texts.items())).encode())
    root = os.path.join(layout.root, MASKS_DIR)
    if os.path.islink(root):
        return digest.hexdigest()
    folders = [""]
    while folders:
        prefix = folders.pop()
        rows = list_folder(os.path.join(root, prefix), top=False)
        digest.update(marshal.dumps((prefix, rows)))
        folders += [prefix + row[0] for row in rows if row[0].endswith("/")]
    return digest.hexdigest()


def _current(mask: MaskFile, checksum: str, size: int) -> MaskFile:
    return MaskFile(mask.segment, mask.item, mask.kind, mask.path, mask.recorded,
                    (checksum, size))


def _mask_files(layout: Layout) -> list[FileStat]:
    """The files under `@masks/` (paths below it), ignored ones flagged; none when it is a
    link or no folder."""
    folder = os.path.join(layout.root, MASKS_DIR)
    if os.path.islink(folder) or not os.path.isdir(folder):
        return []
    walked = Ignoring(str(layout.root), MASKS_DIR + "/", lambda _: True)
    return list(walk_segment(folder, ignoring=walked))


def staged_mask_files(state: State) -> list[tuple[str, str]]:
    """(mask file path, code A/M/D) of the masks whose image the index changes from HEAD's."""
    found = []
    for segment, path, old, new in staged_mask_changes(state):
        folder = segment_folder(segment)
        found += [(mask_path(folder, path, kind), "A" if a is None else "D" if b is None else "M")
                  for kind, a, b in mask_changes(json.loads(old) if old else None,
                                                 json.loads(new) if new else None)]
    return found
