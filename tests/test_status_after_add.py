"""The first statuses after `gas add` do no more than they must: labels recorded line by line
(store/labellines.py) that name no mask stand for the staged labels' masks, so no label is read
to find masks; lines that could spell a mask key in escapes do not stand for them. The lines
are kept in files the database vouches for by digest; a file it does not vouch for is no
record."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gascli import write

from gasvc.workspace.store import maskstore
from gasvc.workspace.store.create import init
from gasvc.workspace.store.labellines import packed, record_lines, recorded_lines
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import commit
from gasvc.workspace.worktree import maskfiles, pathspec, stage
from gasvc.workspace.worktree.status import status
from tests.test_folder_listings import OLD_NS
from tests.test_workspace_local import CAT, DOG, labels, porcelain


def test_mask_free_recorded_lines_spare_reading_the_labels(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    layout = init(tmp_path / "ws")
    state = State(layout.state_db)
    write(layout.root, {"train/a.jpg": "A", "train/b.jpg": "B",
                        "train/metadata.jsonl": labels(("a.jpg", CAT), ("b.jpg", DOG))})
    for path in (layout.root / "train").iterdir():  # outside the racy window
        os.utime(path, ns=(OLD_NS, OLD_NS))
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "first", "tester", 1_700_000_000)

    def no_reading(*args: object) -> None:
        raise AssertionError("the staged labels were read to find their masks")

    monkeypatch.setattr(maskfiles, "masked_labels", no_reading)
    for _ in range(3):
        assert porcelain(status(layout, state)) == set()
    assert maskstore.recorded_refs(state, "train") == "{}"
    state.close()


@pytest.mark.parametrize(("lines", "spared"), [
    (None, False),  # no record: read the labels
    (b'{"file_name":"a.jpg","label":{"CLASSIFICATION":{"category":"cat"}}}', True),
    (b'{"file_name":"a.jpg","label":{"SEMANTIC_MASK":{"info":[]}}}', False),
    (b'{"file_name":"a.jpg","label":{"SEMANTIC\\u005fMASK":{"info":[]}}}', False),
    (b'{"file_name":"a.jpg","label":{"CLASSIFICATION":{"category":"\\u00e9"}}}', False),
])
def test_recorded_lines_stand_for_the_masks_only_when_none_can_name_one(
        tmp_path: Path, lines: bytes | None, spared: bool) -> None:
    layout = init(tmp_path / "ws")
    state = State(layout.state_db)
    if lines is not None:
        record_lines(state, [("train", packed([lines.decode()]))])
    assert maskfiles._recorded_lines_name_no_mask(state, "train") is spared
    state.close()


def test_a_label_file_record_not_vouched_for_is_no_record(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The recorded lines live in `.gas/labels/`; a file missing, cut short, or rewritten by
    another command is not used (the labels are read in full) and status still says what
    changed."""
    from tests.test_recorded_lines import BIRD, ITEMS, lines, make, parsed_lines

    layout, state = make(tmp_path / "ws")
    (record,) = (layout.root / ".gas" / "labels").iterdir()
    kept = record.read_bytes()
    assert recorded_lines(state, "train") == kept and kept.count(b"\n") == len(ITEMS) - 1
    changed = dict(ITEMS, **{"3.jpg": BIRD})
    write(layout.root, {"train/metadata.jsonl": lines(*changed.items())})
    seen = parsed_lines(monkeypatch)
    for spoil in (lambda: record.unlink(), lambda: record.write_bytes(kept[:-1]),
                  lambda: record.write_bytes(kept.replace(b"cat", b"dog", 1))):
        spoil()
        assert recorded_lines(state, "train") is None
        assert porcelain(status(layout, state)) == {" L train/3.jpg"}
        record.write_bytes(kept)
        assert recorded_lines(state, "train") == kept
    seen.clear()
    assert porcelain(status(layout, state)) == {" L train/3.jpg"}
    assert seen == [4]  # through the record: the changed line alone was read
    state.close()
