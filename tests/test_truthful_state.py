"""State is never misreported: what `gas status` says is what `gas commit` records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, failed, write
from serverproc import ServerProcess

from gasvc.workspace.store.state import State


def porcelain(gas: Gas, root: Path) -> set[str]:
    return set(filter(None, gas(root, "status", "--porcelain").stdout.splitlines()))


def test_adding_one_file_of_a_new_segment_commits_it(tmp_path: Path) -> None:
    gas = Gas(tmp_path / "home")
    root = tmp_path / "ws"
    write(root, {"train/a.jpg": "A", "val/v.jpg": "V", "new/n.jpg": "N"})
    gas(root, "init", "--no-remote")
    gas(root, "add", "train/a.jpg")
    assert {"A  train/", "A  train/a.jpg", "?? val/", "?? new/"} <= porcelain(gas, root)
    gas(root, "commit", "-m", "one")
    assert gas(root, "show", "--name-status").stdout.splitlines()[-1] == "A\ttrain/a.jpg"
    assert not any(line.startswith("?? train") for line in porcelain(gas, root))
    gas(root, "add", "new/n.jpg")
    gas(root, "commit", "-m", "two")
    assert gas(root, "show", "--name-status").stdout.splitlines()[-1] == "A\tnew/n.jpg"
    assert not any(line.startswith(("?? new", "A ")) for line in porcelain(gas, root))
    assert "?? val/" in porcelain(gas, root)


# restore --staged of labels ----------------------------------------------------------------
def labelled(root: Path, labels: dict[str, str]) -> None:
    """Write `seg/metadata.jsonl` with one CLASSIFICATION label per file."""
    lines = [json.dumps({"file_name": path, "label": {"CLASSIFICATION": {"category": cat}}},
                        separators=(",", ":"), sort_keys=True) for path, cat in labels.items()]
    (root / "seg" / "metadata.jsonl").write_text("".join(line + "\n" for line in lines))


def committed(gas: Gas, root: Path) -> None:
    """A workspace with seg/a.jpg (labelled cat), seg/b.jpg (labelled dog), one commit."""
    write(root, {"seg/a.jpg": "A", "seg/b.jpg": "B"})
    labelled(root, {"a.jpg": "cat", "b.jpg": "dog"})
    gas(root, "init", "--no-remote")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    assert porcelain(gas, root) == set()


def test_unstaging_an_item_shows_its_label_change_again(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    labelled(root, {"a.jpg": "owl", "b.jpg": "dog"})
    gas(root, "add", "seg/a.jpg")
    assert porcelain(gas, root) == {"L  seg/a.jpg"}  # status also records the label file's stat
    gas(root, "restore", "--staged", "seg/a.jpg")
    assert porcelain(gas, root) == {" L seg/a.jpg"}
    assert "nothing to commit" not in gas(root, "status").stdout
    diff = gas(root, "diff").stdout
    assert "a.jpg" in diff and "owl" in diff
    assert "nothing to commit" in gas(root, "commit", "-m", "x", check=False).stdout
    gas(root, "commit", "-a", "-m", "relabel")  # as status says: -a takes the label change
    assert gas(root, "show", "--name-status").stdout.splitlines()[-1] == "L\tseg/a.jpg"
    assert porcelain(gas, root) == set()


def test_restore_staged_metadata_unstages_the_labels_of_the_segment(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    write(root, {"seg/a.jpg": "A2", "seg/c.jpg": "C"})
    labelled(root, {"a.jpg": "owl", "b.jpg": "emu", "c.jpg": "yak"})
    gas(root, "add", "-A")
    assert porcelain(gas, root) == {"M  seg/a.jpg", "L  seg/b.jpg", "A  seg/c.jpg"}
    gas(root, "restore", "--staged", "seg/metadata.jsonl")
    assert porcelain(gas, root) == {"ML seg/a.jpg", " L seg/b.jpg", "AL seg/c.jpg"}
    gas(root, "commit", "-m", "files only")
    shown = gas(root, "show", "--name-status").stdout.splitlines()
    assert shown[-2:] == ["M\tseg/a.jpg", "A\tseg/c.jpg"]
    assert porcelain(gas, root) == {" L seg/a.jpg", " L seg/b.jpg", " L seg/c.jpg"}
    gas(root, "add", "seg/metadata.jsonl")
    gas(root, "commit", "-m", "labels")
    assert gas(root, "show", "--name-status").stdout.splitlines()[-3:] == [
        "L\tseg/a.jpg", "L\tseg/b.jpg", "L\tseg/c.jpg"]


# deleting a labelled file -------------------------------------------------------------------
def test_add_all_stages_a_labelled_deletion_and_drops_its_label(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    (root / "seg/a.jpg").unlink()
    assert porcelain(gas, root) == {" D seg/a.jpg"}
    result = gas(root, "add", "-A")
    assert "seg/metadata.jsonl" in result.stdout and "'a.jpg'" in result.stdout
    assert '"a.jpg"' not in (root / "seg/metadata.jsonl").read_text()
    assert '"b.jpg"' in (root / "seg/metadata.jsonl").read_text()
    assert porcelain(gas, root) == {"D  seg/a.jpg"}
    gas(root, "commit", "-m", "drop a")
    assert gas(root, "show", "--name-status").stdout.splitlines()[-1] == "D\tseg/a.jpg"
    assert porcelain(gas, root) == set()


def test_commit_all_and_add_of_the_path_stage_a_labelled_deletion(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    (root / "seg/a.jpg").unlink()
    gas(root, "add", "seg/a.jpg")
    assert porcelain(gas, root) == {"D  seg/a.jpg"}
    (root / "seg/b.jpg").unlink()
    gas(root, "commit", "-a", "-m", "drop both")
    assert gas(root, "show", "--name-status").stdout.splitlines()[-2:] == [
        "D\tseg/a.jpg", "D\tseg/b.jpg"]
    assert (root / "seg/metadata.jsonl").read_text() == ""
    assert porcelain(gas, root) == set()


def test_a_label_for_a_file_that_never_existed_is_still_refused(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    labelled(root, {"a.jpg": "cat", "b.jpg": "dog", "ghost.jpg": "boo"})
    (root / "seg/a.jpg").unlink()
    before = (root / "seg/metadata.jsonl").read_text()
    failed(gas(root, "add", "-A", check=False), "label for 'ghost.jpg', which is not a file")
    assert (root / "seg/metadata.jsonl").read_text() == before
    assert " D seg/a.jpg" in porcelain(gas, root)
    assert not any(line[0] not in " ?" for line in porcelain(gas, root))


# add -A with nothing to add -----------------------------------------------------------------
def test_add_all_in_an_empty_workspace_is_quiet(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    gas(root, "init", "--no-remote")
    for args in (("add", "-A"), ("add", ".")):
        result = gas(root, *args)
        assert result.stdout == "" and result.stderr == ""
    assert porcelain(gas, root) == set()
    failed(gas(root, "add", "seg/none.jpg", check=False), "did not match any files")


# untracked folders --------------------------------------------------------------------------
def test_an_untracked_segment_folder_is_one_line(tmp_path: Path) -> None:
    gas, root = Gas(tmp_path / "home"), tmp_path / "ws"
    committed(gas, root)
    write(root, {"new/n.jpg": "N", "new/deep/m.jpg": "M", "seg/c.jpg": "C"})
    assert porcelain(gas, root) == {"?? new/", "?? seg/c.jpg"}
    status = json.loads(gas(root, "status", "--json").stdout)
    assert status["untracked"] == ["new/", "seg/c.jpg"]
    long = gas(root, "status").stdout
    assert "\tnew/\n" in long and "n.jpg" not in long
    gas(root, "add", "new/n.jpg")
    assert porcelain(gas, root) == {"A  new/", "A  new/n.jpg", "?? new/deep/m.jpg",
                                    "?? seg/c.jpg"}


# against a server ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def online(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    gas = Gas(tmp_path_factory.mktemp("home"))
    gas.login(http_server, http_server.add_user("truth"))
    return gas


def status_json(gas: Gas, root: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gas(root, "status", "--json").stdout)
    return found


def pushed_dataset(gas: Gas, root: Path, name: str) -> None:
    write(root, {"seg/a.jpg": "A"})
    gas(root, "init", name)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")


def test_draft_commit_gives_the_local_commit_its_new_title(online: Gas, tmp_path: Path
                                                            ) -> None:
    root = tmp_path / "ws"
    pushed_dataset(online, root, "truth-draft")
    write(root, {"seg/b.jpg": "B"})
    online(root, "add", "-A")
    online(root, "commit", "-m", "wip")
    number = re.search(r"draft #(\d+)", online(root, "push", "--draft").stdout)
    assert number is not None
    out = online(root, "draft", "commit", number[1], "-m", "Add b\n\nreviewed").stdout
    server_id = out.split()[1].rstrip("]")
    log = json.loads(online(root, "log", "--json").stdout)
    assert (log[0]["title"], log[0]["description"]) == ("Add b", "reviewed")
    assert log[0]["id"].startswith(server_id) and log[0]["pushed"]
    online(root, "fetch")
    assert online(root, "log", "--oneline").stdout.splitlines()[0].endswith(") Add b")
    assert status_json(online, root)["remote_head"] == log[0]["id"]
    online(tmp_path, "clone", "truth-draft", "other")
    assert json.loads(online(tmp_path / "other", "log", "--json").stdout)[0]["title"] == "Add b"


def test_fetch_corrects_a_title_an_older_gas_kept(online: Gas, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    pushed_dataset(online, root, "truth-stale")
    state = State(root / ".gas" / "state.sqlite")
    try:  # as `gas draft commit` of gasvc before this fix left it
        state.db.execute("UPDATE commits SET title = 'old title', description = 'old'")
    finally:
        state.close()
    assert "old title" in online(root, "log", "--oneline").stdout
    online(root, "fetch")
    log = json.loads(online(root, "log", "--json").stdout)
    assert (log[0]["title"], log[0]["description"]) == ("first", "")


def race(gas: Gas, tmp_path: Path, name: str) -> tuple[Path, Path]:
    """Two clones with a commit each; `winner` pushes first."""
    pushed_dataset(gas, tmp_path / "origin", name)
    gas(tmp_path, "clone", name, "winner")
    gas(tmp_path, "clone", name, "loser")
    winner, loser = tmp_path / "winner", tmp_path / "loser"
    write(winner, {"seg/w.jpg": "W"})
    write(loser, {"seg/l.jpg": "L"})
    for root in (winner, loser):
        gas(root, "add", "-A")
        gas(root, "commit", "-m", f"{root.name}'s work")
    return winner, loser


def diverged_after(gas: Gas, winner: Path, loser: Path, refusal: str) -> None:
    """The loser's push was refused: its status says the branches diverged, in server ids."""
    failed(gas(loser, "push", check=False), refusal)
    won = status_json(gas, winner)
    lost = status_json(gas, loser)
    assert (lost["ahead"], lost["behind"]) == (1, 1)
    assert lost["remote_head"] == won["head"] == won["remote_head"]
    assert len(won["head"]) == 32  # the server's id of the commit
    assert "have diverged: 1 and 1" in gas(loser, "status").stdout
    assert "Replayed 1 local commit" in gas(loser, "pull").stdout
    gas(loser, "push")
    done = status_json(gas, loser)
    assert done["head"] == done["remote_head"] and (done["ahead"], done["behind"]) == (0, 0)
    assert len(done["head"]) == 32


def test_a_push_behind_the_server_says_the_branches_diverged(online: Gas, tmp_path: Path
                                                             ) -> None:
    winner, loser = race(online, tmp_path, "truth-behind")
    assert status_json(online, loser)["ahead"] == 1
    online(winner, "push")
    diverged_after(online, winner, loser, "has commits you do not have")


def test_a_push_that_loses_the_race_says_the_branches_diverged(online: Gas, tmp_path: Path
                                                               ) -> None:
    winner, loser = race(online, tmp_path, "truth-race")
    online(loser, "push", "--draft")  # its draft is based on the old head of the branch
    online(winner, "push")  # the branch moves: committing the loser's draft loses the CAS
    diverged_after(online, winner, loser, "someone else pushed first")
