"""`gas add` of labels with masks: a line's masks take the checksum and size of their images
as they are now (a changed image is staged through its label), the images are copied into
`.gas/objects/` like data files, and the lines are written again with what was staged (like
`dvc add` rewrites its pointer file). See model/masks.py for the forms of a mask.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gasvc.errors import ClientError
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.masks import mask_path, masks_of, with_mask_file
from gasvc.model.metadata import METADATA, parse, read_text
from gasvc.workspace.store.layout import Layout, segment_folder, shown_path
from gasvc.workspace.store.maskstore import MaskStat, mask_stats, set_mask_stats
from gasvc.workspace.store.objects import ObjectStore, has_object
from gasvc.workspace.store.state import Entry, State
from gasvc.workspace.worktree.compare import trusted_mtime
from gasvc.workspace.worktree.metafile import LabelRef
from gasvc.workspace.worktree.pathspec import PathSpec
from gasvc.workspace.worktree.scan import hash_path, outside_link


class MaskNotStaged(ClientError):
    """A mask whose image cannot be staged: missing, not a file, or changed while added."""


def resolve(layout: Layout, state: State, segment: str, refs: dict[str, LabelRef]
            ) -> dict[str, LabelRef]:
    """The refs, each line with masks resolved: its label as `gas add` would stage it (the
    images' checksums and sizes), flagged for `rewrite` when that differs from the line, or
    with the `problem` that keeps it from being staged."""
    masked = [path for path, ref in refs.items() if ref.masks]
    if not masked:
        return refs
    stats, folder, resolved = mask_stats(state), segment_folder(segment), dict(refs)
    for path in masked:
        ref = refs[path]
        assert ref.data is not None  # a line with masks is always parsed
        label: dict[str, Any] = json.loads(ref.data)
        for mask in ref.masks:
            shown = mask_path(folder, path, mask.kind)
            current = _current(layout, shown, stats)
            if current is None:
                where = f"{shown_path(segment, METADATA)}:{ref.line}"
                resolved[path] = ref._replace(problem=(
                    f"{where}: the {mask.kind} of {path!r} is the image {shown!r}, which is"
                    " not a file", f"put the mask image at {shown}, or remove {mask.kind}"
                    " from the label"))
                break
            label = with_mask_file(label, mask.kind, *current)
        else:
            data = canonical_json(label)
            resolved[path] = LabelRef(ref.line, sha1_hex(data), data, tuple(masks_of(label)),
                                      rewrite=data != ref.data)
    return resolved


def _current(layout: Layout, shown: str, stats: dict[str, MaskStat]) -> tuple[str, int] | None:
    """(checksum, size) of a mask image now; None when it is no file gas reads."""
    path = os.path.join(layout.root, shown)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not os.path.isfile(path) or outside_link(str(layout.root), path):
        return None
    cached = stats.get(shown)
    if cached is not None and cached[1:] == (st.st_size, st.st_mtime_ns, st.st_ino):
        return cached[0], st.st_size
    return hash_path(path)


@dataclass
class MaskStager:
    """The writes of staging labels with masks: images into `.gas/objects/`, their stats into
    the cache, and the lines to write again once the index is committed."""

    layout: Layout
    state: State
    store: ObjectStore
    #: segment → item → stored label, for lines to write again
    rewrites: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def stage(self, segment: str, path: str, ref: LabelRef) -> None:
        """Before `ref`'s label is staged: refuse it if it has a problem, store its images."""
        if ref.problem is not None:
            raise MaskNotStaged(*ref.problem)
        folder, rows = segment_folder(segment), []
        for mask in ref.masks:
            assert mask.checksum is not None
            shown = mask_path(folder, path, mask.kind)
            source = os.path.join(self.layout.root, shown)
            st = os.stat(source)
            if not has_object(self.layout, mask.checksum):
                checksum, _ = self.store.store(source)
                if checksum != mask.checksum:
                    raise MaskNotStaged(f"{shown} changed while it was being added",
                                        "run the command again")
            rows.append((shown, mask.checksum, st.st_size, trusted_mtime(st.st_mtime_ns),
                         st.st_ino))
        set_mask_stats(self.state, rows)
        if ref.rewrite:
            assert ref.data is not None
            self.rewrites.setdefault(segment, {})[path] = json.loads(ref.data)


def check_mask_specs(layout: Layout, specs: list[PathSpec]) -> None:
    """A mask image given to `gas add` must be the one its item's label line points at."""
    for spec in specs:
        if not spec.mask or spec.segment is None:
            continue
        where = shown_path(spec.segment, METADATA)
        try:
            text = read_text(layout.metadata(spec.segment), where)
        except FileNotFoundError:
            text = ""
        line = parse(text, where, segment_folder(spec.segment)).get(spec.prefix)
        if line is None or spec.mask not in line.label:
            example = json.dumps({spec.mask: {"path": spec.shown}})
            raise MaskNotStaged(
                f"no label line points at {spec.shown}",
                f"add {example} to the label of {spec.prefix!r} in {where} (an item's label"
                " names its masks), then add it")


def item_masks(layout: Layout, state: State, entries: Iterable[Entry]) -> list[tuple[Path, str]]:
    """(image file, staged checksum) of the masks of the staged labels of these index rows."""
    found = []
    for entry in entries:
        if entry.label:
            folder = segment_folder(entry.segment)
            found += [(layout.root / mask_path(folder, entry.path, ref.kind), str(ref.checksum))
                      for ref in masks_of(state.get_object(entry.label))]
    return found
