"""Walking the working tree in index order, stat by stat, without reading file contents.

Paths come out sorted exactly like the index (`ORDER BY segment, path`, code-point order): within
a folder, a sub-folder sorts as its name + "/" — the order git uses for trees.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from stat import S_ISREG
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


Listing = list[tuple[str, int, int, int]]


def py_list_dir(path: str) -> Listing:
    """A folder's entries in index order: (name, size, mtime_ns, inode) per regular file (a
    symlink to one counts, with the target's stat), (name + "/", 0, 0, 0) per sub-folder
    (not followed through symlinks); anything else is left out; a missing folder is empty.

    `gasvc._listing.list_dir` does the same in native code, without the GIL."""
    rows: Listing = []
    try:
        listing = os.scandir(path)
    except (FileNotFoundError, NotADirectoryError):
        return rows
    with listing:
        for entry in listing:
            try:
                if entry.is_dir(follow_symlinks=False):
                    rows.append((entry.name + "/", 0, 0, 0))
                    continue
                st = entry.stat()
            except FileNotFoundError:
                continue
            if S_ISREG(st.st_mode):
                rows.append((entry.name, st.st_size, st.st_mtime_ns, st.st_ino))
    rows.sort()
    return rows


try:
    from gasvc._listing import list_dir
except ImportError:  # not built (no C compiler at install): the same, slower
    list_dir = py_list_dir


def list_folder(folder: str, top: bool) -> Listing:
    """`list_dir` of a segment folder; at a segment's top, its `metadata.jsonl` is no file."""
    rows = list_dir(folder)
    if top:
        rows = [row for row in rows if row[0] != METADATA]
    return rows


#: Told each folder a walk lists: (its prefix, its listing).
OnListing = Callable[[str, Listing], None]


def walk_segment(root: Path, segment: str, prefix: str = "",
                 on_listing: OnListing | None = None) -> Iterator[FileStat]:
    """Every file of a segment folder (or of its sub-folder `prefix`, "dir/"), in index order;
    `metadata.jsonl` at its top excluded. Each folder's listing is given to `on_listing`."""
    yield from _walk(os.path.join(root, segment, prefix), prefix, on_listing)


def _walk(folder: str, prefix: str, on_listing: OnListing | None) -> Iterator[FileStat]:
    rows = list_folder(folder, top=not prefix)
    if on_listing is not None:
        on_listing(prefix, rows)
    for key, size, mtime_ns, ino in rows:
        if key.endswith("/"):
            yield from _walk(os.path.join(folder, key), prefix + key, on_listing)
        else:
            yield FileStat(prefix + key, size, mtime_ns, ino)


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
