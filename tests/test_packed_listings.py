"""Packed folder listings and the native helpers of a status after changes (gasvc/_listing*.c,
worktree/scan.py, worktree/labeldelta.py): each native function gives what its Python twin
gives, on odd trees and odd texts; status through either says the same; listings recorded in
the old (marshalled) form are dropped when the workspace is opened.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import commit
from gasvc.workspace.worktree import folders, labeldelta, pathspec, scan, stage
from gasvc.workspace.worktree.status import status
from tests.test_folder_listings import OLD_NS, age, make_odd_tree, native_listing
from tests.test_workspace_local import CAT, DOG, labels, porcelain, write


def native() -> ModuleType:
    module = native_listing()
    if not hasattr(module, "list_folders"):
        pytest.fail("gasvc._listing was built from an older _listing.c: rebuild it with"
                    " `pip install -e .`")
    return module


def folders_of(root: Path) -> list[tuple[str, bool, bytes | None]]:
    """Every kind of folder path a status lists: plain, with a trailing "/", a link to a folder,
    a missing one, a file, the top (with `metadata.jsonl` and `.gas` entries left out)."""
    return [(str(root), True, None), (str(root / "a") + "/", False, None),
            (str(root / "empty"), False, None), (str(root / "link-to-folder") + "/", False, None),
            (str(root / "nowhere"), False, None), (str(root / "z"), False, b"f" + bytes(16))]


def test_native_list_folders_is_the_python_one(tmp_path: Path) -> None:
    module = native()
    make_odd_tree(tmp_path)
    write(tmp_path, {"metadata.jsonl": "{}", ".GAS/x": "state", "a/.gas": "file"})
    asked = folders_of(tmp_path)
    found = module.list_folders(asked, 4)
    assert found == scan.py_list_folders(asked, 4)
    assert found[3] is False  # the link is not listed
    for (path, top, _), listed in zip(asked, found, strict=True):
        if listed is False:
            continue
        packed, digest = listed
        rows = scan.list_folder(path, top)
        assert scan.unpack_rows(packed) == rows and digest == scan.rows_digest(rows)
        assert module.list_folders([(path, top, digest)], 1) == [None]  # listed as recorded
    assert module.list_folders([], 4) == []
    a_file = [(str(tmp_path / "b.jpg"), False, None)]  # no folder (any more): nothing in it
    assert module.list_folders(a_file, 2) == scan.py_list_folders(a_file, 2)
    assert module.list_folders(a_file, 2)[0][0] == b""


def test_packed_rows_natively_and_in_python(tmp_path: Path) -> None:
    module = native()
    make_odd_tree(tmp_path)
    rows = scan.list_folder(str(tmp_path), True)
    assert any(name.startswith("raw-") for name, *_ in rows)  # a name that is not UTF-8
    packed, digest = module.pack_rows(rows)
    assert (packed, digest) == scan.py_pack_rows(rows) and digest == module.rows_digest(rows)
    assert scan.unpack_rows(packed) == rows
    assert module.pack_rows([]) == (b"", module.rows_digest([]))
    # the digest does not depend on the rows' order (a clean folder is never sorted), but on
    # every name and number of every row
    assert module.rows_digest(list(reversed(rows))) == digest
    name, size, mtime_ns, ino = rows[1]
    for changed in ((name + "x", size, mtime_ns, ino), (name, size + 1, mtime_ns, ino),
                    (name, size, mtime_ns + 1, ino), (name, size, mtime_ns, ino + 1)):
        assert module.rows_digest([rows[0], changed, *rows[2:]]) != digest
    assert module.rows_digest(rows[:-1]) != digest
    negative = [("old.jpg", 0, -5, 2**64 - 1)]  # before 1970; the largest inode
    assert scan.unpack_rows(module.pack_rows(negative)[0]) == negative
    with pytest.raises(TypeError):
        module.pack_rows([("a.jpg", "size", 0, 0)])


ROWS = [("a.jpg", 1, 10, 100), ("b.jpg", 2, 20, 200), ("c/", 0, 0, 0), ("é.jpg", 3, 30, 300)]


@pytest.mark.parametrize("after", [
    ROWS,  # nothing differs
    [ROWS[0], ("b.jpg", 2, 21, 200), *ROWS[2:]],  # a stat changed
    [ROWS[0], ("a2.jpg", 9, 9, 9), *ROWS[1:]],  # a file came
    [ROWS[0], *ROWS[2:]],  # one went
    [("0.jpg", 1, 1, 1), ROWS[1], ("d/", 0, 0, 0), ("z.jpg", 5, 5, 5), ("é.jpg", 3, 31, 300)],
    [],
])
def test_native_differing_is_the_python_one(after: scan.Listing) -> None:
    module = native()
    old, new = scan.py_pack_rows(ROWS)[0], scan.py_pack_rows(after)[0]
    names, rows = module.differing(old, new)
    assert (sorted(names), rows) == scan.py_differing(old, new)
    assert sorted(names) == sorted({row[0] for row in set(ROWS).symmetric_difference(after)})
    assert scan.differing(old, new) == (names, rows)


def test_differing_of_listings_out_of_order_is_left_to_python() -> None:
    module = native()
    unsorted = scan.py_pack_rows([ROWS[1], ROWS[0]])[0]
    assert module.differing(unsorted, scan.py_pack_rows(ROWS)[0]) is None
    assert module.differing(scan.py_pack_rows(ROWS)[0], unsorted) is None
    # by set: the rows of a.jpg and b.jpg are the same, only out of order
    assert scan.differing(unsorted, scan.py_pack_rows(ROWS)[0]) == (["c/", "é.jpg"], ROWS[2:])
    with pytest.raises(ValueError):
        module.differing(b"a.jpg\0short", b"")


def test_a_name_twice_or_a_prefix_after_its_longer_name_is_out_of_order() -> None:
    module = native()
    longer, shorter = ("ab.jpg", 1, 2, 3), ("ab", 1, 2, 3)
    twice = scan.py_pack_rows([ROWS[0], ROWS[0]])[0]
    assert module.differing(twice, b"") is None
    assert module.differing(scan.py_pack_rows([longer, shorter])[0], b"") is None
    assert module.differing(scan.py_pack_rows([shorter, longer])[0], b"") == (
        ["ab", "ab.jpg"], [])


def test_a_folder_that_cannot_be_read_raises_naming_it_in_each_function(tmp_path: Path
                                                                        ) -> None:
    module = native()
    unreadable = str(tmp_path / ("x" * 300))  # a name longer than a folder can hold
    for call in (lambda: module.list_dir(unreadable),
                 lambda: module.list_dir_unless(unreadable, False, None),
                 lambda: module.list_folders([(str(tmp_path), False, None),
                                              (unreadable, False, None)], 2)):
        with pytest.raises(OSError) as raised:
            call()
        assert raised.value.filename == unreadable


@pytest.mark.parametrize(("text", "recorded"), [
    ("a\nb\nc\n", b"a\nb\nc"),
    ("a\nB\nc", b"a\nb\nc"),
    ("a\nb\n", b"a\nb\nc"),  # fewer lines
    ("a\nb\nc\nd\n", b"a\nb\nc"),
    ("", b""),
    ("\n", b""),
    ("x\n", b""),
    ("", b"a"),
    ("\n\n", b"\n"),
    ("é\n😀 dog\nc\n", "é\n😀 cat\nc".encode()),
    ("a\nb\n\n", b"a\nb\n"),
])
def test_native_aligned_lines_are_the_python_ones(text: str, recorded: bytes) -> None:
    module = native()
    assert module.aligned_lines(text, recorded) == labeldelta.py_aligned_lines(text, recorded)


def test_a_text_utf8_cannot_hold_is_compared_in_python() -> None:
    module = native()
    assert module.aligned_lines("a\ud800\nb\n", b"a\nb") is None


def make(root: Path) -> tuple[Layout, State]:
    layout = init(root)
    state = State(layout.state_db)
    write(layout.root, {"train/a.jpg": "A", "train/b.jpg": "B", "train/deep/x/c.jpg": "C",
                        "train/deep/x/d.jpg": "D", "val/f.jpg": "F",
                        "train/metadata.jsonl": labels(("a.jpg", CAT), ("b.jpg", DOG))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "first", "tester", 1_700_000_000)
    age(layout.root)
    assert status(layout, state).clean  # records folders and label lines
    return layout, state


def change(layout: Layout) -> set[str]:
    write(layout.root, {"train/deep/x/c.jpg": "C2", "train/deep/x/new.jpg": "N",
                        "train/metadata.jsonl": labels(("a.jpg", DOG), ("b.jpg", DOG))})
    (layout.root / "train/deep/x/d.jpg").unlink()
    return {" M train/deep/x/c.jpg", " D train/deep/x/d.jpg", "?? train/deep/x/new.jpg",
            " L train/a.jpg", " M train/metadata.jsonl"} - {" M train/metadata.jsonl"}


def test_status_through_the_python_twins_says_the_same(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    native_ws, python_ws = make(tmp_path / "native"), make(tmp_path / "python")
    expected = change(native_ws[0])
    change(python_ws[0])
    assert porcelain(status(*native_ws)) == expected
    monkeypatch.setattr(folders, "list_folders", scan.py_list_folders)
    monkeypatch.setattr(scan, "_native_differing", lambda old, new: None)
    monkeypatch.setattr(labeldelta, "_aligned_lines", labeldelta.py_aligned_lines)
    assert porcelain(status(*python_ws)) == expected
    for ws in (native_ws, python_ws):
        ws[1].close()


def test_records_of_the_old_forms_are_dropped_on_opening(tmp_path: Path) -> None:
    """A workspace whose folder listings were recorded marshalled (schema step 4) opens without
    them, and its status is right."""
    layout, state = make(tmp_path / "ws")
    old_listing = marshal.dumps(scan.list_folder(str(layout.root / "train/deep/x"), False), 2)
    with state.transaction():
        state.db.execute("UPDATE folders SET listing = ?", (old_listing,))
    state.close()
    with sqlite3.connect(layout.state_db) as db:  # as step 4 left it
        db.execute("DROP INDEX entries_unstaged")
        db.execute("PRAGMA user_version = 4")
    db.close()
    state = State(layout.state_db)
    assert state.db.execute("SELECT count(*) FROM folders").fetchone() == (0,)
    assert state.db.execute("SELECT name FROM sqlite_master WHERE name = 'entries_unstaged'"
                            ).fetchone() == ("entries_unstaged",)
    expected = change(layout)
    os.utime(layout.root / "train/a.jpg", ns=(OLD_NS, OLD_NS))
    assert porcelain(status(layout, state)) == expected
    state.close()
