"""The state database's `label_lines` table (state.py, step 3) and the files it vouches for: per
segment, the lines of its `metadata.jsonl` last found to match the staged labels — one line for
every staged item that has a label, nothing else. While the segment's staged items and their
labels stay as they were, a line found in the record needs no parsing (worktree/labeldelta.py).

Since step 5 the lines live in a file of their own, `.gas/labels/<SHA-1 of the segment's
name>`, and the row holds their SHA-1: a file that is missing, half written or another
command's (its digest is not the row's) is no record, and the labels are read in full as without
one. Megabytes kept in SQLite cost an add more to drop (the triggers below drop a record
whenever a label changes) and write again than this, and compressing them (before step 5)
cost more than the file.

A file whose name matches no row (its segment left the index, or its record was dropped and
not written again) is garbage: `drop_stale_files` deletes such files — and leftovers of a
command stopped while writing one — whenever status records lines, and at commit and checkout
(the moments a segment leaves the index). It runs under the index's write lock, which every
writer of a file holds from before it writes the file until its row is in: no file another
command is writing or has just vouched for can be taken, and a reader that found a row dropped
meanwhile finds the file missing and reads the labels in full, as without a record.

Triggers drop a segment's record when one of its rows comes, goes, changes its label or starts
or stops being staged: the conditions of `mask_refs` (step 2), whose triggers this step folds
into the same ones (one trigger a row, not two, on the 100,000 rows of a first `gas add`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gasvc.workspace.store.state import State

LABEL_LINES = """
CREATE TABLE label_lines (segment TEXT PRIMARY KEY, lines BLOB NOT NULL) WITHOUT ROWID;
DROP TRIGGER mask_refs_on_insert;
DROP TRIGGER mask_refs_on_delete;
DROP TRIGGER mask_refs_on_update;
CREATE TRIGGER labels_on_insert AFTER INSERT ON entries BEGIN
    DELETE FROM mask_refs WHERE segment = NEW.segment;
    DELETE FROM label_lines WHERE segment = NEW.segment; END;
CREATE TRIGGER labels_on_delete AFTER DELETE ON entries BEGIN
    DELETE FROM mask_refs WHERE segment = OLD.segment;
    DELETE FROM label_lines WHERE segment = OLD.segment; END;
CREATE TRIGGER labels_on_update AFTER UPDATE OF segment, path, sum, label ON entries
    WHEN OLD.segment IS NOT NEW.segment OR OLD.path IS NOT NEW.path
        OR OLD.label IS NOT NEW.label OR (OLD.sum IS NULL) <> (NEW.sum IS NULL)
    BEGIN DELETE FROM mask_refs WHERE segment IN (OLD.segment, NEW.segment);
        DELETE FROM label_lines WHERE segment IN (OLD.segment, NEW.segment); END;
"""


#: Step 5: rows hold the digest of a file now; the compressed lines they held are dropped.
LABEL_FILES = """
DELETE FROM label_lines;
"""


def _file(state: State, segment: str) -> Path:
    name = hashlib.sha1(segment.encode("utf-8", "surrogatepass")).hexdigest()
    return state.folder / "labels" / name


def recorded_lines(state: State, segment: str) -> bytes | None:
    """The segment's recorded lines, joined by newlines in the file's order (UTF-8); None when
    there is no record (or its file is not the one the record vouches for)."""
    row = state.db.execute("SELECT lines FROM label_lines WHERE segment = ?",
                           (segment,)).fetchone()
    if row is None:
        return None
    try:
        lines = _file(state, segment).read_bytes()
    except OSError:
        return None
    return lines if hashlib.sha1(lines).digest() == bytes(row[0]) else None


def packed(lines: Iterable[str]) -> bytes:
    """Lines as `record_lines` keeps them (in the file's order)."""
    return "\n".join(lines).encode()


def record_lines(state: State, rows: Iterable[tuple[str, bytes]]) -> None:
    """Record (segment, packed lines) found to match the staged labels (run after the index
    writes they match, in their transaction): each file is in place before its row vouches
    for it."""
    for segment, lines in rows:
        path = _file(state, segment)
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(lines)
        os.replace(temporary, path)
        state.db.execute("INSERT OR REPLACE INTO label_lines VALUES (?, ?)",
                         (segment, hashlib.sha1(lines).digest()))


def drop_stale_files(state: State) -> None:
    """Delete the files no row vouches for (see the module's doc). Run in a transaction (the
    write lock held). A file that cannot be deleted stays: harmless, and no reason to fail the
    command that cleans up after itself."""
    assert state.db.in_transaction
    folder = state.folder / "labels"
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:  # none yet (or unreadable: nothing to clean that this could see)
        return
    live = {_file(state, str(segment)).name
            for segment, in state.db.execute("SELECT segment FROM label_lines")}
    for name in names:
        if name not in live:
            with contextlib.suppress(OSError):
                (folder / name).unlink(missing_ok=True)
