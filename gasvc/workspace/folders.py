"""Folder listings: how `gas status` skips comparing a clean tree file by file.

When a detailed comparison finds a working folder clean — every file in it tracked, its stat
equal to the index's (with a trusted mtime), every index row of the folder with its file — the
folder's listing (names and stats of its files and sub-folders) is recorded, marshalled. While
the folder lists exactly the same bytes again, nothing in it can have changed against the index:
status then costs one (native, threaded) stat per file and one bytes comparison per folder.

The index keeps those records honest: triggers in state.py drop a folder's listing when one of
its rows changes, and a segment's listings when rows come or go (an added row may sit under a
folder no listing shows). Sub-folders are judged on their own listings; a folder that differs is
compared in detail with everything below it.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable

from gasvc.workspace.compare import ItemState, thread_pool
from gasvc.workspace.layout import Layout
from gasvc.workspace.scan import Listing, list_folder
from gasvc.workspace.state import State

#: Marshal format of the recorded listings: 2, the newest whose bytes depend on values alone
#: (3 and 4 add back-references and interning flags). Another format costs a detailed check.
FORMAT = 2


def encode(rows: Listing | list[str]) -> bytes:
    return marshal.dumps(rows, FORMAT)


def changed_folders(layout: Layout, state: State, segments: list[str]) -> dict[str, list[str]]:
    """Per segment, the folders ("" is the whole segment, else "dir/…/") whose files must be
    compared in detail, sub-folders included: those whose listing is not the recorded one."""
    known = state.folder_listings()
    recorded = {segment for segment, _ in known}
    changed: dict[str, list[str]] = {segment: [] for segment in segments}
    pending = []
    for segment in segments:
        if segment in recorded:
            pending.append((segment, ""))
        else:
            changed[segment].append("")
    root = str(layout.root)
    while pending:
        listings = thread_pool().map(
            lambda folder: list_folder(os.path.join(root, *folder), top=not folder[1]), pending)
        deeper = []
        for (segment, prefix), rows in zip(pending, listings, strict=True):
            listing, subfolders = known.get((segment, prefix), (None, b""))
            if listing == encode(rows):
                deeper += [(segment, prefix + name) for name in marshal.loads(subfolders)]
            else:
                changed[segment].append(prefix)
        pending = deeper
    return changed


def clean_listings(listings: dict[str, Listing], items: Iterable[ItemState],
                   refresh: Iterable[tuple[str, str, int, int]]
                   ) -> list[tuple[str, bytes, bytes]]:
    """(prefix, listing, sub-folder names), encoded, of each folder a detailed comparison
    walked (`listings`) and found clean, given the items it reported (anything but "clean" and
    "gone" taints the folder holding it) and the stat refreshes it made (one left untrusted
    taints too)."""
    tainted = {_folder(item.path, listings) for item in items
               if item.kind not in ("clean", "gone")}
    tainted.update(_folder(path, listings) for _, path, mtime_ns, _ in refresh if not mtime_ns)
    return [(prefix, encode(rows), encode([row[0] for row in rows if row[0].endswith("/")]))
            for prefix, rows in listings.items() if prefix not in tainted]


def _folder(path: str, listings: dict[str, Listing]) -> str:
    """The folder holding `path`, or its nearest walked ancestor when that folder is gone."""
    folder = path[:path.rfind("/") + 1]
    while folder and folder not in listings:
        folder = folder[:folder.rfind("/", 0, len(folder) - 1) + 1]
    return folder
