"""Walking the working tree in index order, stat by stat, without reading file contents.

Paths come out sorted exactly like the index (`ORDER BY segment, path`, code-point order): within
a folder, a sub-folder sorts as its name + "/" — the order git uses for trees.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from gasvc.model.metadata import METADATA
from gasvc.workspace.layout import CATALOG, RESERVED

READ_CHUNK = 1024 * 1024


class FileStat(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    ino: int


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_mtime_ns, st.st_size, st.st_ino


def segment_names(root: Path) -> list[str]:
    """Top-level folders are segments (`.gas` excluded), sorted."""
    names = []
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.name not in RESERVED and entry.is_dir(follow_symlinks=False):
                names.append(entry.name)
    return sorted(names)


def top_level_strays(root: Path) -> list[str]:
    """Top-level files that belong to no segment (everything but `catalog.json`)."""
    with os.scandir(root) as entries:
        return sorted(e.name for e in entries
                      if not e.is_dir(follow_symlinks=False) and e.name != CATALOG)


def walk_segment(root: Path, segment: str) -> Iterator[FileStat]:
    """Every file of a segment folder, in index order; `metadata.jsonl` at its top excluded."""
    yield from _walk(root / segment, "", top=True)


def _walk(folder: Path, prefix: str, top: bool) -> Iterator[FileStat]:
    try:
        with os.scandir(folder) as listing:
            entries = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e)
                       for e in listing]
    except (FileNotFoundError, NotADirectoryError):
        return
    for key, entry in sorted(entries, key=lambda pair: pair[0]):
        if key.endswith("/"):
            yield from _walk(Path(entry.path), prefix + key, top=False)
            continue
        if top and entry.name == METADATA:
            continue
        try:
            st = entry.stat()
        except FileNotFoundError:
            continue
        if entry.is_file():
            yield FileStat(prefix + entry.name, st.st_size, st.st_mtime_ns, st.st_ino)


def hash_file(path: Path) -> tuple[str, int]:
    """(SHA-1, size) of a file, read in chunks."""
    return hash_path(str(path))


def hash_path(path: str) -> tuple[str, int]:
    """(SHA-1, size) of the file at a path string (no `Path` objects on hot loops)."""
    digest, size = hashlib.sha1(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
