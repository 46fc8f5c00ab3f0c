"""Folder listings: how `gas status` skips comparing a clean tree file by file.

When a detailed comparison finds a working folder clean — every file in it tracked, its stat
equal to the index's (with a trusted mtime), every index row of the folder with its file — the
folder's listing (names and stats of its files and sub-folders) is recorded, packed. While
the folder lists exactly the same bytes again, nothing in it can have changed against the index:
status then costs one (native, threaded) stat per file and one bytes comparison per folder; a
folder that differs is compared with its record natively, and only its differing files are
compared with the index (packed rows: scan.py).

The index keeps those records honest: triggers in state.py drop a folder's listing when one of
its rows changes, and a segment's listings when rows come or go (an added row may sit under a
folder no listing shows). Sub-folders are judged on their own listings; a folder that differs is
compared in detail with everything below it (so is one whose sub-folders or `.gasignore`
changed: what is ignored below it may have changed).

Ignore rules (ignore.py) are part of what a listing proves: a nested `.gasignore` is in its
folder's listing, and the rules no listing shows (the root's `.gasignore`, the defaults) are
recorded as a fingerprint; when it differs, no listing is trusted and all are dropped. A folder
recorded clean may hold ignored files (their stats are in its listing); an ignored folder that
was not walked is no recorded sub-folder.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable
from typing import NamedTuple

from gasvc.workspace.store.folderstore import folder_digests, folder_listing, recorded_segments
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.compare import ItemState
from gasvc.workspace.worktree.ignore import IGNORE_FILE, fingerprint
from gasvc.workspace.worktree.scan import (
    LISTING_THREADS,
    Listing,
    differing,
    list_folders,
    pack_rows,
)

#: Marshal format of the recorded sub-folder names: 2, the newest whose bytes depend on values
#: alone (3 and 4 add back-references and interning flags).
FORMAT = 2


def encode(names: list[str]) -> bytes:
    return marshal.dumps(names, FORMAT)


#: Folders listed at a time (bounds the listings in memory: ~45 bytes a file, packed).
CHUNK = 256


#: The state key of the ignore rules' fingerprint the recorded listings were judged by.
RULES_KEY = "ignore_rules"


def rules_changed(layout: Layout, state: State) -> str | None:
    """The rules' fingerprint when it is not the one the listings were recorded under."""
    current = fingerprint(str(layout.root))
    return None if state.get(RULES_KEY) == current else current


class Delta(NamedTuple):
    """The files of a recorded folder whose rows differ from its record."""

    rows: Listing  # the folder's rows now of those files (the others are as recorded)
    listing: bytes  # the folder's listing now, packed (scan.py)
    subfolders: bytes  # its recorded sub-folders (unchanged), marshalled
    names: frozenset[str]  # names of the files whose rows differ (either way)
    digest: bytes  # of `listing`

    def record(self) -> tuple[bytes, bytes, bytes]:
        """The record the folder gets if found clean (see `Walked`)."""
        return self.listing, self.subfolders, self.digest


class Scope(NamedTuple):
    """A folder to compare in detail: `prefix` ("" is the segment's top, else "dir/…/"); with
    a `delta`, only those files of the folder itself (its sub-folders are judged on their own
    records), else the folder with everything below it."""

    prefix: str
    delta: Delta | None = None

    def weight(self, state: State, segment: str) -> int:
        """Index rows the comparison reads (about)."""
        return len(self.delta.names) if self.delta else state.count_entries(segment, self.prefix)


