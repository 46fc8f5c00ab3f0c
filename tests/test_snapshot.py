"""model/snapshot.py: the typed version state reads and writes the stored shapes byte for byte."""

from __future__ import annotations

from typing import Any

from gasvc.model import tree
from gasvc.model.canon import canonical_json, content_id
from gasvc.model.snapshot import (
    DEFAULT_NOTES,
    FrameEntry,
    Item,
    Segment,
    VersionState,
    as_item,
    diff_items,
    frame,
    iterate_items,
    segment_tree,
    stored_frame,
)
from gasvc.model.tree import TreeRef

SUM_A, SUM_B = "a" * 40, "b" * 40


class Store:
    """Content-addressed objects in a dict, the way both sides store them."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, value: Any) -> str:
        digest = content_id(value)
        self.objects[digest] = canonical_json(value)
        return digest

    def get(self, digest: str) -> Any:
        import json

        return json.loads(self.objects[digest])


STORED: dict[str, Any] = {
    "catalog": "c" * 40,
    "notes": {"isContinuous": True, "binPointCloudFields": ["x", "y"], "extra": 1},
    "segments": {
        "train": {"description": "the train split", "manifest": "m" * 40, "count": 3,
                  "sensors": {"cam": {"name": "cam", "type": "CAMERA"}}},
        "": {"description": "", "manifest": None, "count": 0, "sensors": {}},
    },
}


def test_a_stored_state_round_trips_to_the_same_bytes() -> None:
    state = VersionState.from_stored(STORED)
    assert state.catalog == "c" * 40
    assert state.notes["isContinuous"] is True
    assert state.segments["train"].tree == TreeRef("m" * 40, 3)
    assert state.segments["train"].description == "the train split"
    assert state.segments["train"].sensors["cam"]["type"] == "CAMERA"
    assert state.segments[""].tree == tree.EMPTY
    assert canonical_json(state.stored()) == canonical_json(STORED)
    assert content_id(state.stored()) == content_id(STORED)


def test_reading_copies_so_changes_never_reach_the_stored_value() -> None:
    raw = {"catalog": None, "notes": dict(DEFAULT_NOTES),
           "segments": {"s": {"description": "", "manifest": None, "count": 0,
                              "sensors": {}}}}
    before = canonical_json(raw)
    state = VersionState.from_stored(raw)
    state.notes["isContinuous"] = True
    state.segments["s"].sensors["lidar"] = {"name": "lidar"}
    state.segments["t"] = Segment("new")
    assert canonical_json(raw) == before


def test_the_empty_state_is_the_root_commits_and_never_shared() -> None:
    empty = VersionState()
    assert empty.stored() == {"catalog": None, "notes": DEFAULT_NOTES, "segments": {}}
    empty.notes["isContinuous"] = True
    empty.segments["s"] = Segment()
    assert VersionState().stored() == {"catalog": None, "notes": DEFAULT_NOTES, "segments": {}}
    assert DEFAULT_NOTES == {"isContinuous": False, "binPointCloudFields": None}


def test_a_new_segment_is_stored_in_the_servers_shape() -> None:
    assert Segment("d").stored() == {"description": "d", "manifest": None, "count": 0,
                                     "sensors": {}}
    assert segment_tree(None) == tree.EMPTY
    assert VersionState().tree("absent") == tree.EMPTY


def test_items_and_frame_entries_round_trip() -> None:
    stored = [SUM_A, 12, 1.5, "l" * 40]
    item = Item.from_stored(stored)
    assert (item.checksum, item.size, item.timestamp, item.label) == tuple(stored)
    assert item.stored() == stored
    assert canonical_json(item) == canonical_json(stored)  # a tuple is stored as a list
    assert item.file == (SUM_A, 12, 1.5)
    assert item.relabeled(None).stored() == [SUM_A, 12, 1.5, None]
    assert as_item(None) is None and as_item(stored) == item
    raw_frame = [["cam", "a.jpg", SUM_A, 1, None, None], ["lidar", "a.bin", SUM_B, 2, 3, "l"]]
    entries = frame(raw_frame)
    assert [e.sensor for e in entries] == ["cam", "lidar"]
    assert entries[1] == FrameEntry("lidar", "a.bin", SUM_B, 2, 3, "l")
    assert entries[1].item == Item(SUM_B, 2, 3, "l")
    assert stored_frame(entries) == raw_frame
    assert frame(None) == []


def test_with_changes_builds_the_same_trees_as_raw_lists() -> None:
    store = Store()
    base = VersionState.from_stored({"catalog": None, "notes": dict(DEFAULT_NOTES),
                                     "segments": {"a": Segment().stored(),
                                                  "gone": Segment().stored()}})
    changes = [("a", f"f{i:03}.txt", Item(SUM_A, i, None, None)) for i in range(300, 0, -1)]
    changes.append(("b", "x.txt", Item(SUM_B, 1, None, "l" * 40)))
    changes.append(("nowhere", "y.txt", Item(SUM_B, 1, None, None)))  # segment absent: skipped
    new = base.with_changes({"b": True, "gone": False}, changes, "c" * 40, store.get, store.put)
    assert sorted(new.segments) == ["a", "b"]
    assert new.catalog == "c" * 40 and new.notes == DEFAULT_NOTES
    assert sorted(base.segments) == ["a", "gone"] and base.tree("a") == tree.EMPTY  # unchanged
    raw = tree.build(((f"f{i:03}.txt", [SUM_A, i, None, None]) for i in range(1, 301)),
                     store.put)
    assert new.tree("a") == raw and new.tree("a").count == 300
    assert [v.stored() for _, v in iterate_items(new.tree("b"), store.get)] == [
        [SUM_B, 1, None, "l" * 40]]

    later = new.with_changes({}, [("a", "f001.txt", None),
                                  ("a", "f002.txt", Item(SUM_B, 2, None, None))],
                             new.catalog, store.get, store.put)
    found = list(diff_items(new.tree("a"), later.tree("a"), store.get))
    assert found == [("f001.txt", Item(SUM_A, 1, None, None), None),
                     ("f002.txt", Item(SUM_A, 2, None, None), Item(SUM_B, 2, None, None))]
    assert later.tree("b") == new.tree("b")  # untouched segments keep their tree
