"""Recorded label lines (worktree/labeldelta.py, store/labellines.py): a changed `metadata.jsonl`
is read only where it differs from the lines last found to match the index, and `gas status`
and `gas add` say and stage exactly what they do reading the whole file.

Each scenario records the lines (a status of a clean tree, or an add), edits the file, and
compares status and add through the record with status and add without it (the record dropped).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gasvc.errors import GasError
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.commit import commit
from gasvc.workspace.worktree import labeldelta, metafile, pathspec, stage
from gasvc.workspace.worktree.status import status
from tests.test_workspace_local import CAT, DOG, porcelain, write

OLD_NS = 1_600_000_000_000_000_000
BIRD = {"CLASSIFICATION": {"category": "bird"}}


def line(path: str, label: dict[str, object]) -> str:
    """A line as gas writes it (canonical JSON)."""
    return json.dumps({"file_name": path, "label": label}, separators=(",", ":"),
                      sort_keys=True) + "\n"


def lines(*items: tuple[str, dict[str, object]]) -> str:
    return "".join(line(path, label) for path, label in items)


ITEMS = {f"{n}.jpg": (CAT if n % 2 else DOG) for n in range(8)}


def make(root: Path) -> tuple[Layout, State]:
    layout = init(root)
    state = State(layout.state_db)
    write(layout.root, {f"train/{name}": name for name in ITEMS})
    write(layout.root, {"train/extra.jpg": "no label",
                        "train/metadata.jsonl": lines(*ITEMS.items())})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "first", "tester", 1_700_000_000)
    for path in root.rglob("*.jpg"):
        os.utime(path, ns=(OLD_NS, OLD_NS))
    assert status(layout, state).clean  # reads the labels in full, records them
    return layout, state


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[tuple[Layout, State]]:
    layout, state = make(tmp_path / "ws")
    yield layout, state
    state.close()


def recorded(state: State) -> bool:
    return state.db.execute("SELECT 1 FROM label_lines WHERE segment = 'train'"
                            ).fetchone() is not None


def parsed_lines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Line numbers the delta reads (appended as it reads them)."""
    seen: list[int] = []
    original = labeldelta.numbered_refs

    def counting(numbered: list[tuple[int, str]], *args: object) -> object:
        seen.extend(number for number, _ in numbered)
        return original(numbered, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(labeldelta, "numbered_refs", counting)
    return seen


def through_record_and_without(layout: Layout, state: State) -> tuple[set[str], set[str]]:
    """Status with the record, and with it dropped."""
    assert recorded(state)
    fast = porcelain(status(layout, state))
    state.db.execute("DELETE FROM label_lines")
    return fast, porcelain(status(layout, state))


def test_a_clean_status_records_the_lines_and_a_change_reads_only_new_ones(
        ws: tuple[Layout, State], monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    assert recorded(state)
    seen = parsed_lines(monkeypatch)
    changed = dict(ITEMS, **{"3.jpg": BIRD})
    write(layout.root, {"train/metadata.jsonl": lines(*changed.items())})
    assert porcelain(status(layout, state)) == {" L train/3.jpg"}
    assert seen == [4]  # the fourth line alone was read


EDITS = {
    "relabel": lambda items: lines(*dict(items, **{"2.jpg": BIRD}).items()),
    "line removed": lambda items: lines(*[(p, v) for p, v in items.items() if p != "5.jpg"]),
    "lines reordered and one changed": lambda items: lines(
        *reversed(list(dict(items, **{"0.jpg": CAT}).items()))),
    "label for a tracked file that had none": lambda items: lines(
        *items.items(), ("extra.jpg", BIRD)),
    "label for a file that is not there": lambda items: lines(*items.items(),
                                                              ("ghost.jpg", CAT)),
    "a line in another form, same label": lambda items: lines(
        *[(p, v) for p, v in items.items() if p != "1.jpg"])
        + json.dumps({"file_name": "1.jpg", "label": CAT}) + "\n",
    "a line in another form, other label": lambda items: lines(
        *[(p, v) for p, v in items.items() if p != "1.jpg"])
        + json.dumps({"label": DOG, "file_name": "1.jpg"}) + "\n",
    "blank lines and no final newline": lambda items: "\n\n" + lines(*items.items()).rstrip(),
    "empty file": lambda items: "",
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_status_through_the_record_is_status_without(ws: tuple[Layout, State],
                                                     edit: str) -> None:
    layout, state = ws
    write(layout.root, {"train/metadata.jsonl": EDITS[edit](ITEMS)})
    fast, full = through_record_and_without(layout, state)
    assert fast == full


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_add_through_the_record_stages_what_add_without_stages(tmp_path: Path,
                                                               edit: str) -> None:
    """Two identical workspaces, one with its record dropped: after the same edit and `add -A`
    (which records again), their indexes agree, and so do later statuses."""
    twins = [make(tmp_path / name) for name in ("fast", "full")]
    twins[1][1].db.execute("DELETE FROM label_lines")
    for layout, state in twins:
        write(layout.root, {"train/metadata.jsonl": EDITS[edit](ITEMS)})
        if "not there" in edit:
            with pytest.raises(GasError, match=r"ghost\.jpg"):
                stage.add(layout, state, [pathspec.EVERYTHING])
            continue
        stage.add(layout, state, [pathspec.EVERYTHING])
    rows = [state.db.execute("SELECT path, sum, label FROM entries ORDER BY path").fetchall()
            for _, state in twins]
    assert rows[0] == rows[1]
    for layout, _ in twins:  # edited once more, through the record `add` left
        write(layout.root, {"train/metadata.jsonl": lines(*dict(ITEMS, **{"6.jpg": BIRD})
                                                          .items())})
    assert porcelain(status(*twins[0])) == porcelain(status(*twins[1]))
    for _, state in twins:
        state.close()


def test_add_keeps_the_record_so_the_next_status_reads_only_new_lines(
        ws: tuple[Layout, State], monkeypatch: pytest.MonkeyPatch) -> None:
    layout, state = ws
    write(layout.root, {"train/metadata.jsonl": lines(*dict(ITEMS, **{"2.jpg": BIRD}).items()),
                        "train/new.jpg": "new"})
    write(layout.root, {"train/metadata.jsonl": lines(*dict(ITEMS, **{"2.jpg": BIRD}).items(),
                                                      ("new.jpg", CAT))})
    stage.add(layout, state, [pathspec.EVERYTHING])
    commit(layout, state, "second", "tester", 1_700_000_100)
    assert recorded(state)
    seen = parsed_lines(monkeypatch)
    final = dict(ITEMS, **{"2.jpg": BIRD, "7.jpg": BIRD, "new.jpg": CAT})
    write(layout.root, {"train/metadata.jsonl": lines(*final.items())})
    assert porcelain(status(layout, state)) == {" L train/7.jpg"}
    assert seen == [8]


def test_a_recorded_line_twice_is_the_error_it_always_was(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/metadata.jsonl": lines(*ITEMS.items(), ("4.jpg", ITEMS["4.jpg"]))})
    with pytest.raises(GasError, match=r"metadata.jsonl:9: '4.jpg' already has a label on"
                                       r" line 5"):
        status(layout, state)


def test_a_new_line_for_an_item_whose_line_stays_is_the_same_error(
        ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/metadata.jsonl": lines(*ITEMS.items(), ("4.jpg", BIRD))})
    with pytest.raises(GasError, match=r"metadata.jsonl:9: '4.jpg' already has a label on"
                                       r" line 5"):
        status(layout, state)


def test_a_bad_line_is_named_as_before(ws: tuple[Layout, State]) -> None:
    layout, state = ws
    write(layout.root, {"train/metadata.jsonl": lines(*ITEMS.items()) + "{not json\n"})
    with pytest.raises(GasError, match=r"metadata.jsonl:9"):
        status(layout, state)


@pytest.mark.parametrize("change", ["relabel", "untrack", "remove"])
def test_index_changes_drop_the_record(ws: tuple[Layout, State], change: str) -> None:
    layout, state = ws
    spec = pathspec.parse_pathspec("train/3.jpg")
    if change == "relabel":
        state.set_label("train", "3.jpg", None)
    elif change == "untrack":
        stage.remove(layout, state, [spec], cached=True)
    else:
        state.db.execute("DELETE FROM entries WHERE path = '3.jpg'")
    assert not recorded(state)


def test_lines_that_may_point_at_masks_are_read_in_full(ws: tuple[Layout, State]) -> None:
    """Mask images are checked from the lines that name them: no record is used."""
    _, state = ws
    text = lines(*ITEMS.items()) + '{"file_name":"0.jpg","label":{"SEMANTIC_MASK":{}}}\n'
    assert metafile.MASKED in text
    assert labeldelta.label_delta(state, "train", text, "m", "train") is None
