"""The workspace database's numbered schema: old workspaces open, newer ones are refused clearly."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from gascli import Gas, failed

from gasvc import __version__
from gasvc.workspace.store import state as state_module
from gasvc.workspace.store.migrations import NewerWorkspace, migrate, run_script
from gasvc.workspace.store.schema import STEPS
from gasvc.workspace.store.state import State

FIXTURE = Path(__file__).parent / "fixtures" / "workspace-0.1"


@pytest.fixture
def old_workspace(tmp_path: Path) -> Path:
    """A copy of a workspace made by gas 0.1 (unnumbered schema): two commits on two branches."""
    target = tmp_path / "ws"
    shutil.copytree(FIXTURE, target)
    return target


def user_version(workspace: Path) -> int:
    with sqlite3.connect(workspace / ".gas" / "state.sqlite") as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return list(db.iterdump())


def test_a_workspace_made_by_gas_0_1_opens_and_works(old_workspace: Path, tmp_path: Path) -> None:
    gas = Gas(tmp_path / "home")
    assert user_version(old_workspace) == 0
    status = gas(old_workspace, "status")
    assert "nothing to commit, working tree clean" in status.stdout
    assert user_version(old_workspace) == len(STEPS)
    log = gas(old_workspace, "log").stdout
    assert "First labels" in log
    gas(old_workspace, "checkout", "relabel")
    assert (old_workspace / "train" / "images" / "4.jpg").read_bytes() == b"image-4"
    labels = (old_workspace / "train" / "metadata.jsonl").read_text()
    assert '{"CLASSIFICATION":{"category":"dog"}}' in labels
    assert "Relabel and add 4" in gas(old_workspace, "log").stdout
    db = sqlite_utils.Database(old_workspace / ".gas" / "state.sqlite")
    assert {"meta", "entries", "segments", "objects", "commits", "refs", "folders"} <= set(
        db.table_names())
    assert db["meta"].get("schema_written_by")["value"] == __version__


def test_a_newer_workspace_is_refused_naming_both_versions(old_workspace: Path,
                                                           tmp_path: Path) -> None:
    gas = Gas(tmp_path / "home")
    gas(old_workspace, "status")
    database = old_workspace / ".gas" / "state.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA user_version = 99")
        db.execute("UPDATE meta SET value = '9.0.0' WHERE key = 'schema_written_by'")
    before = dump(database)
    for command in (["status"], ["log"], ["add", "-A"], ["checkout", "relabel"]):
        result = gas(old_workspace, *command, check=False)
        failed(result, "written by gas 9.0.0 (workspace schema version 99)")
        assert f"gas {__version__}, which reads workspace schema versions up to {len(STEPS)}" \
            in result.stderr
        assert "upgrade gasvc" in result.stderr
        assert result.returncode == 1
    assert dump(database) == before
    assert user_version(old_workspace) == 99


def test_a_later_step_runs_once_in_its_own_transaction(old_workspace: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """How a future step reshapes a table with sqlite-utils: applied once, recorded, kept."""

    def add_note_column(db: sqlite3.Connection) -> None:
        sqlite_utils.Database(db)["commits"].add_column("note", str)

    monkeypatch.setattr(state_module, "STEPS", [*STEPS, add_note_column])
    for _ in range(2):
        State(old_workspace / ".gas" / "state.sqlite").close()
    db = sqlite_utils.Database(old_workspace / ".gas" / "state.sqlite")
    assert "note" in db["commits"].columns_dict
    assert user_version(old_workspace) == len(STEPS) + 1
    assert db["commits"].count == 2


def test_a_failing_step_changes_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    run_script(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError):
        migrate(db, [lambda conn: None, broken])
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()
    with pytest.raises(NewerWorkspace):
        migrate(db, [])
