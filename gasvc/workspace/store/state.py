"""The workspace's state database, `.gas/state.sqlite`: one SQLite file, every write atomic.

- `entries`: the index. Per item (segment, path): the HEAD commit's values (`head_*`), the staged
  values (`sum`, `size`, `label`; NULL sum = not staged), and the stat of the working file when it
  last matched the staged bytes (git's trick: an unchanged stat means unchanged content).
- `segments`: per segment, whether it is in HEAD and staged, and the stat of its `metadata.jsonl`
  when its labels last matched the index.
- `objects`: content-addressed JSON (labels, catalogs, tree nodes, version states).
- `folders`: per working folder verified clean, its listing (names and stats, packed) at
  that time, and a digest of it; while a folder lists the same, its files need no comparison
  (see worktree/folders.py, store/folderstore.py).
  Triggers drop a folder's listing when one of its rows changes, and a segment's listings when
  rows come, go, or start or stop being staged.
- `commits` (local and fetched; `merged`: a merge's second parent), `unmerged` (the conflicts
  of a merge in progress, see versions/merging.py), `refs` (`heads/…`, `remotes/…`, `tags/…`),
  `meta` (config, HEAD).
- `masks`: per mask file (workspace-relative path, see model/masks.py), the checksum and size it
  had when last read, and its stat then: a mask whose stat is unchanged is not read again.
- `mask_refs`: per segment, the masks its staged labels point at (JSON), so that a clean status
  reads no label; triggers drop a segment's row when one of its rows comes, goes, or changes its
  label or whether it is staged.
- `label_lines`: per segment, the digest of the lines of its `metadata.jsonl` last found to match
  the staged labels, kept in `.gas/labels/` (store/labellines.py), dropped by the same triggers
  as `mask_refs`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.workspace.store.migrations import migrate
from gasvc.workspace.store.schema import STAGED, STEPS

#: The `meta` key of the merge (or revert, cherry-pick) in progress (store/mergestate.py).
MERGE_INFO = "merge.info"


#: Rows of `entries` written by one statement (`set_entries`), and the placeholders of one.
ROWS_PER_STATEMENT = 500
ENTRY_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class Entry(NamedTuple):
    """An index row (a named tuple: status builds one per tracked file)."""

    segment: str
    path: str
    head_sum: str | None
    head_size: int | None
    head_label: str | None
    sum: str | None
    size: int | None
    label: str | None
    mtime_ns: int
    ino: int


@dataclass(frozen=True)
class CommitRecord:
    id: str
    parent: str
    title: str
    description: str
    author: str
    date: int
    state: str | None
    server_id: str | None
    merged: str | None = None  # the second parent of a merge commit

    @property
    def shown_id(self) -> str:
        """The id users see: the server's once pushed."""
        return self.server_id or self.id


