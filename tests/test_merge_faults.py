"""Fault injection for `gas merge`: killed after each of its durable steps (faultwrap.py), the
workspace says a merge is in progress (or that it finished), `gas merge --continue` ends at the
tree an uninterrupted merge gives, and `gas merge --abort` at the tree before it."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultcheck import Harness, assert_clean, copy_workspace, labels_file, working_tree, write
from faultwrap import preload
from gascli import Gas

pytestmark = pytest.mark.slow(seconds=30)


def workspace(h: Harness) -> Path:
    """main and topic diverged: each changed other files and other labels."""
    root = h.base / "w"
    root.mkdir()
    h.ok(root, "init", "--no-remote")
    write(root, {f"train/{i}.bin": f"base {i}" for i in range(8)})
    write(root, {"train/metadata.jsonl": labels_file({f"{i}.bin": "cat" for i in range(4)})})
    for args in (("add", "-A"), ("commit", "-m", "base"), ("branch", "topic")):
        h.ok(root, *args)
    write(root, {"train/0.bin": "main 0", "train/1.bin": "main 1"})
    write(root, {"train/metadata.jsonl": labels_file(
        {"0.bin": "dog", **{f"{i}.bin": "cat" for i in range(1, 4)}})})
    for args in (("add", "-A"), ("commit", "-m", "main"), ("checkout", "topic")):
        h.ok(root, *args)
    write(root, {"train/5.bin": "topic 5", "train/new.bin": "topic new"})
    (root / "train/6.bin").unlink()
    write(root, {"train/metadata.jsonl": labels_file(
        {**{f"{i}.bin": "cat" for i in range(3)}, "3.bin": "cow"})})
    for args in (("add", "-A"), ("commit", "-m", "topic"), ("checkout", "main")):
        h.ok(root, *args)
    return root


def test_every_kill_point_of_a_merge_holds(tmp_path: Path) -> None:
    preload()
    h = Harness(Gas(tmp_path / "home"), tmp_path)
    start = workspace(h)
    before = working_tree(start)
    merged_root = copy_workspace(start, tmp_path / "merged")
    h.ok(merged_root, "merge", "topic")
    merged = working_tree(merged_root)
    assert merged != before and merged["train/new.bin"] and "train/6.bin" not in merged

    def attempt(n: int) -> bool:
        root = copy_workspace(start, tmp_path / "killed")
        if not h.gas(root, "merge", "topic", kill_at=n).killed:
            assert working_tree(root) == merged
            return False
        status = h.status(root)
        assert status is not None
        aborted = copy_workspace(root, tmp_path / "aborted")
        if status.get("merging"):
            h.ok(root, "merge", "--continue")
            h.ok(aborted, "merge", "--abort")
            assert working_tree(aborted) == before, f"abort after kill at step {n}"
            assert_clean(h.status(aborted), "main")
        elif status.get("interrupted"):
            raise AssertionError(f"an interrupted move but no merge after step {n}")
        if working_tree(root) == before:  # killed before anything was recorded: run it again
            h.ok(root, "merge", "topic")
        assert working_tree(root) == merged, f"continued after kill at step {n}"
        assert_clean(h.status(root), "main")
        log = h.ok(root, "log", "--oneline").out
        assert log.count("Merge topic into main") == 1, log
        h.held += 1
        return True

    h.each_kill_point("merge", attempt)
    assert h.held == h.tried > 5
