"""Recorded folder listings (workspace/folders.py): `gas status` skips comparing folders that
list the same as when last verified clean, and never reports a stale answer because of it.

Each scenario records the listings of a clean tree, changes the tree or the index, and checks
that status (fast path) says what a status without any recorded listing says, which is also
spelled out.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import commit
from gasvc.workspace.worktree import folders, pathspec, scan, stage
from gasvc.workspace.worktree.status import status
from tests.test_workspace_local import CAT, DOG, labels, porcelain, write

OLD_NS = 1_600_000_000_000_000_000  # an mtime well outside the racy window


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Layout, State]:
    layout = init(tmp_path / "ws")
    state = State(layout.state_db)
    write(layout.root, {"train/a.jpg": "A", "train/b.jpg": "B", "train/deep/x/c.jpg": "C",
                        "train/deep/x/d.jpg": "D", "train/deep/y/e.jpg": "E",
                        "val/f.jpg": "F", "train/metadata.jsonl": labels(("a.jpg", CAT))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "first", "tester", 1_700_000_000)
    age(layout.root)
    assert status(layout, state).clean  # re-verifies the aged stats, records the folders
    yield layout, state
    state.close()


def age(root: Path) -> None:
    for path in root.rglob("*.jpg"):
        os.utime(path, ns=(OLD_NS, OLD_NS))


def fast_and_full(layout: Layout, state: State) -> tuple[set[str], set[str]]:
    """Status through the recorded folders (twice: the first may record more), and without."""
    first = porcelain(status(layout, state))
    fast = porcelain(status(layout, state))
    assert fast == first
    state.db.execute("DELETE FROM folders")
    return fast, porcelain(status(layout, state))


def recorded(layout: Layout, state: State) -> dict[str, list[str]]:
    """The folders a status would still compare in detail."""
    changed = folders.changed_folders(layout, state, ["train", "val"])
    return {segment: [scope.prefix for scope in scopes] for segment, scopes in changed.items()}


def test_a_clean_tree_is_recorded_and_then_skipped(ws: tuple[Layout, State],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    assert recorded(layout, state) == {"train": [], "val": []}
    rows = state.db.execute("SELECT segment, prefix FROM folders ORDER BY 1, 2").fetchall()
    assert rows == [("train", ""), ("train", "deep/"), ("train", "deep/x/"),
                    ("train", "deep/y/"), ("val", "")]

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("a recorded clean folder was compared file by file")

    monkeypatch.setattr(scan, "walk_segment", no_walk)
    monkeypatch.setattr("gasvc.workspace.worktree.compare.walk_segment", no_walk)
    assert status(layout, state).clean


def test_only_the_changed_folder_is_compared(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/deep/x/c.jpg": "C2"})
    assert recorded(layout, state) == {"train": ["deep/x/"], "val": []}
    assert fast_and_full(layout, state) == ({" M train/deep/x/c.jpg"},) * 2


Change = Callable[[Layout, State], None]


def rewrite_same_size(layout: Layout, state: State) -> None:
    write(layout.root, {"train/deep/y/e.jpg": "Z"})


def delete_folder(layout: Layout, state: State) -> None:
    shutil.rmtree(layout.root / "train/deep/x")


def new_deep_file(layout: Layout, state: State) -> None:
    write(layout.root, {"train/deep/new/z/n.jpg": "N"})


def unstage_tracking(layout: Layout, state: State) -> None:
    stage.remove(layout, state, [pathspec.parse_pathspec("train/deep/y/e.jpg")], cached=True)


def replace_file_by_folder(layout: Layout, state: State) -> None:
    (layout.root / "train/b.jpg").unlink()
    write(layout.root, {"train/b.jpg/inner.jpg": "I"})


def relabel(layout: Layout, state: State) -> None:
    write(layout.root, {"train/metadata.jsonl": labels(("a.jpg", DOG))})


@pytest.mark.parametrize(("change", "expected"), [
    (rewrite_same_size, {" M train/deep/y/e.jpg"}),
    (delete_folder, {" D train/deep/x/c.jpg", " D train/deep/x/d.jpg"}),
    (new_deep_file, {"?? train/deep/new/z/n.jpg"}),
    (unstage_tracking, {"D  train/deep/y/e.jpg", "?? train/deep/y/e.jpg"}),
    (replace_file_by_folder, {" D train/b.jpg", "?? train/b.jpg/inner.jpg"}),
    (relabel, {" L train/a.jpg"}),
])
def test_changes_are_seen_through_recorded_folders(ws: tuple[Layout, State], change: Change,
                                                   expected: set[str]) -> None:
    layout, state = ws
    change(layout, state)
    assert fast_and_full(layout, state) == (expected, expected)


def test_a_deletion_unstaged_under_a_vanished_folder_shows(ws: tuple[Layout, State]) -> None:
    """The index row comes back under a folder no listing shows: its parent must be rechecked."""
    layout, state = ws
    stage.remove(layout, state, [pathspec.parse_pathspec("train/deep/y/e.jpg")], cached=False)
    (layout.root / "train/deep/y").rmdir()
    assert fast_and_full(layout, state) == ({"D  train/deep/y/e.jpg"},) * 2
    status(layout, state)  # records the folders with the deletion staged
    stage.unstage(state, [pathspec.parse_pathspec("train/deep/y/e.jpg")])
    assert fast_and_full(layout, state) == ({" D train/deep/y/e.jpg"},) * 2


def test_a_touched_file_is_rehashed_once_and_its_folder_recorded_again(
        ws: tuple[Layout, State]) -> None:
    layout, state = ws
    os.utime(layout.root / "train/deep/x/c.jpg", ns=(OLD_NS + 1, OLD_NS + 1))
    assert recorded(layout, state)["train"] == ["deep/x/"]
    assert status(layout, state).clean
    assert recorded(layout, state) == {"train": [], "val": []}


def test_a_racy_file_keeps_its_folder_unrecorded(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/deep/x/c.jpg": "Q"})  # same size, mtime now: racy
    assert fast_and_full(layout, state) == ({" M train/deep/x/c.jpg"},) * 2
    stage.add(layout, state, [pathspec.EVERYTHING])
    status(layout, state)
    assert "deep/x/" in recorded(layout, state)["train"]


def make_odd_tree(root: Path) -> None:
    write(root, {"b.jpg": "1", "a-b.jpg": "2", "a0.jpg": "3", "a/in.jpg": "4", "é.jpg": "5",
                 "z/deeper/f.jpg": "6", "😀.jpg": "7"})
    (root / "empty").mkdir()
    os.symlink(root / "b.jpg", root / "link-to-file")
    os.symlink(root / "a", root / "link-to-folder")
    os.symlink(root / "missing", root / "broken-link")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    sock.close()
    if sys.platform == "linux":
        (root / os.fsdecode(b"raw-\xff.jpg")).write_bytes(b"8")


def native_listing() -> ModuleType:
    try:
        from gasvc import _listing
    except ImportError:
        if shutil.which("cc"):
            pytest.fail("gasvc._listing is not built though a C compiler is here: reinstall"
                        " with `pip install -e .`")
        pytest.skip("no C compiler: gasvc._listing not built, the Python listing is used")
    if not hasattr(_listing, "list_dir_unless"):
        pytest.fail("gasvc._listing was built from an older _listing.c: rebuild it with"
                    " `pip install -e .`")
    return _listing


def test_native_listing_is_the_python_listing(tmp_path: Path) -> None:
    native = native_listing()
    make_odd_tree(tmp_path)
    for folder in (tmp_path, tmp_path / "a", tmp_path / "empty", tmp_path / "nowhere",
                   tmp_path / "b.jpg"):
        assert native.list_dir(str(folder)) == scan.py_list_dir(str(folder))
    rows = native.list_dir(str(tmp_path))
    keys = [row[0] for row in rows]
    assert keys == sorted(keys) and {"a/", "empty/", "z/", "link-to-file"} <= set(keys)
    assert not {"link-to-folder", "link-to-folder/", "broken-link", "fifo", "sock"} & set(keys)
    st = (tmp_path / "b.jpg").stat()
    assert (("b.jpg", st.st_size, st.st_mtime_ns, st.st_ino) in rows
            and ("link-to-file", st.st_size, st.st_mtime_ns, st.st_ino) in rows)


@pytest.mark.parametrize("implementation", ["native", "python"])
def test_a_folder_listed_as_recorded_gives_no_rows(tmp_path: Path, implementation: str) -> None:
    """`list_dir_unless` gives `list_folder`'s rows (`.gas` entries and a top `metadata.jsonl`
    left out) and their digest, or None when it is the one given; a changed row changes it."""
    if implementation == "native":
        native = native_listing()
        unless, digest = native.list_dir_unless, native.rows_digest
    else:
        unless, digest = scan.py_list_dir_unless, scan.py_rows_digest
    make_odd_tree(tmp_path)
    write(tmp_path, {"metadata.jsonl": "{}", ".GAS/x": "state", "a/.gas": "file"})
    for folder in (tmp_path, tmp_path / "a", tmp_path / "empty", tmp_path / "nowhere"):
        for top in (True, False):
            rows, found = unless(str(folder), top, None)
            assert rows == scan.list_folder(str(folder), top) and found == digest(rows)
            assert unless(str(folder), top, digest(rows)) is None
            assert unless(str(folder), top, b"f" + bytes(16)) == (rows, found)
    assert ".GAS/" not in [row[0] for row in scan.list_folder(str(tmp_path), True)]
    before = unless(str(tmp_path), True, None)[1]
    os.utime(tmp_path / "b.jpg", ns=(OLD_NS, OLD_NS))
    assert unless(str(tmp_path), True, before) is not None
    if implementation == "native":  # the two digests never pass for each other
        assert digest(scan.list_folder(str(tmp_path), True)) != scan.py_rows_digest(
            scan.list_folder(str(tmp_path), True))


def test_label_changes_through_an_edited_label_file(ws: tuple[Layout, State]) -> None:
    from gasvc.errors import GasError

    layout, state = ws
    many = [(f"deep/x/{n}.jpg", CAT) for n in "cd"] + [("b.jpg", DOG), ("a.jpg", CAT)]
    write(layout.root, {"train/metadata.jsonl": labels(*many)})
    expected = {" L train/b.jpg", " L train/deep/x/c.jpg", " L train/deep/x/d.jpg"}
    assert porcelain(status(layout, state)) == expected
    many[0] = ("deep/x/c.jpg", DOG)  # one line changes, the others move
    write(layout.root, {"train/metadata.jsonl": labels(*reversed(many))})
    assert porcelain(status(layout, state)) == expected
    write(layout.root, {"train/metadata.jsonl": labels(*many, many[2])})  # a line twice
    with pytest.raises(GasError, match=r"metadata.jsonl:5: 'b.jpg' already has a label on line 3"):
        status(layout, state)
    write(layout.root, {"train/metadata.jsonl": labels(("a.jpg", CAT))})
    assert status(layout, state).clean


def test_a_label_change_hidden_by_a_file_change_shows_again(ws: tuple[Layout, State]) -> None:
    """While the file shows as M, its label change must not be forgotten."""
    layout, state = ws
    write(layout.root, {"train/a.jpg": "A-edited",
                        "train/metadata.jsonl": labels(("a.jpg", DOG))})
    os.utime(layout.metadata("train"), ns=(OLD_NS + 7, OLD_NS + 7))  # not racy: trusted
    assert fast_and_full(layout, state) == ({" M train/a.jpg"},) * 2
    write(layout.root, {"train/a.jpg": "A"})  # the file's bytes come back
    assert fast_and_full(layout, state) == ({" L train/a.jpg"},) * 2


def ignored_swap(layout: Layout, state: State) -> None:
    write(layout.root, {"train/deep/x/notes.swp": "editor"})


def ignore_file_below(layout: Layout, state: State) -> None:
    write(layout.root, {"train/deep/.gasignore": "c.jpg\n", "train/deep/x/new.jpg": "N"})


@pytest.mark.parametrize(("change", "expected"), [
    (ignored_swap, set()),
    (ignore_file_below, {"?? train/deep/x/new.jpg"}),
])
def test_ignore_rules_hold_through_recorded_folders(ws: tuple[Layout, State], change: Change,
                                                    expected: set[str]) -> None:
    layout, state = ws
    change(layout, state)
    assert fast_and_full(layout, state) == (expected, expected)


def test_a_changed_file_is_compared_alone(ws: tuple[Layout, State],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose listing differs from its record in a file's row compares that file."""
    layout, state = ws
    write(layout.root, {"train/deep/x/c.jpg": "C2", "train/deep/x/new.jpg": "N"})
    (layout.root / "train/deep/x/d.jpg").unlink()
    scopes = folders.changed_folders(layout, state, ["train"])["train"]
    assert [(s.prefix, s.delta and sorted(s.delta.names)) for s in scopes] == [
        ("deep/x/", ["c.jpg", "d.jpg", "new.jpg"])]
    asked: list[list[str]] = []
    original = State.entries_named

    def spy(self: State, segment: str, paths: list[str]) -> object:
        asked.append(paths)
        return original(self, segment, paths)

    monkeypatch.setattr(State, "entries_named", spy)
    expected = {" M train/deep/x/c.jpg", " D train/deep/x/d.jpg", "?? train/deep/x/new.jpg"}
    assert porcelain(status(layout, state)) == expected
    assert asked == [["deep/x/c.jpg", "deep/x/d.jpg", "deep/x/new.jpg"]]


def test_add_records_the_folders_it_staged(ws: tuple[Layout, State]) -> None:
    """After `add`, the folders whose changes it staged are recorded again: the next status
    compares nothing in detail."""
    layout, state = ws
    write(layout.root, {"train/deep/x/c.jpg": "C2", "train/metadata.jsonl":
                        labels(("a.jpg", DOG))})
    age(layout.root)
    stage.add(layout, state, [pathspec.EVERYTHING])
    assert recorded(layout, state) == {"train": [], "val": []}
    assert fast_and_full(layout, state) == ({"M  train/deep/x/c.jpg", "L  train/a.jpg"},) * 2


def test_add_leaves_a_racy_file_s_folder_unrecorded(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/deep/x/c.jpg": "Q"})  # same size, mtime now: racy
    stage.add(layout, state, [pathspec.EVERYTHING])
    assert recorded(layout, state)["train"] == ["deep/x/"]
    write(layout.root, {"train/deep/x/c.jpg": "R"})  # perhaps within the same mtime tick
    assert fast_and_full(layout, state) == ({"MM train/deep/x/c.jpg"},) * 2
