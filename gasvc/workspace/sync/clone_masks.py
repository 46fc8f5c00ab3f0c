"""The mask images of the items a clone lists, into `@masks/` (model/masks.py): downloaded with
the data files, copied from `.gas/objects/` when listing them already fetched them there
(remote_masks.py), or, when a clone resumes, kept where they already are with the right bytes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gasvc.api.landing import Download
from gasvc.model.masks import mask_path, masks_of
from gasvc.workspace.store.layout import WriteGuard, segment_folder
from gasvc.workspace.store.maskstore import set_mask_stats
from gasvc.workspace.store.objects import has_object
from gasvc.workspace.store.state import State
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.remote_state import RemoteItem
from gasvc.workspace.worktree.scan import hash_file


class CloneMasks:
    def __init__(self, conn: Connection, state: State, guard: WriteGuard, fresh: bool) -> None:
        self.conn, self.state, self.guard, self.fresh = conn, state, guard, fresh

    def wanted(self, segment: str, items: list[RemoteItem]) -> list[Download]:
        """The downloads of a page's mask images; the others are put in place at once."""
        layout, folder = self.conn.layout, segment_folder(segment)
        downloads: list[Download] = []
        placed: list[tuple[str, str, int, int, int]] = []
        for item in items:
            for ref in masks_of(item.label):
                assert ref.checksum is not None and ref.size is not None  # a listed label
                shown = mask_path(folder, item.path, ref.kind)
                target = layout.root / shown
                self.guard.check(target)
                if not ((not self.fresh and _holds(target, ref.checksum))
                        or self._copy(ref.checksum, target)):
                    downloads.append(Download(ref.checksum, ref.size, target,
                                              item.mask_urls.get(ref.kind, "")))
                    continue
                st = os.stat(target)
                placed.append((shown, ref.checksum, ref.size, st.st_mtime_ns, st.st_ino))
        if placed:
            with self.state.transaction():
                set_mask_stats(self.state, placed)
        self.conn.progress.add_total(len(downloads), sum(d.size for d in downloads))
        return downloads

    def _copy(self, checksum: str, target: Path) -> bool:
        """Put the image from `.gas/objects/` in place, if it is there."""
        if not has_object(self.conn.layout, checksum):
            return False
        tmp = self.conn.tmp_dir / f"mask-{checksum}"
        shutil.copyfile(self.conn.layout.object_path(checksum), tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        return True


def _holds(target: Path, checksum: str) -> bool:
    """Whether the file is in place with these bytes (a resumed clone)."""
    return target.is_file() and not target.is_symlink() and hash_file(target)[0] == checksum
