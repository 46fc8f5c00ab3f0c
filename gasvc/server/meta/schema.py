"""The metadata schema, applied in numbered steps recorded in the table `schema_migrations`.

The steps are written for SQLite; PostgreSQL runs the same steps, its types mapped by
`postgres_ddl`. Never change a step that has shipped: add one.
"""

from __future__ import annotations

import functools
import re
import sqlite3

MIGRATIONS: list[str] = [
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE users (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL);
    CREATE TABLE access_keys (
        key_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
        created INTEGER NOT NULL);
    CREATE TABLE storage_configs (
        user_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, file_path TEXT NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (user_id, name));
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
        alias TEXT NOT NULL, is_public INTEGER NOT NULL, config_name TEXT NOT NULL,
        default_branch TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
        next_draft INTEGER NOT NULL DEFAULT 1, UNIQUE (owner_id, name));
    CREATE TABLE commits (
        dataset_id TEXT NOT NULL, id TEXT NOT NULL, parent_id TEXT NOT NULL, root TEXT NOT NULL,
        title TEXT NOT NULL, description TEXT NOT NULL, committer TEXT NOT NULL,
        date INTEGER NOT NULL, depth INTEGER NOT NULL, PRIMARY KEY (dataset_id, id));
    CREATE TABLE branches (
        dataset_id TEXT NOT NULL, name TEXT NOT NULL, commit_id TEXT NOT NULL,
        PRIMARY KEY (dataset_id, name));
    CREATE TABLE tags (
        dataset_id TEXT NOT NULL, name TEXT NOT NULL, commit_id TEXT NOT NULL,
        PRIMARY KEY (dataset_id, name));
    CREATE TABLE drafts (
        dataset_id TEXT NOT NULL, number INTEGER NOT NULL, branch TEXT NOT NULL,
        parent_commit TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
        status TEXT NOT NULL, author TEXT NOT NULL, created INTEGER NOT NULL,
        updated INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (dataset_id, number));
    CREATE TABLE draft_changes (
        dataset_id TEXT NOT NULL, number INTEGER NOT NULL, segment TEXT NOT NULL,
        key TEXT NOT NULL, value TEXT,
        PRIMARY KEY (dataset_id, number, segment, key)) WITHOUT ROWID;
    CREATE TABLE objects (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE version_stats (
        dataset_id TEXT NOT NULL, root TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (dataset_id, root, kind));
    """,
    # which blobs each dataset may reference: the ones uploaded into it (no reading others'
    # private files by naming their SHA-1 in a callback)
    """
    CREATE TABLE dataset_blobs (
        dataset_id TEXT NOT NULL, checksum TEXT NOT NULL,
        PRIMARY KEY (dataset_id, checksum)) WITHOUT ROWID;
    """,
    # jobs run by the server's workers (squash-and-merge, basic search); a PROCESSING job is
    # held by one worker until `lease` (a time): a worker that died lets it be claimed again
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL, type TEXT NOT NULL,
        title TEXT NOT NULL, description TEXT NOT NULL, arguments TEXT NOT NULL,
        status TEXT NOT NULL, error TEXT NOT NULL, result TEXT, author TEXT NOT NULL,
        created INTEGER NOT NULL, started INTEGER, finished INTEGER,
        worker TEXT NOT NULL DEFAULT '', lease INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL);
    CREATE INDEX jobs_by_dataset ON jobs (dataset_id, type, seq);
    CREATE INDEX jobs_by_status ON jobs (status, seq);
    """,
    # each granted blob's size, recorded when it is stored, so that a callback checks it without
    # asking the blob store (one request per file on S3); NULL in grants made before this step
    """
    ALTER TABLE dataset_blobs ADD COLUMN size INTEGER;
    """,
    # a basic search whose result commit a newer search dropped (engine/search.py) is marked,
    # so that each new search looks only at the results not dropped yet (found by this index,
    # not a scan of every search the dataset ever ran)
    """
    ALTER TABLE jobs ADD COLUMN result_dropped INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_live_results ON jobs (dataset_id, type, finished, seq)
        WHERE status = 'SUCCESS' AND result IS NOT NULL AND result_dropped = 0;
    """,
]


#: Where the applied steps are recorded (both dialects).
LEDGER = ("CREATE TABLE IF NOT EXISTS schema_migrations"
          " (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)")

_PG_TYPES = [(re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'), (re.compile(r"\bINTEGER\b"), "BIGINT"),
             (re.compile(r"\bBLOB\b"), "BYTEA"), (re.compile(r"\s*WITHOUT ROWID"), "")]
_PLACEHOLDER = re.compile(r"\?")


def postgres_ddl(script: str) -> str:
    """A step's SQLite DDL in PostgreSQL's words: byte-order text (as SQLite compares), 64-bit
    integers, bytea, no WITHOUT ROWID."""
    for pattern, replacement in _PG_TYPES:
        script = pattern.sub(replacement, script)
    return script


@functools.lru_cache(maxsize=512)
def postgres_sql(statement: str) -> str:
    """A statement with `?` placeholders in psycopg's `%s` (no statement has a literal ?)."""
    return _PLACEHOLDER.sub("%s", statement)


def statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


def migrate_sqlite(conn: sqlite3.Connection, now: int) -> None:
    """Bring the schema up to date, one transaction per step. A database from before the
    ledger has its steps counted in `PRAGMA user_version`; they are entered in it first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(LEDGER)
        (recorded,) = conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if not recorded:
            conn.executemany("INSERT INTO schema_migrations VALUES (?, ?)",
                             [(n, now) for n in range(1, version + 1)])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for number, script in enumerate(MIGRATIONS, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?",
                                (number,)).fetchone()
            if not done:
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (number, now))
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def pending_steps(applied: set[int]) -> list[tuple[int, str]]:
    """The numbered steps not applied yet, in order."""
    return [(n, script) for n, script in enumerate(MIGRATIONS, start=1) if n not in applied]
