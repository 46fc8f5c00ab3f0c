"""Where things are in a workspace: the working tree and its `.gas/` folder.

```
mydataset/
  .gas/state.sqlite   index, commits, refs, config, content-addressed JSON objects
  .gas/objects/       bytes of files added locally (content-addressed), safe from later edits
  .gas/tmp/           temporary files (downloads, writes) before they are renamed into place
  .gas/labels/        label lines recorded per segment (store/labellines.py): a cache
  catalog.json        the label catalog (absent if none)
  train/              one folder per segment (`segment_folder`)
    images/0001.jpg   remotePath "images/0001.jpg"
    metadata.jsonl    labels of this segment
  default/            the default segment ""; segment "default" lives in `@default/`
```

Segment ↔ folder is a bijection (`segment_folder` / `folder_segment`), so no folder can stand for
two segments and the root itself never holds data: "" → `default`; a name that is `default`,
starts with `@` or is `catalog.json` → `@` + name; any other name → itself. A top-level entry the
reverse rule maps to no segment (`.gas` in any case, other `@…` folders, files but
`catalog.json`) belongs to no segment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gasvc.errors import ClientError
from gasvc.model.sensorfolders import METADATA

GAS_DIR = ".gas"
CATALOG = "catalog.json"
RESERVED = {GAS_DIR}
#: The folder of the default segment "", and the prefix that escapes segment names.
DEFAULT_FOLDER = "default"
ESCAPE = "@"
READ_CHUNK = 1024 * 1024  # bytes read at a time when hashing or copying a workspace file


def _escaped(name: str) -> bool:
    """Whether a segment's folder is `@` + its name (names that would clash otherwise)."""
    return name in (DEFAULT_FOLDER, CATALOG) or name.startswith(ESCAPE)


def segment_folder(segment: str) -> str:
    """The top-level folder holding a segment."""
    if not segment:
        return DEFAULT_FOLDER
    return ESCAPE + segment if _escaped(segment) else segment


def folder_segment(folder: str) -> str | None:
    """The segment a top-level folder holds, or None when it is no segment's folder."""
    if folder == DEFAULT_FOLDER:
        return ""
    if folder.startswith(ESCAPE):
        rest = folder[len(ESCAPE):]
        return rest if _escaped(rest) else None
    if folder == CATALOG or is_gas_name(folder) or not folder:
        return None
    return folder


def is_gas_name(name: str) -> bool:
    """`.gas` in any case: a workspace's own folder, never data at any depth."""
    return name.lower() == GAS_DIR


def shown_path(segment: str, path: str = "") -> str:
    """The workspace-relative path a user sees and types for a segment's item (or, with no
    path, for the segment's folder: "folder/")."""
    return f"{segment_folder(segment)}/{path}"


def split_shown(path: str) -> tuple[str | None, str]:
    """(segment, path inside it) of a workspace-relative path; segment None when the first
    part is no segment's folder."""
    folder, _, rest = path.partition("/")
    return folder_segment(folder), rest


class NotAWorkspace(ClientError):
    """A folder that is not (inside) a gas workspace."""


class AlreadyAWorkspace(ClientError):
    """A folder that is already a gas workspace, asked to become one."""


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
        return self.root / segment_folder(segment)

    def metadata(self, segment: str) -> Path:
        return self.segment_dir(segment) / METADATA

    def file(self, segment: str, remote_path: str) -> Path:
        return self.segment_dir(segment) / remote_path

    def folder_path(self, segment: str) -> str:
        """The segment's folder as a string (no `Path` objects on hot loops)."""
        return os.path.join(self.root, segment_folder(segment))

    def object_path(self, checksum: str) -> Path:
        return self.objects / checksum[:2] / checksum[2:]


class LinkInTheWay(ClientError):
    """A symbolic link where gas must write a file or folder."""


class WriteGuard:
    """Refuses to write or delete a working file through a folder that is a symbolic link (a
    segment folder or sub-folder the user replaced by one), so nothing outside the workspace
    is ever touched. Files themselves are replaced by rename and deleted by unlink, which act
    on a link, not through it. Folders found real are remembered."""

    def __init__(self, layout: Layout) -> None:
        self.root = str(layout.root)
        self.real: set[str] = {self.root}

    def check(self, target: Path | str) -> None:
        """Raise LinkInTheWay when a folder between the root and `target` is a link."""
        folder = os.path.dirname(str(target))
        pending = []
        while folder not in self.real and len(folder) > len(self.root):
            pending.append(folder)
            folder = os.path.dirname(folder)
        for path in reversed(pending):
            if os.path.islink(path):
                shown = os.path.relpath(path, self.root).replace(os.sep, "/")
                raise LinkInTheWay(
                    f"{shown} is a symbolic link; gas does not write through links, so "
                    "nothing was changed", f"replace it with a real folder (`rm {shown}`; "
                    "the files it points to stay), then run the command again")
            self.real.add(path)

    def check_all(self, targets: Iterable[Path | str]) -> None:
        folders = dict.fromkeys(os.path.dirname(str(target)) for target in targets)
        for folder in folders:  # each folder once, in order (files share few folders)
            if folder not in self.real:
                self.check(os.path.join(folder, ""))


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
