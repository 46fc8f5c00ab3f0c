"""The embedded metadata store: one SQLite file in WAL mode, one connection per thread.

Writers take `BEGIN IMMEDIATE` (after a lock among this process's threads), so writes are
serialised (a transaction's `lock()` has nothing to add) and a reader always sees a consistent
snapshot; a process killed mid-transaction leaves the last committed state.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

from gasvc.server.meta.schema import migrate_sqlite
from gasvc.server.meta.sqlitebulk import SqliteTx
from gasvc.server.meta.store import MetaTx, run_in

T = TypeVar("T")
#: Pages of write-ahead log before they are written back into the database (`_connect`).
CHECKPOINT_PAGES = 16384


class SqliteMetaStore:
    """Opens `path` (or memory for ':memory:') and hands out transactions."""

    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        self._writing = threading.RLock()
        if self._path == ":memory:":
            self._memory = self._connect()
        migrate_sqlite(self._conn(), int(time.time()))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=False, timeout=30
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # a push's grants land on random pages of a big index: written back once per 64 MB of
        # log, not once per ~4 MB (a page written by many transactions is written back once)
        conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        conn.execute("PRAGMA case_sensitive_like=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[MetaTx]:
        with self._memory_lock if self._memory is not None else _nolock():
            conn = self._conn()
            conn.execute(begin)
            try:
                yield SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[MetaTx]:
        """A serialised read-write transaction (context manager yielding a `MetaTx`). This
        process's writers queue on a lock first: SQLite's own wait for its write lock sleeps in
        growing steps (up to 100 ms), so many threads writing small transactions at once, as a
        push's batches do, would mostly sleep."""
        with self._writing, self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    def read(self) -> AbstractContextManager[MetaTx]:
        """A read transaction on one consistent snapshot."""
        return self._transaction("BEGIN")

    def run(self, fn: Callable[[MetaTx], T]) -> T:
        return run_in(self, fn)

    def ping(self) -> None:
        self._conn().execute("SELECT 1").fetchone()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        conn = self._memory or getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


@contextmanager
def _nolock() -> Iterator[None]:
    yield
