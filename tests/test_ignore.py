"""`.gasignore` through the `gas` command: pattern kinds (checked against git itself), nested
files, negation, the built-in defaults, tracked files, `status --ignored`, `check-ignore`, `add`
of an ignored path, and the clean-folder skip staying true when rules change."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from gascli import Gas, failed, write

from gasvc.workspace.worktree.ignore import DEFAULTS, translate

PATTERNS = ["*.log", "!keep.log", "/top.txt", "build/", "docs/**/*.md", "a/**", "!a/x",
            "**/cache", "foo/*", "[ab]?.c", "[!c]z", "\\#hash", "sp\\ ", "nested/deep/file",
            "dir2", "!dir2/inner", "# a comment", "", "trailing   ", "[[:digit:]]n.bin"]
FILES = ["x.log", "keep.log", "sub/keep.log", "top.txt", "sub/top.txt", "build/o.bin",
         "sub/build/o", "build.txt", "docs/a.md", "docs/x/y/b.md", "a/x", "a/y", "a/b/c",
         "q/cache/z", "cache/z", "foo/bar", "foo/q/baz", "ab.c", "b1.c", "abc.c", "cz", "dz",
         "#hash", "sp ", "nested/deep/file", "x/nested/deep/file", "dir2/inner", "dir2/o",
         "trailing", "7n.bin", "xn.bin", "plain.txt", "logs.log/inside"]


@pytest.fixture()
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


def workspace(gas: Gas, root: Path, files: dict[str, str]) -> Path:
    gas(root, "init", "--no-remote")
    write(root, files)
    return root


def porcelain(gas: Gas, root: Path, *flags: str) -> list[str]:
    return [line for line in gas(root, "status", "--porcelain", *flags).stdout.splitlines()
            if line]


def git_ignored(folder: Path, paths: list[str]) -> set[str]:
    """What git itself ignores in `folder` (its `.gitignore` in place)."""
    found = subprocess.run(["git", "-C", str(folder), "check-ignore", "--no-index", *paths],
                           capture_output=True, text=True)
    return set(found.stdout.splitlines())


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to compare with")
def test_each_kind_of_pattern_ignores_what_git_ignores(gas: Gas, tmp_path: Path) -> None:
    """Globs, classes, escapes, anchoring, `**`, folder-only patterns, negation (and git's
    rule that nothing in an ignored folder comes back) match as git's do."""
    root = workspace(gas, tmp_path / "ws", {f"train/{path}": "x" for path in FILES})
    (root / "train" / "tracked.jpg").write_text("t")
    gas(root, "add", "train/tracked.jpg")  # a tracked segment: its untracked files one by one
    (root / "train" / ".gasignore").write_text("\n".join(PATTERNS) + "\n")
    paths = [f"train/{path}" for path in FILES]
    git = tmp_path / "git"  # the same tree, with the same rules, for git to judge
    write(git, dict.fromkeys(FILES, "x"))
    subprocess.run(["git", "init", "-q", str(git)], check=True)
    (git / ".gitignore").write_text("\n".join(PATTERNS) + "\n")
    expected = {f"train/{path}" for path in git_ignored(git, FILES)}
    assert {"train/x.log", "train/build/o.bin", "train/a/y", "train/#hash", "train/7n.bin",
            "train/sp ", "train/logs.log/inside"} <= expected  # each kind is exercised
    assert "train/keep.log" not in expected and "train/a/x" not in expected

    found = gas(root, "check-ignore", *paths, check=False)
    assert found.returncode == 0
    assert set(found.stdout.splitlines()) == expected
    untracked = {line[3:] for line in porcelain(gas, root) if line.startswith("?? ")}
    shown_ignored = {line[3:] for line in porcelain(gas, root, "--ignored")
                     if line.startswith("!! ")}
    assert untracked == set(paths) - expected
    # a folder not walked is shown once, as git shows it
    assert "train/build/" in shown_ignored and "train/build/o.bin" not in shown_ignored


def test_check_ignore_verbose_names_file_line_and_pattern(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.tmp": "1", "train/b/keep.tmp": "2",
                                            "train/b/c.jpg": "3", "train/.DS_Store": "4"})
    (root / ".gasignore").write_text("# scratch files\n*.tmp\n")
    (root / "train" / "b" / ".gasignore").write_text("!keep.tmp\n")
    paths = ["train/a.tmp", "train/b/keep.tmp", "train/b/c.jpg", "train/.DS_Store"]
    verbose = gas(root, "check-ignore", "-v", *paths)
    assert verbose.stdout.splitlines() == [
        ".gasignore:2:*.tmp\ttrain/a.tmp", "train/b/.gasignore:1:!keep.tmp\ttrain/b/keep.tmp",
        f"<built-in>:{DEFAULTS.index('.DS_Store') + 1}:.DS_Store\ttrain/.DS_Store"]
    plain = gas(root, "check-ignore", *paths)
    assert plain.stdout.splitlines() == ["train/a.tmp", "train/.DS_Store"]
    # paths are relative to the current folder, as given
    assert gas(root / "train", "check-ignore", "a.tmp").stdout == "a.tmp\n"
    nothing = gas(root, "check-ignore", "train/b/c.jpg", check=False)
    assert nothing.returncode == 1 and nothing.stdout == ""
    failed(gas(root, "check-ignore", "../elsewhere", check=False), "outside the workspace")


