"""A workspace talking to its dataset on a server: the client, the dataset id, how many transfers
run at once, where progress goes, and whether the server has gasvc's batch extension.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gasvc.api.client import ApiClient
from gasvc.api.transfer import BatchStorage, Policy
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.sync.progress import SILENT, Progress

DEFAULT_JOBS = 8

#: Reaches the workspace's server when first called: its client and the dataset's id there.
Connect = Callable[[], tuple[ApiClient, str]]
#: Objects per callback or label request on servers without the extension (the SDK's batch).
STANDARD_BATCH = 50


@dataclass
class Connection:
    client: ApiClient
    dataset_id: str
    layout: Layout
    jobs: int = DEFAULT_JOBS
    progress: Progress = SILENT
    _reader: BatchStorage | None = field(default=None, init=False)
    _probed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        sweep_tmp(self.layout.tmp)

    @property
    def tmp_dir(self) -> Path:
        path = self.layout.tmp
        path.mkdir(exist_ok=True)
        return path

    def reader(self) -> BatchStorage | None:
        """Batch downloads, when the server has the extension (probed once; it also tells the
        largest page, which listings then use)."""
        if not self._probed:
            self._probed = True
            found = self.client.storage_extension(self.dataset_id)
            if found is not None:
                self.client.page_size = int(found["extra"].get("pageLimit", self.client.page_size))
                self._reader = BatchStorage(self.client, Policy(
                    lambda: self.client.storage_extension(self.dataset_id) or found, found))
        return self._reader

    def writer(self, draft: int, segment: str) -> BatchStorage | None:
        """Batch uploads into `draft`, when the GetPolicy answer advertises the extension."""
        policy = Policy(lambda: self.client.policy(self.dataset_id, draft, segment))
        if "batchHost" not in policy.get().get("extra", {}):
            return None
        return BatchStorage(self.client, policy)

    def batch_limit(self, batch: BatchStorage | None) -> int:
        """Objects per callback, label or delete request."""
        return batch.limit if batch is not None else STANDARD_BATCH


#: Temporary files older than this are left over from a command that was killed.
STALE_TMP = 3600.0


def sweep_tmp(folder: Path) -> None:
    """Remove temporary files that killed commands left in `.gas/tmp/` (not recent ones: another
    command may be writing them)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    cutoff = time.time() - STALE_TMP
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff and path.is_file():
                path.unlink()
