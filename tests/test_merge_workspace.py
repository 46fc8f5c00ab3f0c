"""`gas merge | reset | revert | cherry-pick | stash`, end to end through the `gas` command
against a real server process: label edits from both sides kept, conflicts stopped, shown,
resolved, continued and aborted, the merge base surviving a push and a fresh clone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, failed, write
from serverproc import ServerProcess


@pytest.fixture(scope="module")
def gas(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(http_server, http_server.add_user("merger"))
    return runner


def box(instance: str, x: int = 0, category: str = "car", **attributes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"box2d": {"xmin": x, "ymin": 0, "xmax": x + 10, "ymax": 10},
                             "category": category, "instance": instance}
    if attributes:
        found["attributes"] = attributes
    return found


def labels(root: Path, items: dict[str, list[dict[str, Any]]]) -> None:
    """Write train/metadata.jsonl: BOX2D boxes per image."""
    lines = [json.dumps({"file_name": name, "label": {"BOX2D": boxes}}, sort_keys=True,
                        separators=(",", ":")) for name, boxes in sorted(items.items())]
    write(root, {"train/metadata.jsonl": "".join(line + "\n" for line in lines)})


def read_labels(root: Path) -> dict[str, Any]:
    text = (root / "train/metadata.jsonl").read_text()
    return {line["file_name"]: line["label"] for line in map(json.loads, text.splitlines())}


def snapshot(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*"))
            if path.is_file() and ".gas" not in path.relative_to(root).parts}


def titles(gas: Gas, root: Path) -> list[str]:
    lines = gas(root, "log", "--oneline").stdout.splitlines()
    return [line.split(" ", 1)[1].split(") ", 1)[-1] for line in lines]


def commit(gas: Gas, root: Path, message: str) -> None:
    gas(root, "add", "-A")
    gas(root, "commit", "-m", message)


def seeded(gas: Gas, root: Path, name: str) -> Path:
    """A pushed dataset: two images with two boxes each, and a branch `topic` at it."""
    gas(root, "init", name)
    write(root, {"train/img/0.jpg": "image 0", "train/img/1.jpg": "image 1"})
    labels(root, {"img/0.jpg": [box("a"), box("b", 20)], "img/1.jpg": [box("c")]})
    commit(gas, root, "first")
    gas(root, "push")
    gas(root, "branch", "topic")
    return root


def test_relabelling_different_fields_of_the_same_boxes_merges_cleanly(
        gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-fields")
    labels(work, {"img/0.jpg": [box("a", 5), box("b", 20)], "img/1.jpg": [box("c")]})
    commit(gas, work, "move box a")
    gas(work, "checkout", "topic")
    labels(work, {"img/0.jpg": [box("a", category="bus"), box("b", 20, occluded=True)],
                  "img/1.jpg": [box("c"), box("d", 50)]})
    commit(gas, work, "recategorise, flag, add a box")
    gas(work, "checkout", "main")
    out = gas(work, "merge", "topic").stdout
    assert "Merge topic into main" in out
    assert read_labels(work) == {
        "img/0.jpg": {"BOX2D": [box("a", 5, "bus"), box("b", 20, occluded=True)]},
        "img/1.jpg": {"BOX2D": [box("c"), box("d", 50)]}}
    assert "nothing to commit, working tree clean" in gas(work, "status").stdout
    assert titles(gas, work)[:2] == ["Merge topic into main", "move box a"]
    assert gas(work, "merge", "topic").stdout.strip() == "Already up to date."


def test_fast_forward(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-ff")
    gas(work, "checkout", "topic")
    write(work, {"train/img/2.jpg": "image 2"})
    commit(gas, work, "add 2")
    gas(work, "checkout", "main")
    assert "Fast-forward" in gas(work, "merge", "topic").stdout
    assert (work / "train/img/2.jpg").read_text() == "image 2"
    assert titles(gas, work) == ["add 2", "first"]


def conflicting(gas: Gas, work: Path) -> None:
    """main and topic change the same box's category and the same file differently; topic
    also adds a file and recategorises another box."""
    labels(work, {"img/0.jpg": [box("a", category="lorry"), box("b", 20)],
                  "img/1.jpg": [box("c")]})
    write(work, {"train/img/1.jpg": "ours"})
    commit(gas, work, "ours")
    gas(work, "checkout", "topic")
    labels(work, {"img/0.jpg": [box("a", category="van"), box("b", 20)],
                  "img/1.jpg": [box("c", category="bike")]})
    write(work, {"train/img/1.jpg": "theirs", "train/img/2.jpg": "new"})
    commit(gas, work, "theirs")
    gas(work, "checkout", "main")


def test_a_true_conflict_stops_and_is_resolved(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-conflict")
    conflicting(gas, work)
    result = gas(work, "merge", "topic", check=False)
    assert result.returncode == 1
    assert "label BOX2D[instance=a].category" in result.stdout
    # the working tree holds ours where they conflict, the rest merged
    assert (work / "train/img/1.jpg").read_text() == "ours"
    assert (work / "train/img/2.jpg").read_text() == "new"
    assert read_labels(work)["img/0.jpg"]["BOX2D"][0]["category"] == "lorry"
    assert read_labels(work)["img/1.jpg"]["BOX2D"][0]["category"] == "bike"
    porcelain = gas(work, "status", "--porcelain").stdout.splitlines()
    assert "UU train/img/0.jpg" in porcelain and "UU train/img/1.jpg" in porcelain
    assert "A  train/img/2.jpg" in porcelain
    status = gas(work, "status").stdout
    assert "Unmerged paths:" in status and "(label BOX2D[instance=a].category)" in status
    assert "train/img/1.jpg (file)" in status
    diff = gas(work, "diff").stdout
    assert 'base:   "car"\n    ours:   "lorry"\n    theirs: "van"' in diff
    failed(gas(work, "merge", "--continue", check=False), "2 conflicts are not resolved")
    failed(gas(work, "commit", "-m", "too soon", check=False), "are not resolved")
    failed(gas(work, "checkout", "topic", check=False), "is in progress")
    # resolve: their file, our label edited by hand
    assert "with theirs" in gas(work, "checkout", "--theirs", "train/img/1.jpg").stdout
    assert (work / "train/img/1.jpg").read_text() == "theirs"
    labels(work, {"img/0.jpg": [box("a", category="minivan"), box("b", 20)],
                  "img/1.jpg": [box("c", category="bike")]})
    gas(work, "add", "train/metadata.jsonl")
    assert "UU" not in gas(work, "status", "--porcelain").stdout
    gas(work, "merge", "--continue")
    assert titles(gas, work)[:2] == ["Merge topic into main", "ours"]
    assert read_labels(work)["img/0.jpg"]["BOX2D"][0]["category"] == "minivan"
    assert "working tree clean" in gas(work, "status").stdout
    log = gas(work, "log", "--oneline", "--all").stdout
    assert "theirs" in log


def test_abort_puts_everything_back(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-abort")
    conflicting(gas, work)
    write(work, {"train/untracked.jpg": "not added"})
    before = (snapshot(work), gas(work, "status", "--porcelain").stdout,
              gas(work, "log", "--oneline").stdout)
    gas(work, "merge", "topic", check=False)
    gas(work, "checkout", "--theirs", "train/img/1.jpg")
    write(work, {"train/img/0.jpg": "an edit during the merge"})
    gas(work, "merge", "--abort")
    after = (snapshot(work), gas(work, "status", "--porcelain").stdout,
             gas(work, "log", "--oneline").stdout)
    assert after == before
    failed(gas(work, "merge", "--abort", check=False), "no merge")


def test_uncommitted_changes_refuse_a_merge(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-dirty")
    conflicting(gas, work)
    write(work, {"train/img/0.jpg": "uncommitted"})
    before = snapshot(work)
    failed(gas(work, "merge", "topic", check=False), "your local changes")
    assert snapshot(work) == before
    assert "in progress" not in gas(work, "status").stdout


def test_ours_and_theirs_settle_conflicts(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-prefer")
    conflicting(gas, work)
    gas(work, "merge", "--theirs", "topic", "-m", "take theirs")
    assert (work / "train/img/1.jpg").read_text() == "theirs"
    assert [b["category"] for b in read_labels(work)["img/0.jpg"]["BOX2D"]] == ["van", "car"]
    assert titles(gas, work)[0] == "take theirs"


def test_merge_push_fresh_clone_merge_again(gas: Gas, tmp_path: Path) -> None:
    """The merge base survives the server: a merge pushed records what it merged, so merging
    the branch again from a fresh clone repeats no conflict."""
    work = seeded(gas, tmp_path / "w", "merge-again")
    conflicting(gas, work)
    gas(work, "checkout", "topic")
    gas(work, "push")
    gas(work, "checkout", "main")
    gas(work, "merge", "topic", check=False)
    gas(work, "checkout", "--ours", "train/img/0.jpg", "train/img/1.jpg")
    gas(work, "merge", "--continue")
    gas(work, "push")
    # topic moves on elsewhere: another box's field
    gas(tmp_path, "clone", "merge-again", "other")
    other = tmp_path / "other"
    gas(other, "checkout", "topic")
    current = read_labels(other)
    current["img/1.jpg"]["BOX2D"][0]["category"] = "scooter"
    labels(other, {name: value["BOX2D"] for name, value in current.items()})
    commit(gas, other, "scooter")
    gas(other, "push")
    # a fresh clone merges topic again: only the new change comes, no old conflict
    gas(tmp_path, "clone", "merge-again", "fresh")
    fresh = tmp_path / "fresh"
    shown = gas(fresh, "log", "-n", "1").stdout
    assert "Merged-from:" in shown
    out = gas(fresh, "merge", "origin/topic").stdout
    assert "Merge origin/topic into main" in out
    merged = read_labels(fresh)
    assert merged["img/0.jpg"]["BOX2D"][0]["category"] == "lorry"  # our resolution stays
    assert merged["img/1.jpg"]["BOX2D"][0]["category"] == "scooter"
    assert (fresh / "train/img/1.jpg").read_text() == "ours"
    gas(fresh, "push")


def test_pull_merges_label_fields(gas: Gas, tmp_path: Path) -> None:
    """`gas pull` replays local commits with the same engine: the server's edit of one field
    and ours of another field of the same box are both kept."""
    origin = seeded(gas, tmp_path / "origin", "merge-pull")
    gas(tmp_path, "clone", "merge-pull", "mine")
    mine = tmp_path / "mine"
    labels(origin, {"img/0.jpg": [box("a", category="bus"), box("b", 20)],
                    "img/1.jpg": [box("c")]})
    commit(gas, origin, "theirs")
    gas(origin, "push")
    labels(mine, {"img/0.jpg": [box("a", 7), box("b", 20)], "img/1.jpg": [box("c")]})
    commit(gas, mine, "mine")
    assert "Replayed 1 local commit" in gas(mine, "pull").stdout
    assert read_labels(mine)["img/0.jpg"]["BOX2D"][0] == box("a", 7, "bus")


def test_reset_modes(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-reset")
    write(work, {"train/img/0.jpg": "second"})
    commit(gas, work, "second")
    gas(work, "reset", "--soft", "HEAD~1")
    assert titles(gas, work) == ["first"]
    assert gas(work, "status", "--porcelain").stdout.splitlines() == ["M  train/img/0.jpg"]
    gas(work, "reset")
    assert gas(work, "status", "--porcelain").stdout.splitlines() == [" M train/img/0.jpg"]
    assert (work / "train/img/0.jpg").read_text() == "second"
    gas(work, "reset", "--hard")
    assert (work / "train/img/0.jpg").read_text() == "image 0"
    assert "working tree clean" in gas(work, "status").stdout


def test_revert_keeps_later_label_edits(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-revert")
    labels(work, {"img/0.jpg": [box("a", category="bus"), box("b", 20)],
                  "img/1.jpg": [box("c")]})
    commit(gas, work, "bus")
    labels(work, {"img/0.jpg": [box("a", 9, category="bus"), box("b", 20)],
                  "img/1.jpg": [box("c")]})
    commit(gas, work, "move")
    gas(work, "revert", "HEAD~1")
    assert titles(gas, work)[0] == 'Revert "bus"'
    assert read_labels(work)["img/0.jpg"]["BOX2D"][0] == box("a", 9)  # moved, not a bus


def test_cherry_pick(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-pick")
    gas(work, "checkout", "topic")
    write(work, {"train/img/2.jpg": "picked"})
    commit(gas, work, "to pick")
    write(work, {"train/img/3.jpg": "left"})
    commit(gas, work, "not picked")
    gas(work, "checkout", "main")
    gas(work, "cherry-pick", "topic~1")
    assert titles(gas, work) == ["to pick", "first"]
    assert (work / "train/img/2.jpg").read_text() == "picked"
    assert not (work / "train/img/3.jpg").exists()


def test_stash_push_pop_list_drop(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "w", "merge-stash")
    write(work, {"train/img/0.jpg": "unstaged edit", "train/img/5.jpg": "staged new"})
    gas(work, "add", "train/img/5.jpg")
    labels(work, {"img/0.jpg": [box("a", category="bus")], "img/1.jpg": [box("c")]})
    before = (snapshot(work), gas(work, "status", "--porcelain").stdout)
    gas(work, "stash")
    assert "working tree clean" in gas(work, "status").stdout
    assert (work / "train/img/0.jpg").read_text() == "image 0"
    assert not (work / "train/img/5.jpg").exists()
    assert "stash@{0}: On main: WIP on main" in gas(work, "stash", "list").stdout
    gas(work, "stash", "pop")
    assert (snapshot(work), gas(work, "status", "--porcelain").stdout) == before
    assert gas(work, "stash", "list").stdout == ""
    gas(work, "stash", "push", "-m", "dropped")
    gas(work, "stash", "drop")
    assert gas(work, "stash", "list").stdout == ""
    failed(gas(work, "stash", "pop", check=False), "no stash@{0}")
    failed(gas(work, "stash", check=False), "no local changes")


def test_forced_checkout_rewrites_a_dirty_file_whose_label_alone_changes(
        gas: Gas, tmp_path: Path) -> None:
    """A forced move rewrote only files whose checksum differs between the versions, so a
    dirty file of an item whose label alone changed kept the uncommitted bytes."""
    work = seeded(gas, tmp_path / "w", "merge-forced")
    labels(work, {"img/0.jpg": [box("a", category="bus")], "img/1.jpg": [box("c")]})
    commit(gas, work, "relabel")
    write(work, {"train/img/0.jpg": "dirty"})
    gas(work, "checkout", "-f", "HEAD~1")
    assert (work / "train/img/0.jpg").read_text() == "image 0"
    assert "working tree clean" in gas(work, "status").stdout


def test_deleted_on_one_side_changed_on_the_other(gas: Gas, tmp_path: Path) -> None:
    """An `item` conflict: checkout --ours keeps our deletion, --theirs brings their edit back,
    and `gas add` of the absent path accepts the deletion."""
    work = seeded(gas, tmp_path / "w", "merge-delete")
    (work / "train/img/0.jpg").unlink()
    labels(work, {"img/1.jpg": [box("c")]})
    commit(gas, work, "delete 0")
    gas(work, "checkout", "topic")
    write(work, {"train/img/0.jpg": "edited"})
    commit(gas, work, "edit 0")
    gas(work, "checkout", "main")
    result = gas(work, "merge", "topic", check=False)
    assert "train/img/0.jpg (item)" in result.stdout and "ours:   deleted" in result.stdout
    assert gas(work, "status", "--porcelain").stdout.splitlines() == ["UU train/img/0.jpg"]
    gas(work, "checkout", "--theirs", "train/img/0.jpg")
    assert (work / "train/img/0.jpg").read_text() == "edited"
    assert read_labels(work)["img/0.jpg"]["BOX2D"][0]["instance"] == "a"
    gas(work, "merge", "--abort")
    gas(work, "merge", "topic", check=False)
    gas(work, "checkout", "--ours", "train/img/0.jpg")
    assert not (work / "train/img/0.jpg").exists()
    gas(work, "merge", "--abort")
    gas(work, "merge", "topic", check=False)
    gas(work, "add", "train/img/0.jpg")  # absent: the deletion is what is staged
    gas(work, "merge", "--continue")
    assert not (work / "train/img/0.jpg").exists()
    assert "working tree clean" in gas(work, "status").stdout
