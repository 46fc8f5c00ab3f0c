"""The state database's mask tables (state.py, step 2): the stat cache of mask files, and the
masks of each segment's staged labels (`mask_refs`, dropped by triggers when labels change)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gasvc.workspace.store.schema import STAGED
from gasvc.workspace.store.state import State

#: A mask file's stat cache row: (checksum, size, mtime_ns, inode).
MaskStat = tuple[str, int, int, int]


def mask_stats(state: State) -> dict[str, MaskStat]:
    """Mask file path → (checksum, size, mtime_ns, inode) when it was last read."""
    rows = state.db.execute("SELECT path, sum, size, mtime_ns, ino FROM masks")
    return {str(path): (str(checksum), int(size), int(mtime), int(ino))
            for path, checksum, size, mtime, ino in rows}


def set_mask_stats(state: State, rows: Iterable[tuple[str, str, int, int, int]]) -> None:
    """Record (path, checksum, size, mtime_ns, inode) of mask files just read or written."""
    state.db.executemany("INSERT OR REPLACE INTO masks VALUES (?, ?, ?, ?, ?)", rows)


def forget_recent_mask_stats(state: State, cutoff_ns: int) -> None:
    """Drop stat caches of mask files modified after `cutoff_ns` (racy: see compare.py)."""
    state.db.execute("UPDATE masks SET mtime_ns = 0 WHERE mtime_ns > ?", (cutoff_ns,))


def drop_mask_stats(state: State, paths: Iterable[str]) -> None:
    state.db.executemany("DELETE FROM masks WHERE path = ?", ((p,) for p in paths))


def recorded_refs(state: State, segment: str) -> str | None:
    """The masks of a segment's staged labels as recorded (JSON), None if not recorded."""
    row = state.db.execute("SELECT refs FROM mask_refs WHERE segment = ?",
                           (segment,)).fetchone()
    return str(row[0]) if row else None


def record_refs(state: State, segment: str, refs: str) -> None:
    state.db.execute("INSERT OR REPLACE INTO mask_refs VALUES (?, ?)", (segment, refs))


def masked_labels(state: State, segment: str) -> Iterator[tuple[str, bytes]]:
    """(path, label JSON) of the segment's staged items whose label may hold a mask (its text
    names a `…_MASK` key), in path order."""
    yield from state.db.execute(
        "SELECT e.path, o.data FROM entries e JOIN objects o ON o.hash = e.label"
        " WHERE e.segment = ? AND e.sum IS NOT NULL AND instr(o.data, ?) > 0"
        " ORDER BY e.path", (segment, b'_MASK"'))


def staged_mask_changes(state: State) -> Iterator[tuple[str, str, bytes | None, bytes | None]]:
    """(segment, path, HEAD's label JSON, the staged one's) of items in HEAD and in the index
    whose staged label changed and holds a mask on either side (or may: its text names a
    `…_MASK` key)."""
    yield from state.db.execute(
        "SELECT e.segment, e.path, h.data, s.data FROM"
        f" (SELECT * FROM entries WHERE {STAGED}) e"
        " LEFT JOIN objects h ON h.hash = e.head_label LEFT JOIN objects s ON s.hash = e.label"
        " WHERE e.head_sum IS NOT NULL AND e.sum IS NOT NULL AND e.head_label IS NOT e.label"
        " AND (instr(h.data, ?1) > 0 OR instr(s.data, ?1) > 0) ORDER BY e.segment, e.path",
        (b'_MASK"',))
