"""The metadata reads and writes in SQL that SQLite and PostgreSQL both accept: `SqlTx`, the
`MetaTx` of both stores (versions' rows in sqlversions.py, the plumbing in sqlbase.py).
"""

from __future__ import annotations

from typing import Any

from gasvc.server.meta.sqlbase import Page, Row, name_filter
from gasvc.server.meta.sqljobs import JobRows
from gasvc.server.meta.sqlversions import VersionRows
from gasvc.server.records import Dataset, StorageConfig, User


class SqlTx(VersionRows, JobRows):
    """All metadata reads and writes; one instance lives for one transaction."""

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
        where, args, order = name_filter(name, exact)
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
        where, args, order = name_filter(name, exact)
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
                      "dataset_blobs", "jobs"):
            self._exec(f"DELETE FROM {table} WHERE dataset_id = ?", (dataset_id,))
        self._exec("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    def next_draft_number(self, dataset_id: str) -> int:
        row = self._one(
            "UPDATE datasets SET next_draft = next_draft + 1 WHERE id = ? RETURNING next_draft - 1",
            dataset_id,
        )
        assert row is not None
        return int(row[0])

    # content-addressed objects -------------------------------------------------------------
    def get_object(self, digest: str) -> bytes | None:
        row = self._one("SELECT data FROM objects WHERE hash = ?", digest)
        return bytes(row[0]) if row else None

    def put_object(self, digest: str, data: bytes) -> None:
        self._exec("INSERT INTO objects VALUES (?, ?) ON CONFLICT DO NOTHING", (digest, data))

    def has_object(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM objects WHERE hash = ?", digest) is not None

    # blob grants ---------------------------------------------------------------------------
    def grant_blob(self, dataset_id: str, checksum: str, size: int | None) -> None:
        """Let the dataset reference the blob; record its size where none is recorded yet."""
        self.grant_blobs(dataset_id, [(checksum, size)])

    def grant_blobs(self, dataset_id: str, sizes: list[tuple[str, int | None]]) -> None:
        """`grant_blob` of many (checksum, size) pairs in one statement, in the order given."""
        self.execute_many(
            "INSERT INTO dataset_blobs (dataset_id, checksum, size) VALUES (?, ?, ?)"
            " ON CONFLICT (dataset_id, checksum) DO UPDATE SET size = excluded.size"
            " WHERE dataset_blobs.size IS NULL AND excluded.size IS NOT NULL",
            [(dataset_id, checksum, size) for checksum, size in sizes])

    def blob_size(self, dataset_id: str, checksum: str) -> int | None:
        """The recorded size of a blob granted to the dataset (None: not granted, or granted
        before sizes were recorded)."""
        return self.blob_sizes(dataset_id, [checksum]).get(checksum)

    def blob_sizes(self, dataset_id: str, checksums: list[str]) -> dict[str, int | None]:
        """The granted ones of `checksums` with their recorded sizes (None: granted before
        sizes were recorded)."""
        found: dict[str, int | None] = {}
        for start in range(0, len(checksums), 500):
            chunk = checksums[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._all(f"SELECT checksum, size FROM dataset_blobs WHERE dataset_id = ?"
                             f" AND checksum IN ({marks})", dataset_id, *chunk)
            found.update((str(r[0]), None if r[1] is None else int(r[1])) for r in rows)
        return found

    def has_blob(self, dataset_id: str, checksum: str) -> bool:
        return self._one("SELECT 1 FROM dataset_blobs WHERE dataset_id = ? AND checksum = ?",
                         dataset_id, checksum) is not None

    def missing_blobs(self, dataset_id: str, checksums: list[str]) -> list[str]:
        """The checksums not granted to the dataset, in the order given."""
        granted = self.blob_sizes(dataset_id, checksums)
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
