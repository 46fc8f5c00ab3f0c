"""`gas server migrate`: move an embedded server's data (a data dir) to PostgreSQL and S3.

Files first, then metadata, so that the metadata never names a file the target lacks:
- every blob of `DIR/blobs` is streamed into the target store, which checks its SHA-1 as it
  stores it (a blob the target has already is skipped);
- every table is copied in primary-key order, a thousand rows per transaction, as upserts;
  after each batch the last key copied is recorded in the target (`settings`), so a migration
  that is stopped resumes where it was;
- at the end, each table's row count and a SHA-256 over its rows in key order are compared
  between source and target, and every blob's size; any difference is an error;
- last, grants copied without a recorded blob size (made before sizes were recorded) get the
  size of their blob, so that callbacks on the target need not ask the object store.

Stop the embedded server first: rows it changes while the migration runs are not followed.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gasvc.errors import ClientError, ConfigError
from gasvc.model.names import is_sha1
from gasvc.server.blobs import BlobStore, DirectoryBlobStore
from gasvc.server.meta import MetaStore, MetaTx, SqliteMetaStore
from gasvc.server.meta.sqltx import SqlTx

#: (table, primary key columns), parents before children.
TABLES: list[tuple[str, tuple[str, ...]]] = [
    ("settings", ("key",)), ("users", ("id",)), ("access_keys", ("key_hash",)),
    ("storage_configs", ("user_id", "name")), ("datasets", ("id",)),
    ("commits", ("dataset_id", "id")), ("branches", ("dataset_id", "name")),
    ("tags", ("dataset_id", "name")), ("drafts", ("dataset_id", "number")),
    ("draft_changes", ("dataset_id", "number", "segment", "key")), ("objects", ("hash",)),
    ("version_stats", ("dataset_id", "root", "kind")),
    ("dataset_blobs", ("dataset_id", "checksum")), ("jobs", ("id",)),
]
BATCH = 1000
PROGRESS = "migration:"


class MigrationFailed(ClientError):
    """The target differs from the source after copying."""


@dataclass
class Report:
    blobs_copied: int = 0
    blobs_present: int = 0
    bytes_copied: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def migrate(data_dir: Path, target_meta: MetaStore, target_blobs: BlobStore,
            say: Callable[[str], None] = print, jobs: int = 8) -> Report:
    source_file = data_dir / "meta.sqlite"
    if not source_file.is_file():
        raise ConfigError(f"{data_dir} holds no gasvc server data (no meta.sqlite)",
                          "give the --data-dir the embedded server was started with")
    if target_meta.dialect == "sqlite":
        raise ConfigError("the target database is SQLite", "give --database postgresql://…")
    source_meta = SqliteMetaStore(source_file)
    source_blobs = DirectoryBlobStore(data_dir / "blobs")
    report = Report()
    copy_blobs(source_blobs, target_blobs, report, say, jobs)
    for table, key in TABLES:
        report.rows[table] = copy_table(source_meta, target_meta, table, key, say)
    verify(source_meta, target_meta, source_blobs, target_blobs, say)
    record_sizes(target_meta, source_blobs, say)
    target_meta.run(lambda tx: sql_tx(tx).execute("DELETE FROM settings WHERE key LIKE ?",
                                                  (PROGRESS + "%",)))
    return report


# blobs ---------------------------------------------------------------------------------
def blob_files(store: DirectoryBlobStore) -> Iterator[tuple[str, int]]:
    """(checksum, size) of every blob in a folder store, in its own file or packed, once
    each, in checksum order."""
    last = None
    for checksum, size in heapq.merge(_loose_blobs(store), store.packs.blobs()):
        if checksum != last:
            yield checksum, size
        last = checksum


def _loose_blobs(store: DirectoryBlobStore) -> Iterator[tuple[str, int]]:
    for folder in sorted(store.root.glob("??")):
        for path in sorted(folder.iterdir()):
            checksum = folder.name + path.name
            if is_sha1(checksum):
                yield checksum, path.stat().st_size


def copy_blobs(source: DirectoryBlobStore, target: BlobStore, report: Report,
               say: Callable[[str], None], jobs: int) -> None:
    def copy(item: tuple[str, int]) -> bool:
        checksum, size = item
        if target.size(checksum) == size:
            return False
        batch = target.batch()
        try:
            writer = batch.add(checksum, size)
            for chunk in source.read(checksum):
                writer.write(chunk)
            writer.finish()  # the target checks the SHA-1 before the blob exists
            batch.commit()
        finally:
            batch.abort()
        return True

    items = list(blob_files(source))
    say(f"blobs: {len(items)} in {source.root}")
    with ThreadPoolExecutor(jobs) as pool:
        results = zip(pool.map(copy, items), items, strict=True)
        for done, (copied, (_, size)) in enumerate(results, 1):
            if copied:
                report.blobs_copied += 1
                report.bytes_copied += size
            else:
                report.blobs_present += 1
            if done % 1000 == 0:
                say(f"blobs: {done}/{len(items)}")
    say(f"blobs: {report.blobs_copied} copied ({report.bytes_copied} bytes), "
        f"{report.blobs_present} already there")


# tables --------------------------------------------------------------------------------
def sql_tx(tx: MetaTx) -> SqlTx:
    """Both stores' transactions run SQL: the migration copies rows as they are."""
    assert isinstance(tx, SqlTx)
    return tx


