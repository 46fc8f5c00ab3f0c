"""Where things are in a workspace: the working tree and its `.gas/` folder.

```
mydataset/
  .gas/state.sqlite   index, commits, refs, config, content-addressed JSON objects
  .gas/objects/       bytes of files added locally (content-addressed), safe from later edits
  .gas/tmp/           temporary files (downloads, writes) before they are renamed into place
  catalog.json        the label catalog (absent if none)
  train/              one folder per segment
    images/0001.jpg   remotePath "images/0001.jpg"
    metadata.jsonl    labels of this segment
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gasvc.errors import GasError
from gasvc.model.metadata import METADATA

GAS_DIR = ".gas"
CATALOG = "catalog.json"
RESERVED = {GAS_DIR}


class NotAWorkspace(GasError):
    code, status = "NotAWorkspace", 400


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def gas(self) -> Path:
        return self.root / GAS_DIR

    @property
    def state_db(self) -> Path:
        return self.gas / "state.sqlite"

    @property
    def objects(self) -> Path:
        return self.gas / "objects"

    @property
    def tmp(self) -> Path:
        """Temporary files on their way into the working tree (where status never looks)."""
        return self.gas / "tmp"

    @property
    def catalog(self) -> Path:
        return self.root / CATALOG

    def segment_dir(self, segment: str) -> Path:
        return self.root / segment

    def metadata(self, segment: str) -> Path:
        return self.root / segment / METADATA

    def file(self, segment: str, remote_path: str) -> Path:
        return self.root / segment / remote_path

    def object_path(self, checksum: str) -> Path:
        return self.objects / checksum[:2] / checksum[2:]


def find_workspace(start: Path) -> Layout:
    """The workspace containing `start` (like git, searching upwards)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / GAS_DIR / "state.sqlite").is_file():
            return Layout(folder)
    raise NotAWorkspace(f"{start} is not inside a gas workspace",
                        "run `gas init` here, or `gas clone DATASET` to get one")


def write_atomic(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write a file by temp → fsync → rename, so readers never see half of it.

    The temporary file is made in `tmp_dir` (a workspace's `.gas/tmp/`, so that a write killed
    half-way leaves nothing in the working tree), or beside `path` when `tmp_dir` is None or on
    another file system.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # not at the top: `gas status` never writes files

    folder = path.parent
    if tmp_dir is not None:
        tmp_dir.mkdir(exist_ok=True)
        if os.stat(tmp_dir).st_dev == os.stat(path.parent).st_dev:
            folder = tmp_dir
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