def test_defaults_keep_os_editor_and_cache_files_out(gas: Gas, tmp_path: Path) -> None:
    droppings = ["train/.DS_Store", "train/img/Thumbs.db", "train/.ipynb_checkpoints/n.ipynb",
                 "train/src/__pycache__/m.pyc", "train/.a.jpg.swp", "train/notes.txt~",
                 "train/.#lock", "train/.gasignore"]
    root = workspace(gas, tmp_path / "ws", {"train/img/a.jpg": "a", "train/b.jpg": "b",
                                            **dict.fromkeys(droppings, "junk"),
                                            ".DS_Store": "junk"})
    assert porcelain(gas, root) == ["?? train/"]  # an untracked folder is one line
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "data")
    assert porcelain(gas, root) == []
    assert "nothing to commit, working tree clean" in gas(root, "status").stdout
    shown = porcelain(gas, root, "--ignored")
    assert shown == ["!! .DS_Store", "!! train/.#lock", "!! train/.DS_Store",
                     "!! train/.a.jpg.swp", "!! train/.gasignore",
                     "!! train/.ipynb_checkpoints/", "!! train/img/Thumbs.db",
                     "!! train/notes.txt~", "!! train/src/__pycache__/"]
    # a negation in a .gasignore brings a default back
    (root / ".gasignore").write_text("!Thumbs.db\n")
    assert porcelain(gas, root) == ["?? train/img/Thumbs.db"]


def test_status_ignored_in_long_and_json_output(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a", "train/a.jpg~": "b"})
    long = gas(root, "status", "--ignored").stdout
    assert "Ignored files:" in long and "\ttrain/a.jpg~" in long
    assert "Ignored files:" not in gas(root, "status").stdout
    assert "a.jpg~" not in gas(root, "status").stdout
    assert json.loads(gas(root, "status", "--json", "--ignored").stdout)["ignored"] == [
        "train/a.jpg~"]
    assert json.loads(gas(root, "status", "--json").stdout)["ignored"] == []


def test_tracked_files_stay_tracked(gas: Gas, tmp_path: Path) -> None:
    """A rule matching a tracked file hides none of its changes, and `add -A` stages them."""
    root = workspace(gas, tmp_path / "ws", {"train/a.log": "1", "train/logs/b.txt": "2",
                                            "train/c.jpg": "3"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one")
    (root / ".gasignore").write_text("*.log\nlogs/\n")
    assert porcelain(gas, root) == []
    time.sleep(0.05)
    write(root, {"train/a.log": "changed", "train/logs/b.txt": "changed too",
                 "train/logs/new.txt": "untracked, in an ignored folder"})
    assert porcelain(gas, root) == [" M train/a.log", " M train/logs/b.txt"]
    assert gas(root, "check-ignore", "train/a.log", check=False).returncode == 1
    assert gas(root, "check-ignore", "train/logs/new.txt").stdout == "train/logs/new.txt\n"
    gas(root, "add", "-A")
    assert porcelain(gas, root) == ["M  train/a.log", "M  train/logs/b.txt"]
    gas(root, "add", "train/a.log")  # naming a tracked file is no refusal
    gas(root, "commit", "-m", "two")
    (root / "train" / "a.log").unlink()
    assert porcelain(gas, root) == [" D train/a.log"]


def test_add_of_an_ignored_path_is_refused_unless_forced(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a", "train/tmp/x.bin": "x",
                                            "train/b.jpg~": "b"})
    (root / ".gasignore").write_text("tmp/\n")
    refused = gas(root, "add", "train/a.jpg", "train/b.jpg~", check=False)
    failed(refused, "The following paths are ignored by one of your .gasignore files:\n"
           "train/b.jpg~\nnothing was added")
    assert refused.returncode == 1 and "use -f" in refused.stderr
    assert porcelain(gas, root) == ["?? train/"]  # nothing staged
    failed(gas(root, "add", "train/tmp", check=False), "train/tmp")
    failed(gas(root, "add", "train/tmp/x.bin", check=False), "train/tmp/x.bin")
    gas(root, "add", "train")  # a folder holding ignored files: those are left out
    assert porcelain(gas, root) == ["A  train/", "A  train/a.jpg"]
    gas(root, "add", "-f", "train/b.jpg~")
    gas(root, "add", "--force", "train/tmp")
    assert porcelain(gas, root) == ["A  train/", "A  train/a.jpg", "A  train/b.jpg~",
                                    "A  train/tmp/x.bin"]


def test_add_all_forced_takes_ignored_files_too(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a", "train/.DS_Store": "d"})
    gas(root, "add", "-A", "-f")
    assert porcelain(gas, root) == ["A  train/", "A  train/.DS_Store", "A  train/a.jpg"]


def test_an_ignored_segment_folder_is_neither_listed_nor_added(gas: Gas, tmp_path: Path
                                                               ) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a", "scratch/b.jpg": "b",
                                            "notes.txt": "top-level stray"})
    (root / ".gasignore").write_text("/scratch/\n/notes.txt\n")
    assert porcelain(gas, root) == ["?? train/"]
    assert porcelain(gas, root, "--ignored")[-2:] == ["!! notes.txt", "!! scratch/"]
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one")
    shown = gas(root, "show", "--stat", "HEAD", check=False).stdout
    assert "scratch" not in shown
    assert porcelain(gas, root) == []


def recorded_folders(root: Path) -> int:
    with sqlite3.connect(root / ".gas" / "state.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM folders").fetchone()[0])


