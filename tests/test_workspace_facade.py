"""`Workspace`, the facade the CLI calls: opened from any folder inside a workspace, one method
per verb returning the library's data, the state closed on leaving `with`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gasvc.api.client import ApiClient
from gasvc.errors import GasError
from gasvc.workspace import Workspace
from gasvc.workspace.diff.diff_result import DiffRequest
from gasvc.workspace.store.create import init
from gasvc.workspace.sync.remote import NoRemote, Remote
from gasvc.workspace.worktree import pathspec


def offline() -> tuple[ApiClient, str]:
    raise AssertionError("a local verb asked for the server")


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def specs(root: Path, *paths: str) -> list[pathspec.PathSpec]:
    return [pathspec.parse_pathspec(path, root) for path in paths]


def test_opens_upwards_and_runs_the_offline_verbs(tmp_path: Path) -> None:
    init(tmp_path)
    write(tmp_path, {"train/a.jpg": "A", "train/b.jpg": "B"})
    with Workspace.open(tmp_path / "train") as ws:
        assert ws.layout.root == tmp_path
        assert not ws.relocated.root_files and not ws.relocated.folders
        assert ws.status().untracked == ["train/"]
        assert not ws.add(specs(tmp_path, "train")).dropped
        staged = sorted(c.path for c in ws.status().staged)
        assert staged == ["train/", "train/a.jpg", "train/b.jpg"]
        made = ws.commit("First\n\nbody", "alice", 1_700_000_000)
        assert (made.branch, made.commit.title, made.changes) == ("main", "First", 3)
        assert ws.create_branch("exp").id == made.commit.id
        assert [(b.name, b.current) for b in ws.branches()] == [("exp", False), ("main", True)]
        switched = ws.checkout("exp", offline)
        assert switched.branch == "exp"
        assert ws.rm(specs(tmp_path, "train/a.jpg"), cached=False).removed == 1
        assert not (tmp_path / "train/a.jpg").exists()
        second = ws.commit("Drop a", "alice", 1_700_000_100)
        assert [c.id for c, _, _ in ws.log()] == [second.commit.id, made.commit.id]
        assert [c.id for c, _, _ in ws.log("main..exp")] == [second.commit.id]
        assert len(ws.log(every_ref=True)) == 2
        ws.delete_branch("main")
        assert [b.name for b in ws.branches()] == ["exp"]


def test_restore_and_unstage(tmp_path: Path) -> None:
    init(tmp_path)
    write(tmp_path, {"train/a.jpg": "A"})
    with Workspace.open(tmp_path) as ws:
        ws.add(specs(tmp_path, "train"))
        ws.commit("First", "alice", 1_700_000_000)
        write(tmp_path, {"train/a.jpg": "changed"})
        ws.add(specs(tmp_path, "train"))
        ws.unstage(specs(tmp_path, "train/a.jpg"))
        assert ws.status().staged == []
        ws.restore(specs(tmp_path, "train/a.jpg"), offline)
        assert (tmp_path / "train/a.jpg").read_text() == "A"
        assert ws.status().unstaged == []


def test_leaving_with_closes_the_state(tmp_path: Path) -> None:
    init(tmp_path)
    with Workspace.open(tmp_path) as ws:
        pass
    with pytest.raises(sqlite3.ProgrammingError):
        ws.state.db.execute("SELECT 1")


def test_no_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GasError) as caught:
        Workspace.open(tmp_path)
    assert caught.value.hint


def test_server_verbs_offline_ask_no_server(tmp_path: Path) -> None:
    init(tmp_path)
    write(tmp_path, {"train/a.jpg": "A"})
    with Workspace.open(tmp_path) as ws:
        ws.add(specs(tmp_path, "train"))
        first = ws.commit("First", "alice", 1_700_000_000)
        write(tmp_path, {"train/a.jpg": "changed"})
        changed = ws.diff(DiffRequest(), offline)
        assert [(i.segment, i.path, i.code) for i in changed.items] == [("train", "a.jpg", "M")]
        assert ws.show(None, DiffRequest(), offline).commit.id == first.commit.id
        assert ws.tags(offline) == []
        with pytest.raises(NoRemote):
            ws.create_tag(offline, "v1", first.commit.id)
        with pytest.raises(NoRemote):
            ws.remote()


def test_set_remote(tmp_path: Path) -> None:
    init(tmp_path)
    with Workspace.open(tmp_path) as ws:
        assert ws.set_remote(Remote("https://gas.example/", "cats", "")) is None
        assert ws.remote() == Remote("https://gas.example/", "cats", "")
        assert ws.dataset() == "cats"
