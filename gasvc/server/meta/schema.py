"""The metadata schema, applied in numbered steps; `PRAGMA user_version` records the last one."""

from __future__ import annotations

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
]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date, one transaction per step."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            (current,) = conn.execute("PRAGMA user_version").fetchone()
            if current < number:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