def test_changed_rules_invalidate_the_clean_folder_skip(gas: Gas, tmp_path: Path) -> None:
    """Folders recorded clean while holding ignored files are compared again when a rule
    changes: in the root `.gasignore` (no listing shows it) or in a nested one."""
    root = workspace(gas, tmp_path / "ws", {"train/a/x.jpg": "1", "train/a/b/y.jpg": "2",
                                            "train/a/b/c/z.tmp": "3", "train/w.tmp": "4"})
    (root / ".gasignore").write_text("*.tmp\n")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one")
    time.sleep(0.2)  # past the racy window: the next status records clean folders
    assert porcelain(gas, root) == []
    assert recorded_folders(root) >= 4
    assert porcelain(gas, root) == []  # answered from the recorded listings

    (root / ".gasignore").write_text("*.tmp\n!z.tmp\n")
    assert porcelain(gas, root) == ["?? train/a/b/c/z.tmp"]
    (root / ".gasignore").write_text("*.tmp\n")
    time.sleep(0.2)
    assert porcelain(gas, root) == []
    assert porcelain(gas, root) == []
    (root / "train" / "a" / "b" / ".gasignore").write_text("!*.tmp\n")
    assert porcelain(gas, root) == ["?? train/a/b/c/z.tmp"]
    (root / "train" / "a" / "b" / ".gasignore").write_text("y.jpg\n")  # tracked: still shown
    time.sleep(0.2)
    assert porcelain(gas, root) == []
    assert porcelain(gas, root, "--ignored") == ["!! .gasignore", "!! train/a/b/.gasignore",
                                                 "!! train/a/b/c/z.tmp", "!! train/w.tmp"]


def test_checkout_does_not_overwrite_an_ignored_file(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one")
    gas(root, "branch", "other")
    write(root, {"train/keep.bak": "committed"})
    (root / ".gasignore").write_text("*.bak\n")
    gas(root, "add", "-f", "train/keep.bak")
    gas(root, "commit", "-m", "two")
    gas(root, "checkout", "other")
    assert not (root / "train" / "keep.bak").exists()
    write(root, {"train/keep.bak": "my own notes"})  # ignored, untracked here
    failed(gas(root, "checkout", "main", check=False), "train/keep.bak")
    assert (root / "train" / "keep.bak").read_text() == "my own notes"


def test_a_pattern_gas_cannot_read_is_a_clear_error(gas: Gas, tmp_path: Path) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a"})
    (root / ".gasignore").write_text("ok\n[z-a]\n")
    result = gas(root, "status", check=False)
    failed(result, ".gasignore:2: gas cannot read the pattern '[z-a]'")
    assert result.returncode == 1 and "fix or remove the line" in result.stderr
    (root / ".gasignore").unlink()
    (root / ".gasignore").mkdir()  # a folder by that name holds no rules
    (root / "train" / ".gasignore").mkdir()
    assert porcelain(gas, root) == ["?? train/"]


def test_a_fifo_named_gasignore_holds_no_rules_and_blocks_nothing(gas: Gas, tmp_path: Path
                                                                   ) -> None:
    root = workspace(gas, tmp_path / "ws", {"train/a.jpg": "a"})
    os.mkfifo(root / ".gasignore")  # opening it to read would wait for a writer for ever
    assert porcelain(gas, root) == ["?? train/"]


@pytest.mark.parametrize(("line", "expected"), [
    ("", None), ("# c", None), ("/", None), ("   ", None),
    ("foo", ("foo/?", False, False)), ("!/a/b/", ("a/b/", True, True)),
    ("a/**", ("a/[^\\0]+/?", False, True)), ("**/x", ("(?:[^\\0]*/)?x/?", False, True)),
    ("*.swp", ("[^/\\0]*\\.swp/?", False, False)),
])
def test_translate(line: str, expected: tuple[str, bool, bool] | None) -> None:
    """A pattern without an inner "/" matches names; one with it, paths from its folder."""
    assert translate(line) == expected
