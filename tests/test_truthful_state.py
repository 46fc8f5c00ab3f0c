"""State is never misreported: what `gas status` says is what `gas commit` records."""

from __future__ import annotations

from pathlib import Path

from gascli import Gas, write


def porcelain(gas: Gas, root: Path) -> set[str]:
    return set(gas(root, "status", "--porcelain").stdout.splitlines())


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
