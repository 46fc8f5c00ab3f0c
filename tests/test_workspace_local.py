"""The offline workspace: init, status, add, rm, restore, commit, log, branch, checkout.

Library tests on real temp folders, plus the `gas` command run as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import forkrun
import pytest

from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.branches import create_branch
from gasvc.workspace.versions.checkout import LocalObjects, checkout
from gasvc.workspace.versions.commit import NothingToCommit, commit
from gasvc.workspace.worktree import compare, pathspec, stage
from gasvc.workspace.worktree.status import Status, status


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def labels(*items: tuple[str, dict[str, object]]) -> str:
    return "".join(json.dumps({"file_name": p, "label": label}) + "\n" for p, label in items)


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Layout, State]:
    layout = init(tmp_path)
    state = State(layout.state_db)
    yield layout, state
    state.close()


def porcelain(result: Status) -> set[str]:
    columns: dict[str, list[str]] = {}
    for change in result.staged:
        columns.setdefault(change.path, [" ", " "])[0] = change.code
    for change in result.unstaged:
        columns.setdefault(change.path, [" ", " "])[1] = change.code
    lines = {f"{x}{y} {path}" for path, (x, y) in columns.items()}
    return lines | {f"?? {path}" for path in result.untracked}


CAT = {"CLASSIFICATION": {"category": "cat"}}
DOG = {"CLASSIFICATION": {"category": "dog"}}


def first_commit(layout: Layout, state: State) -> None:
    write(layout.root, {"train/a.jpg": "A", "train/b.jpg": "B", "train/sub/c.jpg": "C",
                        "train/metadata.jsonl": labels(("a.jpg", CAT))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "first", "tester", 1_700_000_000)


def test_new_files_are_untracked_then_staged_then_committed(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/a.jpg": "A", "train/metadata.jsonl": labels(("a.jpg", CAT))})
    assert porcelain(status(layout, state)) == {"?? train/"}
    stage.add(layout, state, [pathspec.EVERYTHING])
    assert porcelain(status(layout, state)) == {"A  train/", "A  train/a.jpg"}
    result = commit(layout, state, "first\n\nmore words", "tester", 1_700_000_000)
    assert (result.commit.title, result.commit.description) == ("first", "more words")
    after = status(layout, state)
    assert after.clean and after.branch == "main" and after.head == result.commit.id


def test_edits_show_as_file_label_and_deletion_changes(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    write(layout.root, {"train/b.jpg": "B2", "train/new.jpg": "N",
                        "train/metadata.jsonl": labels(("a.jpg", DOG))})
    (layout.root / "train/sub/c.jpg").unlink()
    assert porcelain(status(layout, state)) == {
        " L train/a.jpg", " M train/b.jpg", " D train/sub/c.jpg", "?? train/new.jpg"}
    stage.add(layout, state, [pathspec.parse_pathspec("train/metadata.jsonl")])
    assert porcelain(status(layout, state)) == {
        "L  train/a.jpg", " M train/b.jpg", " D train/sub/c.jpg", "?? train/new.jpg"}
    # a label change and a file change of the same item show as M
    write(layout.root, {"train/a.jpg": "A2"})
    stage.add(layout, state, [pathspec.parse_pathspec("train/a.jpg")])
    assert "M  train/a.jpg" in porcelain(status(layout, state))


def test_clean_status_reads_no_file(ws: tuple[Layout, State],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    first_commit(layout, state)
    status(layout, state)  # settle the stat cache (fresh files are racy)
    for path in layout.root.rglob("*.jpg"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 5_000_000_000))
    status(layout, state)

    def no_reads(path: str) -> tuple[str, int]:
        raise AssertionError(f"status read {path}")

    monkeypatch.setattr(compare, "hash_path", no_reads)
    assert status(layout, state).clean


def test_touched_files_are_rehashed_once_then_trusted(ws: tuple[Layout, State],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    first_commit(layout, state)
    old = 1_600_000_000_000_000_000
    for path in layout.root.rglob("*.jpg"):
        os.utime(path, ns=(old, old))
    reads: list[str] = []
    real = compare.hash_path
    monkeypatch.setattr(compare, "hash_path", lambda p: reads.append(p) or real(p))
    assert status(layout, state).clean and len(reads) == 3
    reads.clear()
    assert status(layout, state).clean and reads == []


def test_nothing_to_commit(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    with pytest.raises(NothingToCommit):
        commit(layout, state, "again", "tester", 1_700_000_001)


def test_invalid_label_is_refused_with_its_line_when_strict(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    catalog = {"CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}]}}
    write(layout.root, {"catalog.json": json.dumps(catalog), "train/a.jpg": "A",
                        "train/b.jpg": "B", "train/metadata.jsonl": labels(
                            ("a.jpg", CAT), ("b.jpg", {"CLASSIFICATION": {"category": "cow"}}))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    with pytest.raises(Exception, match=r"train/metadata.jsonl:2: train/b.jpg: .*'cow'"):
        commit(layout, state, "bad", "tester", 1_700_000_000, strict=True)
    done = commit(layout, state, "bad", "tester", 1_700_000_000)  # not strict: a warning
    assert done.misfits == ["train/metadata.jsonl:2: train/b.jpg: CLASSIFICATION: category"
                            " 'cow' is not in the catalog"]


def test_label_for_a_missing_file_is_refused(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/a.jpg": "A", "train/metadata.jsonl": labels(("nope.jpg", CAT))})
    with pytest.raises(Exception, match=r"metadata.jsonl:1: label for 'nope.jpg'"):
        stage.add(layout, state, [pathspec.EVERYTHING])


#: Paths opened while `opened_paths` collects (an audit hook sees every `open`, ours or not).
_OPENED: list[list[str]] = []


def _audit_opens(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _OPENED and isinstance(args[0], (str, Path)):
        _OPENED[-1].append(os.fspath(args[0]))


sys.addaudithook(_audit_opens)


def test_rm_reads_each_label_file_once(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    metadata = layout.root / "train/metadata.jsonl"
    _OPENED.append([])
    try:
        stage.remove(layout, state, [pathspec.parse_pathspec("train/a.jpg"),
                                     pathspec.parse_pathspec("train/b.jpg")], cached=False)
    finally:
        opened = _OPENED.pop()
    assert opened.count(str(metadata)) == 1
    assert not metadata.read_text()  # a.jpg's line gone (b.jpg had none)
    assert porcelain(status(layout, state)) == {"D  train/a.jpg", "D  train/b.jpg"}


def test_rm_and_restore(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    stage.remove(layout, state, [pathspec.parse_pathspec("train/a.jpg")], cached=False)
    assert not (layout.root / "train/a.jpg").exists()
    assert "a.jpg" not in (layout.root / "train/metadata.jsonl").read_text()
    assert porcelain(status(layout, state)) == {"D  train/a.jpg"}
    stage.unstage(state, [pathspec.parse_pathspec("train/a.jpg")])
    assert porcelain(status(layout, state)) == {" D train/a.jpg"}
    from gasvc.workspace.versions.restore import restore_worktree

    restore_worktree(layout, state, lambda seg, path: True, LocalObjects(layout))
    assert (layout.root / "train/a.jpg").read_text() == "A"
    assert status(layout, state).clean


def test_committed_content_survives_later_edits(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    create_branch(state, "exp")
    checkout(layout, state, "exp", LocalObjects(layout))
    write(layout.root, {"train/b.jpg": "B on exp"})
    commit(layout, state, "exp edit", "tester", 1_700_000_001, all_tracked=True)
    write(layout.root, {"train/b.jpg": "edited after the commit"})
    checkout(layout, state, "main", LocalObjects(layout), force=True)
    assert (layout.root / "train/b.jpg").read_text() == "B"
    checkout(layout, state, "exp", LocalObjects(layout))
    assert (layout.root / "train/b.jpg").read_text() == "B on exp"


def test_checkout_refuses_to_overwrite_and_lists_the_files(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    first_commit(layout, state)
    create_branch(state, "exp")
    checkout(layout, state, "exp", LocalObjects(layout))
    write(layout.root, {"train/b.jpg": "B on exp"})
    commit(layout, state, "exp edit", "tester", 1_700_000_001, all_tracked=True)
    write(layout.root, {"train/b.jpg": "local work"})
    with pytest.raises(Exception, match=r"train/b\.jpg"):
        checkout(layout, state, "main", LocalObjects(layout))
    assert (layout.root / "train/b.jpg").read_text() == "local work"


def test_interrupted_checkout_completes_when_run_again(ws: tuple[Layout, State],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    first_commit(layout, state)
    create_branch(state, "exp")
    checkout(layout, state, "exp", LocalObjects(layout))
    write(layout.root, {"train/a.jpg": "A2", "train/b.jpg": "B2", "train/z.jpg": "Z"})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "exp edits", "tester", 1_700_000_001)
    real = LocalObjects.fetch

    def dies_after_one(self: LocalObjects, items: list, progress: object = None) -> None:
        real(self, items[:1], progress)
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalObjects, "fetch", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        checkout(layout, state, "main", LocalObjects(layout))
    monkeypatch.setattr(LocalObjects, "fetch", real)
    status(layout, state)  # a half-moved workspace is readable
    checkout(layout, state, "main", LocalObjects(layout))
    assert (layout.root / "train/a.jpg").read_text() == "A"
    assert (layout.root / "train/b.jpg").read_text() == "B"
    assert not (layout.root / "train/z.jpg").exists()
    assert status(layout, state).clean


def gas(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return forkrun.run(list(args), cwd, {**os.environ, "GAS_AUTHOR": "tester", **(env or {})},
                       timeout=60)


def test_cli_story_offline(tmp_path: Path) -> None:
    write(tmp_path, {"train/a.jpg": "A", "train/metadata.jsonl": labels(("a.jpg", CAT))})
    assert gas(tmp_path, "init", "--no-remote").returncode == 0
    assert gas(tmp_path, "status", "--porcelain").stdout.splitlines() == ["?? train/"]
    assert gas(tmp_path, "add", "-A").returncode == 0
    done = gas(tmp_path, "commit", "-m", "first")
    assert done.returncode == 0 and "first" in done.stdout
    again = gas(tmp_path, "commit", "-m", "again")
    assert again.returncode == 1 and "nothing to commit" in again.stdout
    log = gas(tmp_path, "log", "--oneline").stdout.splitlines()
    assert len(log) == 1 and log[0].endswith("(HEAD -> main) first")
    inside = gas(tmp_path / "train", "status", "--json")
    assert json.loads(inside.stdout)["branch"] == "main"
    outside = gas(tmp_path.parent, "status")
    assert outside.returncode != 0 and "not inside a gas workspace" in outside.stderr
    assert "Traceback" not in outside.stderr


def test_parallel_status_matches_sequential(ws: tuple[Layout, State],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from gasvc.workspace.worktree import parallel

    layout, state = ws
    write(layout.root, {f"s{i}/f{j}.jpg": f"{i}-{j}" for i in range(4) for j in range(30)})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "all", "tester", 1_700_000_000)
    write(layout.root, {"s0/f1.jpg": "changed", "s2/new.jpg": "N",
                        "s3/metadata.jsonl": labels(("f2.jpg", CAT))})
    (layout.root / "s1/f3.jpg").unlink()

    def touch_all(ns: int) -> None:  # same bytes, new stat: every file must be hashed again
        for path in layout.root.rglob("*.jpg"):
            os.utime(path, ns=(ns, ns))

    touch_all(1_600_000_000_000_000_000)
    monkeypatch.setattr(parallel, "MIN_ROWS", 10**9)
    sequential = porcelain(status(layout, state))  # hashes in this process's thread pool
    touch_all(1_500_000_000_000_000_000)
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)  # then forks: children hash in pools of their own
    assert porcelain(status(layout, state)) == sequential == {
        " M s0/f1.jpg", " D s1/f3.jpg", "?? s2/new.jpg", " L s3/f2.jpg"}
