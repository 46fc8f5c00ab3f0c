"""The metadata store of a scaled-out server: PostgreSQL through psycopg 3 and a pool.

Any number of server processes, on any machines, share one database:
- reads run in REPEATABLE READ READ ONLY transactions: one consistent snapshot, never blocked;
- writes run in READ COMMITTED transactions that take `lock(key)` (a transaction-scoped advisory
  lock) on the dataset or user they change before they read it, so writers of one dataset go
  one at a time while others run beside them; branch moves stay compare-and-swap;
- a serialization failure or deadlock (two writers inserting the same content-addressed object
  in opposite orders) raises `TransactionConflict`, and the transaction is run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from gasvc.server.meta.schema import LEDGER, pending_steps, postgres_ddl, postgres_sql, statements
from gasvc.server.meta.sqltx import SqlTx
from gasvc.server.meta.store import MetaTx, StoreUnavailable, TransactionConflict, run_in

T = TypeVar("T")
#: Connections one server process keeps at most (its worker threads share them).
POOL_SIZE = 16
#: The advisory lock that lets one process at a time apply migrations.
MIGRATION_LOCK = 7_140_001
_CONFLICTS = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class PostgresMetaStore:
    dialect = "postgresql"

    def __init__(self, conninfo: str, pool_size: int = POOL_SIZE) -> None:
        _check_reachable(conninfo)
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size,
                                    kwargs={"autocommit": True}, open=False,
                                    name="gasvc-meta")
        self._pool.open(wait=True, timeout=30)
        self._migrate()

    def _migrate(self) -> None:
        """Apply the steps not applied yet, all in one transaction under a lock, so that
        instances starting together migrate once."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(LEDGER)
            applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
            for number, script in pending_steps(applied):
                for statement in statements(postgres_ddl(script)):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)",
                             (number, int(time.time())))

    @contextmanager
    def _transaction(self, begin: str, writing: bool) -> Iterator[MetaTx]:
        with self._pool.connection() as conn:
            try:
                conn.execute(begin)
                yield SqlTx(conn, postgres_sql, _locker(conn) if writing else None)
                conn.execute("COMMIT")
            except _CONFLICTS as error:
                _rollback(conn)
                raise TransactionConflict() from error
            except BaseException:
                _rollback(conn)
                raise

    def write(self) -> AbstractContextManager[MetaTx]:
        return self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", True)

    def read(self) -> AbstractContextManager[MetaTx]:
        return self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", False)

    def run(self, fn: Callable[[MetaTx], T]) -> T:
        return run_in(self, fn)

    def ping(self) -> None:
        with self._pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self._pool.close()


def _check_reachable(conninfo: str) -> None:
    """Fail fast, with what to do, when the database cannot be used (the pool would retry)."""
    try:
        with psycopg.connect(conninfo, connect_timeout=10):
            pass
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise StoreUnavailable(f"cannot use the database: {reason}",
                          "check the --database URL (host, port, user, password, database "
                          "name) and that PostgreSQL runs") from None


def _locker(conn: psycopg.Connection[Any]) -> Callable[[str], None]:
    def lock(key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    return lock


def _rollback(conn: psycopg.Connection[Any]) -> None:
    """Roll back if the connection still can (a broken one is dropped by the pool)."""
    if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
