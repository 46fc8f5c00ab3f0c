"""The state database's `folders` table (state.py): per working folder verified clean, its
listing then (worktree/folders.py), packed (worktree/scan.py). Step 3 gives each record a
digest of its listing (see `scan.rows_digest`), read before the listing: a status of a clean
tree compares a few bytes a folder, not its ~45 bytes a file, and reads a listing only to find
what changed in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gasvc.workspace.store.state import State

#: Step 3 (a cache: the records are dropped). The triggers of step 1 keep deleting from it.
FOLDER_DIGESTS = """
DROP TABLE folders;
CREATE TABLE folders (
    segment TEXT NOT NULL, prefix TEXT NOT NULL, digest BLOB NOT NULL, subfolders BLOB NOT NULL,
    listing BLOB NOT NULL, PRIMARY KEY (segment, prefix)) WITHOUT ROWID;
"""


#: Step 5: listings recorded packed (worktree/scan.py: compared natively, no object per row);
#: those recorded marshalled before are dropped (a cache).
PACKED_LISTINGS = """
DELETE FROM folders;
"""


def folder_digests(state: State, folders: list[tuple[str, str]]
                   ) -> dict[tuple[str, str], tuple[bytes, bytes]]:
    """(digest, sub-folder names marshalled) of the recorded folders among (segment, prefix)."""
    found: dict[tuple[str, str], tuple[bytes, bytes]] = {}
    for start in range(0, len(folders), 200):
        part = folders[start:start + 200]
        rows = state.db.execute(
            "SELECT segment, prefix, digest, subfolders FROM folders WHERE (segment, prefix)"
            f" IN (VALUES {','.join(['(?, ?)'] * len(part))})",
            [value for folder in part for value in folder])
        found.update(((segment, prefix), (bytes(sha), bytes(subfolders)))
                     for segment, prefix, sha, subfolders in rows)
    return found


def folder_listing(state: State, segment: str, prefix: str) -> bytes | None:
    """A recorded folder's encoded listing."""
    row = state.db.execute("SELECT listing FROM folders WHERE segment = ? AND prefix = ?",
                           (segment, prefix)).fetchone()
    return bytes(row[0]) if row else None


def recorded_segments(state: State) -> frozenset[str]:
    """Segments with a folder listing recorded."""
    rows = state.db.execute("SELECT DISTINCT segment FROM folders")
    return frozenset(str(name) for name, in rows)


def save_folder_listings(state: State, rows: Iterable[tuple[str, str, bytes, bytes, bytes]]
                         ) -> None:
    """Record (segment, prefix, encoded listing, encoded sub-folders, digest) of folders
    verified clean: run after the index writes of the same check."""
    state.db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?, ?)",
                         ((segment, prefix, sha, subfolders, listing)
                          for segment, prefix, listing, subfolders, sha in rows))


def drop_folder_listings(state: State) -> None:
    """Forget every recorded listing (the rules they were judged by changed)."""
    state.db.execute("DELETE FROM folders")
