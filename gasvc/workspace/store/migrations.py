"""Numbered steps of the workspace database's schema; `PRAGMA user_version` records the last one.

Step 1 is the schema gas 0.1 wrote without numbering it: every statement says IF NOT EXISTS, so an
unnumbered database made by that version passes through it unchanged. A later step is a function
of the open connection, run inside the step's transaction; one that reshapes a table uses
sqlite-utils' `Table.transform` (imported inside that step, so opening an up-to-date workspace —
every `gas status` — never pays for the import).

A database at a higher version than this gas knows is refused, naming both versions: an older gas
must never misread a newer workspace.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from gasvc import __version__
from gasvc.errors import ClientError

Step = Callable[[sqlite3.Connection], None]


class NewerWorkspace(ClientError):
    """The workspace was written by a newer gas, with a schema this one does not know."""


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Execute SQL statements one by one (inside the caller's transaction, unlike
    `executescript`, which commits first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def schema_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)


def migrate(db: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """Bring the schema up to `len(steps)`, one transaction per step; refuse a newer one."""
    version = schema_version(db)
    if version > len(steps):
        raise _newer(db, version, len(steps))
    for number, step in enumerate(steps[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) < number:  # another process may have applied it meanwhile
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
                db.execute("INSERT INTO meta VALUES ('schema_written_by', ?) ON CONFLICT (key)"
                           " DO UPDATE SET value = excluded.value", (__version__,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _newer(db: sqlite3.Connection, version: int, known: int) -> NewerWorkspace:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_written_by'").fetchone()
    except sqlite3.Error:
        row = None
    writer = f"gas {row[0]}" if row else "a newer gas"
    return NewerWorkspace(
        f"this workspace was written by {writer} (workspace schema version {version}); this is"
        f" gas {__version__}, which reads workspace schema versions up to {known}",
        "upgrade gasvc (pip install -U gasvc) to use this workspace, or clone the dataset again"
        " with this version in another folder")