def columns(store: SqliteMetaStore, table: str) -> list[str]:
    with store.read() as tx:
        return [str(row[1]) for row in sql_tx(tx).execute(f"PRAGMA table_info({table})")]


def copy_table(source: SqliteMetaStore, target: MetaStore, table: str,
               key: tuple[str, ...], say: Callable[[str], None]) -> int:
    """Copy rows in key order from where an earlier run stopped; returns the rows copied."""
    names = columns(source, table)
    others = [c for c in names if c not in key]
    upsert = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
              f" ON CONFLICT ({', '.join(key)}) DO "
              + (f"UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in others)}" if others
                 else "NOTHING"))
    mark = PROGRESS + table
    last = target.run(lambda tx: tx.setting(mark))
    after: list[Any] | None = json.loads(last) if last else None
    copied = 0
    while True:
        rows = _page(source, table, names, key, after)
        if not rows:
            break

        def write(tx: MetaTx, rows: list[tuple[Any, ...]] = rows) -> None:
            sql_tx(tx).execute_many(upsert, [_portable(r) for r in rows])
            tx.set_setting(mark, json.dumps([_plain(v) for v in _key_of(rows[-1], names, key)]))

        target.run(write)
        copied += len(rows)
        after = list(_key_of(rows[-1], names, key))
    say(f"{table}: {copied} rows copied" + (" (resumed)" if last else ""))
    return copied


def _page(store: SqliteMetaStore, table: str, names: list[str], key: tuple[str, ...],
          after: list[Any] | None) -> list[tuple[Any, ...]]:
    where = f" WHERE ({', '.join(key)}) > ({', '.join('?' * len(key))})" if after else ""
    with store.read() as tx:
        rows = sql_tx(tx).execute(
            f"SELECT {', '.join(names)} FROM {table}{where} ORDER BY {', '.join(key)}"
            f" LIMIT {BATCH}", tuple(after or ())).fetchall()
    return [tuple(row) for row in rows]


def _key_of(row: tuple[Any, ...], names: list[str], key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[names.index(k)] for k in key)


def _plain(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


def _portable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


def record_sizes(target: MetaStore, source_blobs: DirectoryBlobStore,
                 say: Callable[[str], None]) -> None:
    """Record the size of every granted blob whose grant has none."""
    with target.read() as tx:
        unsized = {str(row[0]) for row in sql_tx(tx).execute(
            "SELECT DISTINCT checksum FROM dataset_blobs WHERE size IS NULL")}
    if not unsized:
        return
    found = [(size, checksum) for checksum, size in blob_files(source_blobs)
             if checksum in unsized]
    for start in range(0, len(found), BATCH):
        def write(tx: MetaTx, chunk: list[tuple[int, str]] = found[start : start + BATCH]
                  ) -> None:
            sql_tx(tx).execute_many(
                "UPDATE dataset_blobs SET size = ? WHERE checksum = ? AND size IS NULL", chunk)

        target.run(write)
    say(f"sizes recorded for {len(found)} blobs")


# verification --------------------------------------------------------------------------
def table_digest(store: MetaStore, table: str, names: list[str], key: tuple[str, ...]
                 ) -> tuple[int, str]:
    """(rows, SHA-256 over the rows in key order), migration progress marks left out."""
    digest, count = hashlib.sha256(), 0
    skip, args = (" WHERE key NOT LIKE ?", (PROGRESS + "%",)) if table == "settings" else ("", ())
    with store.read() as tx:
        cursor = sql_tx(tx).execute(
            f"SELECT {', '.join(names)} FROM {table}{skip} ORDER BY {', '.join(key)}", args)
        for row in cursor:
            digest.update(repr([_plain(bytes(v) if isinstance(v, memoryview) else v)
                                for v in row]).encode())
            count += 1
    return count, digest.hexdigest()


def verify(source: SqliteMetaStore, target: MetaStore, source_blobs: DirectoryBlobStore,
           target_blobs: BlobStore, say: Callable[[str], None]) -> None:
    problems = []
    for table, key in TABLES:
        names = columns(source, table)
        mine, theirs = table_digest(source, table, names, key), table_digest(
            target, table, names, key)
        if mine != theirs:
            problems.append(f"{table}: {mine[0]} rows in the source, {theirs[0]} in the target"
                            + ("" if mine[0] != theirs[0] else ", contents differ"))
    missing = [c for c, size in blob_files(source_blobs) if target_blobs.size(c) != size]
    if missing:
        problems.append(f"{len(missing)} blobs missing or of another size, e.g. {missing[0]}")
    if problems:
        raise MigrationFailed("the target differs from the source: " + "; ".join(problems),
                              "run the migration again (it resumes), with the embedded "
                              "server stopped")
    say("verified: every table's rows and checksum, every blob's size, equal")
