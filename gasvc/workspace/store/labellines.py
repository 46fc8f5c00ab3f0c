"""The state database's `label_lines` table (state.py, step 3): per segment, the lines of its
`metadata.jsonl` last found to match the staged labels — one line for every staged item that has
a label, nothing else — compressed (~30 times smaller: the triggers below drop a record when a
label changes, and freeing megabytes of pages costs an add more than the compression). While
the segment's staged items and their labels stay as they were, a line found in the record needs
no parsing (worktree/labeldelta.py).

Triggers drop a segment's record when one of its rows comes, goes, changes its label or starts
or stops being staged: the conditions of `mask_refs` (step 2), whose triggers this step folds
into the same ones (one trigger a row, not two, on the 100,000 rows of a first `gas add`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
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


def recorded_lines(state: State, segment: str) -> bytes | None:
    """The segment's recorded lines, joined by newlines in the file's order (UTF-8); None when
    there is no record."""
    row = state.db.execute("SELECT lines FROM label_lines WHERE segment = ?",
                           (segment,)).fetchone()
    return None if row is None else zlib.decompress(row[0])


def packed(lines: Iterable[str]) -> bytes:
    """Lines as `record_lines` stores them (in the file's order)."""
    return zlib.compress("\n".join(lines).encode(), 1)


def record_lines(state: State, rows: Iterable[tuple[str, bytes]]) -> None:
    """Record (segment, packed lines) found to match the staged labels (run after the index
    writes they match)."""
    state.db.executemany("INSERT OR REPLACE INTO label_lines VALUES (?, ?)", rows)
