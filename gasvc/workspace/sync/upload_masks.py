"""The mask images a push uploads: those a new label points at that its item's old label did
not (model/masks.py), from `.gas/objects/` or, while it still holds them, the image in `@masks/`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gasvc.api.transfer import Upload
from gasvc.errors import ClientError
from gasvc.model.masks import MaskRef, mask_path, masks_of
from gasvc.workspace.store.layout import Layout, segment_folder
from gasvc.workspace.store.objects import has_object
from gasvc.workspace.worktree.scan import hash_file, outside_link


class LostMask(ClientError):
    """A committed mask image that is no longer where gas kept it."""


def new_masks(label: Callable[[str], Any], old_label: str | None, new_label: str
              ) -> list[MaskRef]:
    """The masks of label `new_label` whose image label `old_label` (of the same item) lacks;
    `label` reads a label by id."""
    added = masks_of(label(new_label))
    if not added:
        return []
    old = {(ref.kind, ref.checksum) for ref in masks_of(label(old_label) if old_label else None)}
    return [ref for ref in added if (ref.kind, ref.checksum) not in old
            and ref.checksum is not None]


def mask_uploads(label: Callable[[str], Any], layout: Layout, segment: str, path: str,
                 old_label: str | None, new_label: str) -> list[Upload]:
    """The uploads of the images of `new_label`'s new masks (item `path` of `segment`)."""
    return [Upload(str(ref.checksum), int(ref.size or 0), mask_source(layout, segment, path, ref))
            for ref in new_masks(label, old_label, new_label)]


def mask_source(layout: Layout, segment: str, path: str, ref: MaskRef) -> Path:
    """A committed mask image's bytes: the object store's copy, or the image if still the same."""
    assert ref.checksum is not None
    if has_object(layout, ref.checksum):
        return layout.object_path(ref.checksum)
    shown = mask_path(segment_folder(segment), path, ref.kind)
    working = layout.root / shown
    if (not outside_link(str(layout.root), str(working)) and working.is_file()
            and hash_file(working)[0] == ref.checksum):
        return working
    raise LostMask(f"the committed image of {shown} is neither in .gas/objects nor in the"
                   " working file", "restore the image as it was committed, or commit its"
                   " current content, then push again")