def _rows_of(segment: str | None, prefix: str) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its values) of index rows of a segment under a folder prefix."""
    if segment is None:
        return "", ()
    if not prefix:
        return " WHERE segment = ?", (segment,)
    # "dir/" <= path < "dir0": "0" is the character after "/"
    return " WHERE segment = ? AND path >= ? AND path < ?", (segment, prefix, prefix[:-1] + "0")


class State:
    """The open state database; use `transaction()` for every change."""

    def __init__(self, path: Path) -> None:
        self.folder = Path(path).parent  # `.gas/`: files some records vouch for live there
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        migrate(self.db, STEPS)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # meta --------------------------------------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                            " SET value = excluded.value", (key, value))

    # objects -----------------------------------------------------------------------------
    def put_object(self, value: Any) -> str:
        data = canonical_json(value)
        digest = sha1_hex(data)
        self.put_json(digest, data)
        return digest

    def put_json(self, digest: str, data: bytes) -> None:
        """Store an object already in canonical JSON, under its SHA-1 `digest`."""
        self.db.execute("INSERT INTO objects VALUES (?, ?) ON CONFLICT DO NOTHING",
                        (digest, data))

    def get_object(self, digest: str) -> Any:
        row = self.db.execute("SELECT data FROM objects WHERE hash = ?", (digest,)).fetchone()
        if row is None:
            raise KeyError(digest)
        return json.loads(row[0])

    # entries -----------------------------------------------------------------------------
    def entries(self, segment: str | None = None, prefix: str = "") -> Iterator[Entry]:
        """Index rows in (segment, path) order, streamed; of one segment, and of its paths
        under the folder `prefix` ("dir/"), if given."""
        where, args = _rows_of(segment, prefix)
        cursor = self.db.execute(f"SELECT * FROM entries{where} ORDER BY segment, path", args)
        yield from map(Entry._make, cursor)

    def entries_named(self, segment: str, paths: list[str]) -> Iterator[Entry]:
        """The index rows of these paths of a segment (sorted), those it has, in order."""
        for start in range(0, len(paths), 500):
            part = paths[start:start + 500]
            cursor = self.db.execute(
                f"SELECT * FROM entries WHERE segment = ? AND path IN ({','.join('?' * len(part))})"
                " ORDER BY path", (segment, *part))
            yield from map(Entry._make, cursor)

    def entry(self, segment: str, path: str) -> Entry | None:
        row = self.db.execute("SELECT * FROM entries WHERE segment = ? AND path = ?",
                              (segment, path)).fetchone()
        return Entry(*row) if row else None

    def stage(self, segment: str, path: str, checksum: str | None, size: int | None,
              label: str | None, mtime_ns: int = 0, ino: int = 0) -> None:
        """Set the staged values of an item (checksum None: staged as deleted)."""
        self.stage_rows([(segment, path, checksum, size, label, mtime_ns, ino)])

    def stage_rows(self, rows: Iterable[tuple[str, str, str | None, int | None, str | None,
                                             int, int]]) -> None:
        """`stage` many items: (segment, path, checksum, size, label, mtime_ns, ino) each."""
        self.db.executemany(
            "INSERT INTO entries (segment, path, sum, size, label, mtime_ns, ino)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (segment, path) DO UPDATE SET"
            " sum = excluded.sum, size = excluded.size, label = excluded.label,"
            " mtime_ns = excluded.mtime_ns, ino = excluded.ino", rows)

    def set_label(self, segment: str, path: str, label: str | None) -> None:
        self.db.execute("UPDATE entries SET label = ? WHERE segment = ? AND path = ?",
                        (label, segment, path))

    def refresh_stat(self, segment: str, path: str, mtime_ns: int, ino: int) -> None:
        self.db.execute("UPDATE entries SET mtime_ns = ?, ino = ? WHERE segment = ? AND path = ?",
                        (mtime_ns, ino, segment, path))

    def count_entries(self, segment: str | None = None, prefix: str = "") -> int:
        """Index rows: all, a segment's, or those under its folder `prefix` ("dir/")."""
        where, args = _rows_of(segment, prefix)
        return int(self.db.execute(f"SELECT COUNT(*) FROM entries{where}", args).fetchone()[0])

    def tracks(self, segment: str, path: str = "") -> bool:
        """Whether a segment has staged items: any, the one at `path`, or one in the folder
        `path` ("dir/")."""
        where, args = _rows_of(segment, path)
        if path and not path.endswith("/"):
            where, args = " WHERE segment = ? AND path = ?", (segment, path)
        return self.db.execute(f"SELECT 1 FROM entries{where} AND sum IS NOT NULL LIMIT 1",
                               args).fetchone() is not None

    def segment_sizes(self) -> dict[str, int]:
        rows = self.db.execute("SELECT segment, COUNT(*) FROM entries GROUP BY segment")
        return {str(segment): int(count) for segment, count in rows}

    def refresh_stats(self, rows: list[tuple[str, str, int, int]]) -> None:
        """Record (segment, path, mtime_ns, inode) of files re-verified unchanged."""
        self.db.executemany("UPDATE entries SET mtime_ns = ?3, ino = ?4 WHERE segment = ?1"
                            " AND path = ?2", rows)

    def set_entry(self, segment: str, path: str, value: tuple[str, int, str | None] | None,
                  mtime_ns: int = 0, ino: int = 0) -> None:
        """Make HEAD and staged both `value` (or remove the item)."""
        if value is None:
            self.db.execute("DELETE FROM entries WHERE segment = ? AND path = ?",
                            (segment, path))
            return
        self.set_entries([(segment, path, value, mtime_ns, ino)])

    def set_entries(self, rows: Iterable[tuple[str, str, tuple[str, int, str | None], int, int]]
                    ) -> None:
        """`set_entry` of (segment, path, (checksum, size, label), mtime_ns, ino) rows, many to
        a statement: SQLite is called once per `ROWS_PER_STATEMENT` rows, not once per row.
        Each call lets go of the interpreter lock, and while a clone's download threads run,
        taking it back costs more than the row."""
        values = [(segment, path, *value, *value, mtime_ns, ino)
                  for segment, path, value, mtime_ns, ino in rows]
        for start in range(0, len(values), ROWS_PER_STATEMENT):
            part = values[start:start + ROWS_PER_STATEMENT]
            self.db.execute(
                f"INSERT INTO entries VALUES {','.join([ENTRY_ROW] * len(part))} ON CONFLICT"
                " (segment, path) DO UPDATE SET head_sum = excluded.head_sum, head_size ="
                " excluded.head_size, head_label = excluded.head_label, sum = excluded.sum,"
                " size = excluded.size, label = excluded.label, mtime_ns = excluded.mtime_ns,"
                " ino = excluded.ino", [field for row in part for field in row])

    def load_entries(self, segment: str, rows: list[tuple[str, str, int, str | None]]) -> None:
        """Make HEAD and staged `(path, checksum, size, label)` (clone); a row whose checksum
        is unchanged keeps its stat cache, any other loses it."""
        self.db.executemany(
            "INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?3, ?4, ?5, 0, 0) ON CONFLICT"
            " (segment, path) DO UPDATE SET head_sum = ?3, head_size = ?4, head_label = ?5,"
            " mtime_ns = CASE WHEN sum IS ?3 THEN mtime_ns ELSE 0 END,"
            " ino = CASE WHEN sum IS ?3 THEN ino ELSE 0 END, sum = ?3, size = ?4, label = ?5",
            [(segment, *row) for row in rows])

    def forget_recent_stats(self, cutoff_ns: int) -> None:
        """Drop stat caches taken of files modified after `cutoff_ns` (racy: see compare.py)."""
        self.db.execute("UPDATE entries SET mtime_ns = 0 WHERE mtime_ns > ?", (cutoff_ns,))

    def count_staged_items(self) -> int:
        row = self.db.execute(f"SELECT COUNT(*) FROM entries WHERE {STAGED}").fetchone()
        return int(row[0])

    def staged_changes(self) -> Iterator[Entry]:
        """Rows whose staged values differ from HEAD's, in order."""
        cursor = self.db.execute(f"SELECT * FROM entries WHERE {STAGED} ORDER BY segment, path")
        yield from map(Entry._make, cursor)

    def staged_items(self) -> Iterator[tuple[str, str, str | None, int | None, str | None]]:
        """(segment, path, checksum, size, label) of the rows `staged_changes` gives, as plain
        tuples (a commit reads every one)."""
        yield from self.db.execute("SELECT segment, path, sum, size, label FROM entries"
                                   f" WHERE {STAGED} ORDER BY segment, path")

    def changed_labels(self) -> list[str]:
        """The distinct staged label ids that HEAD does not have at the same item."""
        rows = self.db.execute(f"SELECT DISTINCT label FROM entries WHERE ({STAGED})"
                               " AND label IS NOT NULL AND label IS NOT head_label")
        return [str(label) for label, in rows]

    def settle_head(self) -> None:
        """After a commit: HEAD := staged; rows absent from both disappear (found through the
        partial index `entries_unstaged`, not a scan of the index)."""
        self.db.execute("DELETE FROM entries WHERE sum IS NULL")
        self.db.execute("UPDATE entries SET head_sum = sum, head_size = size, head_label ="
                        f" label WHERE {STAGED}")
        self.db.execute("DELETE FROM segments WHERE staged = 0")
        self.db.execute("UPDATE segments SET in_head = staged")
        self.set("head_catalog", self.get("staged_catalog", ""))

    # segments ----------------------------------------------------------------------------
    def segments(self) -> dict[str, tuple[bool, bool]]:
        rows = self.db.execute("SELECT name, in_head, staged FROM segments ORDER BY name")
        return {str(name): (bool(head), bool(staged)) for name, head, staged in rows}

    def stage_segment(self, name: str, staged: bool) -> None:
        self.db.execute(
            "INSERT INTO segments (name, in_head, staged) VALUES (?, 0, ?) ON CONFLICT (name)"
            " DO UPDATE SET staged = excluded.staged", (name, int(staged)))

    def set_segment(self, name: str, present: bool) -> None:
        """Make HEAD and staged agree on a segment (checkout, clone)."""
        if present:
            self.db.execute("INSERT INTO segments (name, in_head, staged) VALUES (?, 1, 1)"
                            " ON CONFLICT (name) DO UPDATE SET in_head = 1, staged = 1", (name,))
        else:
            self.db.execute("DELETE FROM segments WHERE name = ?", (name,))

    def metadata_stat(self, name: str) -> tuple[int, int, int]:
        row = self.db.execute("SELECT meta_mtime_ns, meta_size, meta_ino FROM segments"
                              " WHERE name = ?", (name,)).fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, -1, 0)

    def set_metadata_stat(self, name: str, stat: tuple[int, int, int]) -> None:
        self.db.execute("UPDATE segments SET meta_mtime_ns = ?, meta_size = ?, meta_ino = ?"
                        " WHERE name = ?", (*stat, name))

    def staged_labels(self, segment: str) -> dict[str, str | None]:
        """Path → staged label id of the segment's staged items."""
        rows = self.db.execute("SELECT path, label FROM entries WHERE segment = ?"
                               " AND sum IS NOT NULL", (segment,))
        return dict(rows.fetchall())

    def staged_labels_of(self, segment: str, paths: list[str]) -> dict[str, str | None]:
        """`staged_labels` of these paths (those staged)."""
        found: dict[str, str | None] = {}
        for start in range(0, len(paths), 500):
            part = paths[start:start + 500]
            found.update(self.db.execute(
                "SELECT path, label FROM entries WHERE segment = ? AND sum IS NOT NULL"
                f" AND path IN ({','.join('?' * len(part))})", (segment, *part)).fetchall())
        return found

    def data_version(self) -> int:
        """Changes when another connection commits to the database (SQLite's data_version)."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    # commits and refs --------------------------------------------------------------------
    def add_commit(self, commit: CommitRecord) -> None:
        self.db.execute(
            "INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
            " SET state = COALESCE(excluded.state, commits.state),"
            " server_id = COALESCE(excluded.server_id, commits.server_id),"
            " merged = COALESCE(excluded.merged, commits.merged)",
            (commit.id, commit.parent, commit.title, commit.description, commit.author,
             commit.date, commit.state, commit.server_id, commit.merged))

    def commit(self, commit_id: str) -> CommitRecord | None:
        row = self.db.execute("SELECT * FROM commits WHERE id = ? OR server_id = ? LIMIT 1",
                              (commit_id, commit_id)).fetchone()
        return CommitRecord(*row) if row else None

    def commits_with_prefix(self, prefix: str) -> list[CommitRecord]:
        rows = self.db.execute(
            "SELECT * FROM commits WHERE (id >= ?1 AND id < ?1 || 'g') OR (server_id >= ?1 AND"
            " server_id < ?1 || 'g') LIMIT 3", (prefix,)).fetchall()
        return [CommitRecord(*row) for row in rows]

    def set_server_id(self, commit_id: str, server_id: str) -> None:
        self.db.execute("UPDATE commits SET server_id = ? WHERE id = ?", (server_id, commit_id))

    def set_message(self, commit_id: str, title: str, description: str) -> None:
        """A commit's title and description, as the server committed it (`gas draft commit`
        gives a drafted commit a new message)."""
        self.db.execute("UPDATE commits SET title = ?, description = ? WHERE id = ?",
                        (title, description, commit_id))

    def set_commit_state(self, commit_id: str, state: str) -> None:
        self.db.execute("UPDATE commits SET state = ? WHERE id = ?", (state, commit_id))

    def ref(self, name: str) -> str | None:
        row = self.db.execute("SELECT commit_id FROM refs WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_ref(self, name: str, commit_id: str | None) -> None:
        if commit_id is None:
            self.db.execute("DELETE FROM refs WHERE name = ?", (name,))
        else:
            self.db.execute("INSERT INTO refs VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET"
                            " commit_id = excluded.commit_id", (name, commit_id))

    def refs(self, prefix: str) -> dict[str, str]:
        rows = self.db.execute("SELECT name, commit_id FROM refs WHERE name >= ? AND name < ?"
                               " ORDER BY name", (prefix, prefix + "\uffff"))
        return {str(name)[len(prefix):]: str(commit) for name, commit in rows}


#: meta key: "1" when the workspace's dataset is a fusion dataset.
FUSION_KEY = "dataset.fusion"


def is_fusion(state: State) -> bool:
    return state.get(FUSION_KEY) == "1"
