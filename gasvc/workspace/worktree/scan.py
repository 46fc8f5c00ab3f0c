"""Walking the working tree in index order, stat by stat, without reading file contents.

Paths come out sorted exactly like the index (`ORDER BY segment, path`, code-point order): within
a folder, a sub-folder sorts as its name + "/" — the order git uses for trees.

What is never data: `.gas` (any case, at any depth: a workspace's own state, or a nested one's),
folders reached through a symbolic link (never walked), and files reached through a link leading
out of the workspace (`outside_link`; the caller reports them instead of reading them).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from gasvc.model.masks import MASKS_DIR
from gasvc.model.metadata import METADATA
from gasvc.workspace.store.layout import (
    CATALOG,
    READ_CHUNK,
    Layout,
    folder_segment,
    is_gas_name,
)
from gasvc.workspace.worktree.ignore import IGNORE_FILE, Rules, rules_at


class FileStat(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    ino: int
    #: matched by the ignore rules (a folder not walked: its path ends with "/", no stat)
    ignored: bool = False


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_mtime_ns, st.st_size, st.st_ino


def segment_names(root: Path) -> list[str]:
    """The segments whose folders are in the root (real folders, not links), sorted."""
    names = []
    with os.scandir(root) as entries:
        for entry in entries:
            segment = folder_segment(entry.name)
            if segment is not None and entry.is_dir(follow_symlinks=False):
                names.append(segment)
    return sorted(names)


def top_level_strays(root: Path) -> list[str]:
    """Top-level entries that belong to no segment: files other than `catalog.json`, folders
    that are no segment's (shown with "/"); `.gas`, `@masks` (mask images, see maskfiles.py)
    and links (`top_level_links`) aside."""
    strays = []
    with os.scandir(root) as entries:
        for entry in entries:
            if is_gas_name(entry.name) or entry.is_symlink():
                continue
            if entry.is_dir():
                if folder_segment(entry.name) is None and entry.name != MASKS_DIR:
                    strays.append(entry.name + "/")
            elif entry.name != CATALOG:
                strays.append(entry.name)
    return sorted(strays)


def top_level_links(root: Path) -> list[str]:
    """Top-level symbolic links (gas never follows them: the one a segment folder or
    `catalog.json` was replaced by is reported, not read)."""
    with os.scandir(root) as entries:
        return sorted(e.name for e in entries if e.is_symlink())


def outside_link(root: str, path: str) -> bool:
    """Whether `path` is a symbolic link whose target is outside the workspace `root` (or in
    a `.gas` folder): gas neither reads nor writes through it."""
    try:
        if not os.path.islink(path):
            return False
        target = os.path.realpath(path)
    except (OSError, ValueError):
        return True
    base = os.path.realpath(root)
    relative = os.path.relpath(target, base)
    return (relative == os.pardir or relative.startswith(os.pardir + os.sep)
            or os.path.isabs(relative)
            or any(is_gas_name(part) for part in relative.split(os.sep)))


def labels_readable(layout: Layout, segment: str) -> bool:
    """Whether a segment's `metadata.jsonl` may be read: its folder is no link, and it is no
    link leading out of the workspace (else it counts as absent)."""
    return (linked_folder(layout.folder_path(segment)) is None
            and not outside_link(str(layout.root), str(layout.metadata(segment))))


def linked_folder(folder: str, prefix: str = "") -> str | None:
    """The first of `folder` and the folders of `prefix` ("a/b/") below it that is a
    symbolic link (a walk must not go through it), else None."""
    path = folder
    if os.path.islink(path):
        return path
    for part in filter(None, prefix.split("/")):
        path = os.path.join(path, part)
        if os.path.islink(path):
            return path
    return None


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
    """`list_dir` of a segment folder, without `.gas` entries; at a segment's top, its
    `metadata.jsonl` is no file."""
    rows = list_dir(folder)
    if top:
        rows = [row for row in rows if row[0] != METADATA]
    return _without_gas(rows)


def py_rows_digest(rows: Listing) -> bytes:
    """A digest of listing rows (tells a folder's listing from the one recorded, see
    folders.py): "s" and the SHA-1 of their marshalled form, where the native one is missing."""
    return b"s" + hashlib.sha1(marshal.dumps(rows, 2)).digest()


def py_list_dir_unless(folder: str, top: bool, digest: bytes | None
                       ) -> tuple[Listing, bytes] | None:
    """(`list_folder`, its digest), or None when the digest is `digest`."""
    rows = list_folder(folder, top)
    found = py_rows_digest(rows)
    return None if found == digest else (rows, found)


try:  # the native ones: the digest of a folder's listing taken without a Python object
    from gasvc._listing import list_dir_unless as list_dir_unless
    from gasvc._listing import rows_digest as rows_digest
except ImportError:  # not built, or built before it had them: the same contract, slower
    list_dir_unless, rows_digest = py_list_dir_unless, py_rows_digest

#: Packed rows (how a folder's listing is recorded): per row its name's bytes, a NUL, and its
#: size, mtime and inode as 8 bytes each, little-endian. The native digest hashes these bytes.
_STATS = struct.Struct("<qqQ")
#: Folders listed at once by the native listing (its threads overlap the stat calls).
LISTING_THREADS = min(8, (os.cpu_count() or 1) * 2)


def py_pack_rows(rows: Listing) -> tuple[bytes, bytes]:
    """(packed rows, `rows_digest(rows)`)."""
    pack = _STATS.pack
    packed = b"".join(os.fsencode(name) + b"\0" + pack(size, mtime_ns, ino)
                      for name, size, mtime_ns, ino in rows)
    return packed, rows_digest(rows)


def unpack_rows(packed: bytes) -> Listing:
    """The rows of packed rows."""
    rows: Listing = []
    start, unpack, end = 0, _STATS.unpack_from, len(packed)
    while start < end:
        nul = packed.index(b"\0", start)
        rows.append((os.fsdecode(packed[start:nul]), *unpack(packed, nul + 1)))
        start = nul + 1 + _STATS.size
    return rows


def py_differing(old: bytes, new: bytes) -> tuple[list[str], Listing]:
    """(names whose rows differ between two packed listings, the rows of `new` among them)."""
    before, after = set(unpack_rows(old)), unpack_rows(new)
    rows = [row for row in after if row not in before]
    gone = before.difference(after)
    names = {row[0] for row in rows}
    return sorted(names.union(row[0] for row in gone)), rows


def py_list_folders(folders: list[tuple[str, bool, bytes | None]], threads: int
                    ) -> list[tuple[bytes, bytes] | bool | None]:
    """Per folder (path, top, recorded digest): None when it lists as recorded, False when it
    is a symbolic link (not listed), else (packed rows, digest)."""
    found: list[tuple[bytes, bytes] | bool | None] = []
    for folder, top, digest in folders:
        if os.path.islink(folder.rstrip("/")):
            found.append(False)
            continue
        listed = list_dir_unless(folder, top, digest)
        found.append(None if listed is None else (py_pack_rows(listed[0])[0], listed[1]))
    return found


def _no_native_differing(old: bytes, new: bytes) -> tuple[list[str], Listing] | None:
    return None


try:  # packed rows, natively: folders listed by threads of their own, no object per row
    from gasvc._listing import differing as _native_differing
    from gasvc._listing import list_folders as list_folders
    from gasvc._listing import pack_rows as pack_rows
except ImportError:
    list_folders, pack_rows = py_list_folders, py_pack_rows
    _native_differing = _no_native_differing


def differing(old: bytes, new: bytes) -> tuple[list[str], Listing]:
    """`py_differing`, natively where it can (listings in sorted order)."""
    found = _native_differing(old, new)
    return found if found is not None else py_differing(old, new)


def _without_gas(rows: Listing) -> Listing:
    """The rows but `.gas` ones (any case): in sorted rows, names starting with "." are
    together, so only those are looked at."""
    start = bisect_left(rows, (".",))
    end = start
    while end < len(rows) and rows[end][0].startswith("."):
        end += 1
    gas = [i for i in range(start, end) if is_gas_name(rows[i][0].rstrip("/"))]
    for i in reversed(gas):
        del rows[i]
    return rows


#: Told each folder a walk lists: (its prefix, its listing, the sub-folders walked).
OnListing = Callable[[str, Listing, list[str]], None]


class Ignoring(NamedTuple):
    """What a walk of a segment folder needs to leave ignored entries out."""

    root: str  # the workspace
    base: str  # the segment's folder, workspace-relative: "train/"
    #: whether the index has rows under a folder ("dir/"): an ignored folder is then walked
    tracked: Callable[[str], bool]


def walk_segment(folder: str, prefix: str = "", on_listing: OnListing | None = None,
                 ignoring: Ignoring | None = None) -> Iterator[FileStat]:
    """Every file of a segment folder (or of its sub-folder `prefix`, "dir/"), in index order;
    `metadata.jsonl` at its top excluded. Each folder's listing is given to `on_listing`. A
    folder that is a symbolic link (the segment's, or one of `prefix`) has no files. With
    `ignoring`, files the rules ignore are flagged, and ignored folders without tracked files
    are not walked (each is yielded as one flagged "dir/" path)."""
    if linked_folder(folder, prefix) is not None:
        return
    rules = None
    if ignoring is not None:
        rules = rules_at(ignoring.root, ignoring.base + prefix)
        if rules.ignored and not ignoring.tracked(prefix):
            return
    yield from _walk(os.path.join(folder, prefix), prefix, on_listing, ignoring, rules)


def _walk(folder: str, prefix: str, on_listing: OnListing | None, ignoring: Ignoring | None,
          rules: Rules | None) -> Iterator[FileStat]:
    """`rules`: those of this folder (its own `.gasignore` included)."""
    rows = list_folder(folder, top=not prefix)
    flags = ignored_rows(rows, prefix, ignoring, rules)
    if True not in flags:  # the common case, kept lean: it is the hot loop of a status
        if on_listing is not None:
            on_listing(prefix, rows, [row[0] for row in rows if row[0].endswith("/")])
        for key, size, mtime_ns, ino in rows:
            if key.endswith("/"):
                yield from _walk(os.path.join(folder, key), prefix + key, on_listing, ignoring,
                                 _below(ignoring, rules, folder, prefix + key, False))
            else:
                yield FileStat(prefix + key, size, mtime_ns, ino)
        return
    assert ignoring is not None
    skipped = {key for (key, *_), ignored in zip(rows, flags, strict=True)
               if ignored and key.endswith("/") and not ignoring.tracked(prefix + key)}
    if on_listing is not None:
        on_listing(prefix, rows, [row[0] for row in rows
                                  if row[0].endswith("/") and row[0] not in skipped])
    for (key, size, mtime_ns, ino), ignored in zip(rows, flags, strict=True):
        if key in skipped:
            yield FileStat(prefix + key, 0, 0, 0, True)  # an ignored folder, not walked
        elif key.endswith("/"):
            yield from _walk(os.path.join(folder, key), prefix + key, on_listing, ignoring,
                             _below(ignoring, rules, folder, prefix + key, ignored))
        else:
            yield FileStat(prefix + key, size, mtime_ns, ino, ignored)


def _below(ignoring: Ignoring | None, rules: Rules | None, folder: str, sub: str,
           ignored: bool) -> Rules | None:
    """The rules of the sub-folder `sub` ("dir/…/" in the segment) of `folder`."""
    if ignoring is None or rules is None:
        return None
    name = sub.rstrip("/").rpartition("/")[2]
    return rules.below(ignoring.root, ignoring.base + sub,
                       _holds_ignore_file(os.path.join(folder, name)), ignored)


def ignored_rows(rows: Listing, prefix: str, ignoring: Ignoring | None, rules: Rules | None
                 ) -> list[bool]:
    """Per row, whether the rules ignore it."""
    if ignoring is None or rules is None:
        return [False] * len(rows)
    return rules.ignored_entries(ignoring.base + prefix, [row[0] for row in rows])


def _holds_ignore_file(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, IGNORE_FILE))


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
