"""The metadata reads and writes in SQL that SQLite and PostgreSQL both accept.

Statements are written with `?` placeholders; the dialect turns them into its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gasvc.server.meta.fuzzy import like_pattern
from gasvc.server.records import Commit, Dataset, Draft, Ref, StorageConfig, User

Page = tuple[list[Any], int]
Row = Any

class SqlTx:
    """All metadata reads and writes; one instance lives for one transaction.

    `conn.execute(sql, args)` runs a statement (a sqlite3 or psycopg connection), `sql` turns
    `?` placeholders into the connection's, `locker(key)` holds a lock until the transaction
    ends (None: writers are serialised anyway, or the transaction only reads).
    """

    def __init__(self, conn: Any, sql: Callable[[str], str] = str,
                 locker: Callable[[str], None] | None = None) -> None:
        self._conn = conn
        self._sql = sql
        self._locker = locker

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._conn.execute(self._sql(sql), args)

    def _one(self, sql: str, *args: Any) -> Row | None:
        return self._exec(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[Row]:
        rows: list[Row] = self._exec(sql, args).fetchall()
        return rows

    def _count(self, sql: str, *args: Any) -> int:
        row = self._one(sql, *args)
        return int(row[0]) if row else 0

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        """Run any statement (`?` placeholders): for tools that copy tables (migrate)."""
        return self._exec(sql, args)

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self._conn.cursor().executemany(self._sql(sql), rows)

    def lock(self, key: str) -> None:
        if self._locker is not None:
            self._locker(key)

    # settings -----------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", key)
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        self._exec("INSERT INTO settings VALUES (?, ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def add_setting(self, key: str, value: str) -> str:
        self._exec("INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
        stored = self.setting(key)
        assert stored is not None
        return stored

    # users --------------------------------------------------------------------------------
    def add_user(self, user: User, now: int) -> None:
        self._exec(
            "INSERT INTO users (id, name, email, created) VALUES (?, ?, ?, ?)",
            (user.id, user.name, user.email, now),
        )

    def add_key(self, user_id: str, key_hash: str, now: int) -> None:
        self._exec("INSERT INTO access_keys VALUES (?, ?, ?)", (key_hash, user_id, now))

    def user_by_name(self, name: str) -> User | None:
        row = self._one("SELECT id, name, email FROM users WHERE name = ?", name)
        return User(*row) if row else None

    def user_by_key(self, key_hash: str) -> User | None:
        row = self._one(
            "SELECT u.id, u.name, u.email FROM users u JOIN access_keys k ON k.user_id = u.id"
            " WHERE k.key_hash = ?",
            key_hash,
        )
        return User(*row) if row else None

    # storage configs ----------------------------------------------------------------------
    def list_configs(self, user_id: str, name: str | None, offset: int, limit: int,
                     exact: bool = False) -> Page:
        where, args, order = _name_filter(name, exact)
        base = f"FROM storage_configs WHERE user_id = ?{where}"
        rows = self._all(
            f"SELECT name, type, file_path, body {base} ORDER BY {order}name LIMIT ? OFFSET ?",
            user_id, *args, limit, offset,
        )
        total = self._count(f"SELECT COUNT(*) {base}", user_id, *args[:-1] if order else args)
        return [StorageConfig(*r) for r in rows], total

    def add_config(self, user_id: str, config: StorageConfig) -> None:
        self._exec(
            "INSERT INTO storage_configs VALUES (?, ?, ?, ?, ?)",
            (user_id, config.name, config.type, config.file_path, config.body),
        )

    def config(self, user_id: str, name: str) -> StorageConfig | None:
        row = self._one(
            "SELECT name, type, file_path, body FROM storage_configs WHERE user_id=? AND name=?",
            user_id, name,
        )
        return StorageConfig(*row) if row else None

    def delete_config(self, user_id: str, name: str) -> bool:
        cur = self._exec(
            "DELETE FROM storage_configs WHERE user_id = ? AND name = ?", (user_id, name)
        )
        return bool(cur.rowcount > 0)

    # datasets -----------------------------------------------------------------------------
    _DATASET = (
        "id, owner_id, name, type, alias, is_public, config_name, default_branch, updated"
    )

    def add_dataset(self, ds: Dataset, now: int) -> None:
        self._exec(
            "INSERT INTO datasets (id, owner_id, name, type, alias, is_public, config_name,"
            " default_branch, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ds.id, ds.owner_id, ds.name, ds.type, ds.alias, int(ds.is_public), ds.config_name,
             ds.default_branch, now, now),
        )

    def dataset(self, dataset_id: str) -> Dataset | None:
        row = self._one(f"SELECT {self._DATASET} FROM datasets WHERE id = ?", dataset_id)
        return _dataset(row) if row else None

    def dataset_by_name(self, owner_id: str, name: str) -> Dataset | None:
        row = self._one(
            f"SELECT {self._DATASET} FROM datasets WHERE owner_id = ? AND name = ?", owner_id, name
        )
        return _dataset(row) if row else None

    def list_datasets(self, user_id: str, name: str | None, offset: int, limit: int,
                      exact: bool = False) -> Page:
        """The user's datasets and other users' public ones; the exact name first, own first."""
        where, args, order = _name_filter(name, exact)
        base = f"FROM datasets WHERE (owner_id = ? OR is_public = 1){where}"
        rows = self._all(
            f"SELECT {self._DATASET} {base} ORDER BY {order}(owner_id = ?) DESC, name, id"
            " LIMIT ? OFFSET ?",
            user_id, *args, user_id, limit, offset,
        )
        total = self._count(f"SELECT COUNT(*) {base}", user_id, *args[:-1] if order else args)
        return [_dataset(r) for r in rows], total

    def update_dataset(self, dataset_id: str, now: int, **fields: Any) -> None:
        columns = {"name": "name", "alias": "alias", "is_public": "is_public"}
        sets = [f"{columns[key]} = ?" for key in fields] + ["updated = ?"]
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]
        self._exec(f"UPDATE datasets SET {', '.join(sets)} WHERE id = ?",
                   (*values, now, dataset_id))

    def touch_dataset(self, dataset_id: str, now: int) -> None:
        self._exec("UPDATE datasets SET updated = ? WHERE id = ?", (now, dataset_id))

    def delete_dataset(self, dataset_id: str) -> None:
        for table in ("commits", "branches", "tags", "drafts", "draft_changes", "version_stats",
                      "dataset_blobs"):
            self._exec(f"DELETE FROM {table} WHERE dataset_id = ?", (dataset_id,))
        self._exec("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    def next_draft_number(self, dataset_id: str) -> int:
        row = self._one(
            "UPDATE datasets SET next_draft = next_draft + 1 WHERE id = ? RETURNING next_draft - 1",
            dataset_id,
        )
        assert row is not None
        return int(row[0])

    # branches and tags: the same shape in two tables ---------------------------------------
    def branch(self, dataset_id: str, name: str) -> Ref | None:
        return self._ref("branches", dataset_id, name)

    def tag(self, dataset_id: str, name: str) -> Ref | None:
        return self._ref("tags", dataset_id, name)

    def list_branches(self, dataset_id: str, name: str | None, offset: int, limit: int,
                      exact: bool = False) -> Page:
        return self._list_refs("branches", dataset_id, name, offset, limit, exact)

    def list_tags(self, dataset_id: str, name: str | None, offset: int, limit: int,
                  exact: bool = False) -> Page:
        return self._list_refs("tags", dataset_id, name, offset, limit, exact)

    def add_branch(self, dataset_id: str, name: str, commit_id: str) -> None:
        self._exec("INSERT INTO branches VALUES (?, ?, ?)", (dataset_id, name, commit_id))

    def add_tag(self, dataset_id: str, name: str, commit_id: str) -> None:
        self._exec("INSERT INTO tags VALUES (?, ?, ?)", (dataset_id, name, commit_id))

    def delete_branch(self, dataset_id: str, name: str) -> bool:
        cur = self._exec("DELETE FROM branches WHERE dataset_id = ? AND name = ?",
                         (dataset_id, name))
        return bool(cur.rowcount > 0)

    def delete_tag(self, dataset_id: str, name: str) -> bool:
        cur = self._exec("DELETE FROM tags WHERE dataset_id = ? AND name = ?", (dataset_id, name))
        return bool(cur.rowcount > 0)

    def tags_at(self, dataset_id: str, commit_id: str) -> list[str]:
        rows = self._all("SELECT name FROM tags WHERE dataset_id = ? AND commit_id = ?"
                         " ORDER BY name", dataset_id, commit_id)
        return [str(r[0]) for r in rows]

    def move_branch(self, dataset_id: str, name: str, expected: str, new: str) -> bool:
        """Compare-and-swap a branch head; False when it no longer points at `expected`."""
        cur = self._exec(
            "UPDATE branches SET commit_id = ? WHERE dataset_id = ? AND name = ? AND commit_id = ?",
            (new, dataset_id, name, expected),
        )
        return bool(cur.rowcount == 1)

    def _ref(self, table: str, dataset_id: str, name: str) -> Ref | None:
        row = self._one(f"SELECT name, commit_id FROM {table} WHERE dataset_id = ? AND name = ?",
                        dataset_id, name)
        return Ref(*row) if row else None

    def _list_refs(self, table: str, dataset_id: str, name: str | None, offset: int,
                   limit: int, exact: bool) -> Page:
        where, args, order = _name_filter(name, exact)
        base = f"FROM {table} WHERE dataset_id = ?{where}"
        rows = self._all(
            f"SELECT name, commit_id {base} ORDER BY {order}name LIMIT ? OFFSET ?",
            dataset_id, *args, limit, offset,
        )
        total = self._count(f"SELECT COUNT(*) {base}", dataset_id, *args[:-1] if order else args)
        return [Ref(*r) for r in rows], total

    # commits ------------------------------------------------------------------------------
    _COMMIT = "id, parent_id, root, title, description, committer, date, depth"

    def add_commit(self, dataset_id: str, c: Commit) -> None:
        self._exec(
            f"INSERT INTO commits (dataset_id, {self._COMMIT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dataset_id, c.id, c.parent_id, c.root, c.title, c.description, c.committer, c.date,
             c.depth),
        )

    def commit(self, dataset_id: str, commit_id: str) -> Commit | None:
        row = self._one(
            f"SELECT {self._COMMIT} FROM commits WHERE dataset_id = ? AND id = ?",
            dataset_id, commit_id,
        )
        return Commit(*row) if row else None

    def commits_with_prefix(self, dataset_id: str, prefix: str, limit: int = 2) -> list[Commit]:
        rows = self._all(
            f"SELECT {self._COMMIT} FROM commits WHERE dataset_id = ? AND id >= ? AND id < ?"
            " ORDER BY id LIMIT ?",
            dataset_id, prefix, prefix + "g", limit,
        )
        return [Commit(*r) for r in rows]

    def ancestors(self, dataset_id: str, commit_id: str, offset: int, limit: int) -> list[Commit]:
        """`commit_id` and its ancestors, newest first (the ROOT commit is not stored).

        The walk stops after `offset + limit` commits by a bound on its depth (PostgreSQL
        takes no LIMIT inside a recursive query)."""
        columns = ", ".join("c." + f for f in self._COMMIT.split(", "))
        rows = self._all(
            "WITH RECURSIVE chain(id, n) AS ("
            " SELECT id, 0 FROM commits WHERE dataset_id = ? AND id = ?"
            " UNION ALL SELECT c.parent_id, chain.n + 1 FROM commits c JOIN chain"
            " ON c.dataset_id = ? AND c.id = chain.id WHERE chain.n + 1 < ?)"
            f" SELECT {columns} FROM chain JOIN commits c ON c.dataset_id = ? AND c.id = chain.id"
            " ORDER BY chain.n LIMIT ? OFFSET ?",
            dataset_id, commit_id, dataset_id, offset + limit, dataset_id, limit, offset,
        )
        return [Commit(*r) for r in rows]

    # drafts -------------------------------------------------------------------------------
    _DRAFT = (
        "number, branch, parent_commit, title, description, status, author, created, updated,"
        " state"
    )

    def add_draft(self, dataset_id: str, d: Draft) -> None:
        self._exec(
            f"INSERT INTO drafts (dataset_id, {self._DRAFT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?)",
            (dataset_id, d.number, d.branch, d.parent_commit, d.title, d.description, d.status,
             d.author, d.created, d.updated, d.state),
        )

    def draft(self, dataset_id: str, number: int) -> Draft | None:
        row = self._one(
            f"SELECT {self._DRAFT} FROM drafts WHERE dataset_id = ? AND number = ?",
            dataset_id, number,
        )
        return Draft(*row) if row else None

    def list_drafts(
        self, dataset_id: str, status: str | None, branch: str | None, offset: int, limit: int
    ) -> Page:
        where, args = "", list[Any]()
        if status is not None:
            where, args = where + " AND status = ?", [*args, status]
        if branch is not None:
            where, args = where + " AND branch = ?", [*args, branch]
        base = f"FROM drafts WHERE dataset_id = ?{where}"
        rows = self._all(
            f"SELECT {self._DRAFT} {base} ORDER BY number LIMIT ? OFFSET ?",
            dataset_id, *args, limit, offset,
        )
        return [Draft(*r) for r in rows], self._count(f"SELECT COUNT(*) {base}", dataset_id, *args)

    def update_draft(self, dataset_id: str, number: int, **fields: Any) -> None:
        allowed = {"title", "description", "status", "updated", "state"}
        assert set(fields) <= allowed
        sets = ", ".join(f"{key} = ?" for key in fields)
        self._exec(
            f"UPDATE drafts SET {sets} WHERE dataset_id = ? AND number = ?",
            (*fields.values(), dataset_id, number),
        )

    # draft changes: the mutable overlay of a draft on its segment trees -------------------
    def put_change(
        self, dataset_id: str, number: int, segment: str, key: str, value: str | None
    ) -> None:
        self._exec(
            "INSERT INTO draft_changes VALUES (?, ?, ?, ?, ?) ON CONFLICT"
            " (dataset_id, number, segment, key) DO UPDATE SET value = excluded.value",
            (dataset_id, number, segment, key, value),
        )

    def change(
        self, dataset_id: str, number: int, segment: str, key: str
    ) -> tuple[bool, str | None]:
        """(found, value): value None with found True is a deletion."""
        row = self._one(
            "SELECT value FROM draft_changes WHERE dataset_id = ? AND number = ? AND segment = ?"
            " AND key = ?",
            dataset_id, number, segment, key,
        )
        return (True, row[0]) if row else (False, None)

    def changes(self, dataset_id: str, number: int, segment: str) -> Iterator[tuple[str, Any]]:
        """The pending changes of one segment, sorted by key."""
        cur = self._exec(
            "SELECT key, value FROM draft_changes WHERE dataset_id = ? AND number = ?"
            " AND segment = ? ORDER BY key",
            (dataset_id, number, segment),
        )
        yield from cur

    def changed_segments(self, dataset_id: str, number: int) -> list[str]:
        rows = self._all(
            "SELECT DISTINCT segment FROM draft_changes WHERE dataset_id = ? AND number = ?",
            dataset_id, number,
        )
        return [str(r[0]) for r in rows]

    def clear_changes(self, dataset_id: str, number: int, segment: str | None = None) -> None:
        if segment is None:
            self._exec(
                "DELETE FROM draft_changes WHERE dataset_id = ? AND number = ?",
                (dataset_id, number),
            )
        else:
            self._exec(
                "DELETE FROM draft_changes WHERE dataset_id = ? AND number = ? AND segment = ?",
                (dataset_id, number, segment),
            )

    # content-addressed objects -------------------------------------------------------------
    def get_object(self, digest: str) -> bytes | None:
        row = self._one("SELECT data FROM objects WHERE hash = ?", digest)
        return bytes(row[0]) if row else None

    def put_object(self, digest: str, data: bytes) -> None:
        self._exec("INSERT INTO objects VALUES (?, ?) ON CONFLICT DO NOTHING", (digest, data))

    def has_object(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM objects WHERE hash = ?", digest) is not None

    # blob grants ---------------------------------------------------------------------------
    def grant_blob(self, dataset_id: str, checksum: str) -> None:
        self._exec("INSERT INTO dataset_blobs VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (dataset_id, checksum))

    def has_blob(self, dataset_id: str, checksum: str) -> bool:
        return self._one("SELECT 1 FROM dataset_blobs WHERE dataset_id = ? AND checksum = ?",
                         dataset_id, checksum) is not None

    def missing_blobs(self, dataset_id: str, checksums: list[str]) -> list[str]:
        """The checksums not granted to the dataset, in the order given."""
        granted = set()
        for start in range(0, len(checksums), 500):
            chunk = checksums[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._all(f"SELECT checksum FROM dataset_blobs WHERE dataset_id = ?"
                             f" AND checksum IN ({marks})", dataset_id, *chunk)
            granted |= {str(r[0]) for r in rows}
        return [c for c in checksums if c not in granted]

    # cached figures of immutable versions ---------------------------------------------------
    def version_stat(self, dataset_id: str, root: str, kind: str) -> str | None:
        row = self._one(
            "SELECT value FROM version_stats WHERE dataset_id = ? AND root = ? AND kind = ?",
            dataset_id, root, kind,
        )
        return str(row[0]) if row else None

    def set_version_stat(self, dataset_id: str, root: str, kind: str, value: str) -> None:
        self._exec(
            "INSERT INTO version_stats VALUES (?, ?, ?, ?) ON CONFLICT (dataset_id, root, kind)"
            " DO UPDATE SET value = excluded.value",
            (dataset_id, root, kind, value),
        )


def _dataset(row: Row) -> Dataset:
    values = list(row)
    values[5] = bool(values[5])
    return Dataset(*values)


def _name_filter(name: str | None, exact: bool = False) -> tuple[str, list[Any], str]:
    """(WHERE fragment, its args + the exact name, ORDER BY prefix putting the exact name first).

    `exact` matches the name only: for clients that look objects up by name (spec 1.9).
    """
    if name is None:
        return "", [], ""
    if exact:
        return " AND name = ?", [name, name], "(name = ?) DESC, "
    pattern, exact_name = like_pattern(name)
    return " AND name LIKE ? ESCAPE '\\'", [pattern, exact_name], "(name = ?) DESC, "
