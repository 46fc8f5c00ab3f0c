"""State is never misreported: what `gas status` says is what `gas commit` records."""

from __future__ import annotations

import json
from pathlib import Path

from gascli import Gas, failed, write


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
