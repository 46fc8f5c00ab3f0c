"""What both stores' SQL transactions share: running statements, locks, name filters.

Statements are written with `?` placeholders; the dialect turns them into its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gasvc.server.meta.fuzzy import like_pattern

Page = tuple[list[Any], int]
Row = Any


class SqlBase:
    """Runs one transaction's statements.

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


def name_filter(name: str | None, exact: bool = False) -> tuple[str, list[Any], str]:
    """(WHERE fragment, its args + the exact name, ORDER BY prefix putting the exact name first).

    `exact` matches the name only: for clients that look objects up by name (spec 1.9).
    """
    if name is None:
        return "", [], ""
    if exact:
        return " AND name = ?", [name, name], "(name = ?) DESC, "
    pattern, exact_name = like_pattern(name)
    return " AND name LIKE ? ESCAPE '\\'", [pattern, exact_name], "(name = ?) DESC, "
