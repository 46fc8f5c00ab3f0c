"""The workspace database's schema (`.gas/state.sqlite`), as numbered steps: what each table
holds is said in state.py; how steps are applied, in migrations.py."""

from __future__ import annotations

from gasvc.workspace.store.folderstore import FOLDER_DIGESTS, PACKED_LISTINGS
from gasvc.workspace.store.labellines import LABEL_FILES, LABEL_LINES
from gasvc.workspace.store.migrations import Step, run_script

#: Rows whose staged values differ from HEAD's. Queries must use this very text: SQLite uses
#: the partial index `entries_staged` only for a WHERE that matches its own.
STAGED = "head_sum IS NOT sum OR head_size IS NOT size OR head_label IS NOT label"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    segment TEXT NOT NULL, path TEXT NOT NULL,
    head_sum TEXT, head_size INTEGER, head_label TEXT,
    sum TEXT, size INTEGER, label TEXT,
    mtime_ns INTEGER NOT NULL DEFAULT 0, ino INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (segment, path)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_staged ON entries (segment, path)
    WHERE {STAGED};
CREATE TABLE IF NOT EXISTS segments (
    name TEXT PRIMARY KEY, in_head INTEGER NOT NULL, staged INTEGER NOT NULL,
    meta_mtime_ns INTEGER NOT NULL DEFAULT 0, meta_size INTEGER NOT NULL DEFAULT -1,
    meta_ino INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS objects (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS commits (
    id TEXT PRIMARY KEY, parent TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
    author TEXT NOT NULL, date INTEGER NOT NULL, state TEXT, server_id TEXT);
CREATE INDEX IF NOT EXISTS commits_server ON commits (server_id);
CREATE TABLE IF NOT EXISTS refs (name TEXT PRIMARY KEY, commit_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    segment TEXT NOT NULL, prefix TEXT NOT NULL, listing BLOB NOT NULL, subfolders BLOB NOT NULL,
    PRIMARY KEY (segment, prefix)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS folders_on_insert AFTER INSERT ON entries
    BEGIN DELETE FROM folders WHERE segment = NEW.segment; END;
CREATE TRIGGER IF NOT EXISTS folders_on_delete AFTER DELETE ON entries
    BEGIN DELETE FROM folders WHERE segment = OLD.segment; END;
CREATE TRIGGER IF NOT EXISTS folders_on_move AFTER UPDATE OF segment, path ON entries
    BEGIN DELETE FROM folders WHERE segment IN (OLD.segment, NEW.segment); END;
CREATE TRIGGER IF NOT EXISTS folders_on_track AFTER UPDATE OF sum ON entries
    WHEN (OLD.sum IS NULL) <> (NEW.sum IS NULL)
    BEGIN DELETE FROM folders WHERE segment = OLD.segment; END;
CREATE TRIGGER IF NOT EXISTS folders_on_update AFTER UPDATE OF sum, size, mtime_ns, ino
    ON entries BEGIN DELETE FROM folders WHERE segment = OLD.segment
        AND prefix = rtrim(OLD.path, replace(OLD.path, '/', '')); END;
"""

MASKS = """
CREATE TABLE masks (
    path TEXT PRIMARY KEY, sum TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE mask_refs (segment TEXT PRIMARY KEY, refs TEXT NOT NULL) WITHOUT ROWID;
CREATE TRIGGER mask_refs_on_insert AFTER INSERT ON entries
    BEGIN DELETE FROM mask_refs WHERE segment = NEW.segment; END;
CREATE TRIGGER mask_refs_on_delete AFTER DELETE ON entries
    BEGIN DELETE FROM mask_refs WHERE segment = OLD.segment; END;
CREATE TRIGGER mask_refs_on_update AFTER UPDATE OF segment, path, sum, label ON entries
    WHEN OLD.segment IS NOT NEW.segment OR OLD.path IS NOT NEW.path
        OR OLD.label IS NOT NEW.label OR (OLD.sum IS NULL) <> (NEW.sum IS NULL)
    BEGIN DELETE FROM mask_refs WHERE segment IN (OLD.segment, NEW.segment); END;
"""

#: Step 3: a commit's second parent (a merge), and the conflicts of a merge in progress.
MERGES = """
ALTER TABLE commits ADD COLUMN merged TEXT;
CREATE TABLE IF NOT EXISTS unmerged (
    path TEXT NOT NULL, part TEXT NOT NULL, field TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (path, part, field)) WITHOUT ROWID;
"""

#: Step 5 (with store/folderstore.py's): the rows not staged, few, found without a scan of the
#: index (a commit drops them: `State.settle_head`).
UNSTAGED_ROWS = """
CREATE INDEX entries_unstaged ON entries (segment, path) WHERE sum IS NULL;
"""

#: The schema's numbered steps (gasvc/workspace/store/migrations.py): append, never edit a step.
STEPS: list[Step] = [
    lambda db: run_script(db, SCHEMA),
    lambda db: run_script(db, MASKS),
    lambda db: run_script(db, MERGES),
    lambda db: run_script(db, LABEL_LINES + FOLDER_DIGESTS),
    lambda db: run_script(db, PACKED_LISTINGS + UNSTAGED_ROWS + LABEL_FILES),
]