def changed_folders(layout: Layout, state: State, segments: list[str], trust: bool = True
                    ) -> dict[str, list[Scope]]:
    """Per segment, the folders whose files must be compared in detail: those whose listing is
    not the recorded one (every folder when not `trust`), with only the differing files of
    a folder whose listing differs from its record in files' rows alone."""
    recorded = recorded_segments(state) if trust else frozenset()
    changed: dict[str, list[Scope]] = {segment: [] for segment in segments}
    pending = []
    for segment in segments:
        if segment in recorded:
            pending.append((segment, ""))
        else:
            changed[segment].append(Scope(""))
    places = {segment: layout.folder_path(segment) for segment in segments}
    while pending:
        deeper: list[tuple[str, str]] = []
        for start in range(0, len(pending), CHUNK):
            part = pending[start:start + CHUNK]
            records = folder_digests(state, part)
            for segment, prefix in part:
                if (segment, prefix) not in records:
                    changed[segment].append(Scope(prefix))
            part = [folder for folder in part if folder in records]
            listings = list_folders([(os.path.join(places[segment], prefix), not prefix,
                                      records[segment, prefix][0]) for segment, prefix in part],
                                    LISTING_THREADS)
            for (segment, prefix), listed in zip(part, listings, strict=True):
                if listed is False or listed is True:  # a link: compared in detail
                    changed[segment].append(Scope(prefix))
                    continue
                subfolders = records[segment, prefix][1]
                if listed is not None:  # else: listed as recorded
                    delta = _delta(state, segment, prefix, *listed, subfolders)
                    changed[segment].append(Scope(prefix, delta))
                    if delta is None:
                        continue
                deeper += [(segment, prefix + name) for name in marshal.loads(subfolders)]
        pending = deeper
    return changed


def _delta(state: State, segment: str, prefix: str, listing: bytes, digest: bytes,
           subfolders: bytes) -> Delta | None:
    """The files whose rows differ between the folder's record and its `listing` (packed, of
    `digest`); None when a sub-folder or the folder's `.gasignore` came, went or changed."""
    before = folder_listing(state, segment, prefix)
    if before is None:
        return None
    names, rows = differing(before, listing)
    if IGNORE_FILE in names or any(name.endswith("/") for name in names):
        return None
    return Delta(rows, listing, subfolders, frozenset(names), digest)


class Walked:
    """The folders a detailed comparison lists (an `on_listing` for `compare_files`), each kept
    as its record would be: packed, ~45 bytes a file."""

    def __init__(self) -> None:
        #: prefix → (listing, sub-folders, digest): what the folder's record would hold
        self.records: dict[str, tuple[bytes, bytes, bytes]] = {}
        self._deltas: dict[str, Delta] = {}

    def __call__(self, prefix: str, rows: Listing, subfolders: list[str]) -> None:
        listing, digest = pack_rows(rows)
        self.records[prefix] = (listing, encode(subfolders), digest)

    def delta(self, prefix: str, delta: Delta) -> None:
        """A folder compared by its delta (its record is made only if it is found clean)."""
        self._deltas[prefix] = delta

    def clean(self, items: Iterable[ItemState], refresh: Iterable[tuple[str, str, int, int]]
              ) -> list[tuple[str, bytes, bytes, bytes]]:
        """(prefix, listing, sub-folder names) of each folder walked and found clean, given the
        items the comparison reported (anything but "clean", "gone" and "ignored" taints the
        folder holding it) and the stat refreshes it made (one left untrusted taints too)."""
        tainted = {self.folder_of(item.path) for item in items
                   if item.kind not in ("clean", "gone", "ignored")}
        return self.clean_but(tainted, refresh)

    def clean_but(self, tainted: set[str], refresh: Iterable[tuple[str, str, int, int]]
                  ) -> list[tuple[str, bytes, bytes, bytes]]:
        """`clean`, given the folders (see `folder_of`) the items taint."""
        tainted = tainted | {self.folder_of(path) for _, path, mtime_ns, _ in refresh
                             if not mtime_ns}
        found = [(prefix, *record) for prefix, record in self.records.items()
                 if prefix not in tainted]
        return found + [(prefix, *delta.record()) for prefix, delta in self._deltas.items()
                        if prefix not in tainted]

    def folder_of(self, path: str) -> str:
        """The folder holding `path`, or its nearest walked ancestor when that one is gone."""
        folder = path[:path.rfind("/") + 1]
        while folder and folder not in self.records and folder not in self._deltas:
            folder = folder[:folder.rfind("/", 0, len(folder) - 1) + 1]
        return folder
