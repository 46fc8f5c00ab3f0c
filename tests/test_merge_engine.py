"""The three-way merge engine (model/jsonmerge.py, model/merge.py): a table of cases for every
rule in docs/merge.md, and properties (hypothesis): a version merged with itself or with its
base is itself; merge(ours, theirs) and merge(theirs, ours) agree where nothing conflicts."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gasvc.model import tree
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.jsonmerge import CATALOG_KEYS, MISSING, merge_json, same
from gasvc.model.merge import Conflict, merge_states
from gasvc.model.snapshot import Item, Segment, VersionState, iterate_items
from gasvc.model.trailers import merged_from, with_merged_from

EXPLORE = os.environ.get("GAS_PROPERTY_EXAMPLES")
SETTINGS = settings(max_examples=int(EXPLORE or 150), derandomize=EXPLORE is None, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck))


def box(instance: str | None = None, x: float = 0, category: str = "car", **attributes: Any
        ) -> dict[str, Any]:
    found: dict[str, Any] = {"box2d": {"xmin": x, "ymin": 0, "xmax": x + 10, "ymax": 10},
                             "category": category}
    if instance is not None:
        found["instance"] = instance
    if attributes:
        found["attributes"] = attributes
    return found


# (name, base, ours, theirs, merged, conflicting paths)
JSON_CASES: list[tuple[str, Any, Any, Any, Any, list[str]]] = [
    ("unchanged", {"a": 1}, {"a": 1}, {"a": 1}, {"a": 1}, []),
    ("ours only", {"a": 1}, {"a": 2}, {"a": 1}, {"a": 2}, []),
    ("theirs only", {"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}, []),
    ("both alike", {"a": 1}, {"a": 2}, {"a": 2}, {"a": 2}, []),
    ("numbers by value", {"a": 1}, {"a": 2}, {"a": 2.0}, {"a": 2}, []),
    ("same field differently", {"a": 1}, {"a": 2}, {"a": 3}, {"a": 2}, ["a"]),
    ("different fields", {"a": 1, "b": 1}, {"a": 2, "b": 1}, {"a": 1, "b": 3},
     {"a": 2, "b": 3}, []),
    ("key added on each side", {}, {"a": 1}, {"b": 2}, {"a": 1, "b": 2}, []),
    ("key added on both differently", {}, {"a": 1}, {"a": 2}, {"a": 1}, ["a"]),
    ("key removed on one side", {"a": 1, "b": 2}, {"b": 2}, {"a": 1, "b": 2}, {"b": 2}, []),
    ("removed vs changed", {"a": 1}, {}, {"a": 2}, {}, ["a"]),
    ("true is not 1", {"a": 0}, {"a": True}, {"a": 1}, {"a": True}, ["a"]),
    ("label types separately", {"CLASSIFICATION": {"category": "cat"}},
     {"CLASSIFICATION": {"category": "dog"}},
     {"CLASSIFICATION": {"category": "cat"}, "BOX2D": [box("1")]},
     {"CLASSIFICATION": {"category": "dog"}, "BOX2D": [box("1")]}, []),
    ("category one side, attribute the other",
     {"CLASSIFICATION": {"category": "cat", "attributes": {"pose": "sit"}}},
     {"CLASSIFICATION": {"category": "dog", "attributes": {"pose": "sit"}}},
     {"CLASSIFICATION": {"category": "cat", "attributes": {"pose": "run"}}},
     {"CLASSIFICATION": {"category": "dog", "attributes": {"pose": "run"}}}, []),
    ("box added on each side (by instance)", {"BOX2D": [box("1")]},
     {"BOX2D": [box("1"), box("2")]}, {"BOX2D": [box("1"), box("3")]},
     {"BOX2D": [box("1"), box("2"), box("3")]}, []),
    ("box moved and recategorised (by instance)", {"BOX2D": [box("1"), box("2")]},
     {"BOX2D": [box("1", x=5), box("2")]}, {"BOX2D": [box("2", category="bus"), box("1",
                                                                                  category="bus")]},
     {"BOX2D": [box("2", category="bus"), box("1", x=5, category="bus")]}, []),
    ("same box field by instance", {"BOX2D": [box("1")]}, {"BOX2D": [box("1", category="a")]},
     {"BOX2D": [box("1", category="b")]}, {"BOX2D": [box("1", category="a")]},
     ["BOX2D[instance=1].category"]),
    ("box deleted vs changed", {"BOX2D": [box("1"), box("2")]}, {"BOX2D": [box("2")]},
     {"BOX2D": [box("1", x=3), box("2")]}, {"BOX2D": [box("2")]}, ["BOX2D[instance=1]"]),
    ("box deleted on one side", {"BOX2D": [box("1"), box("2")]}, {"BOX2D": [box("2")]},
     {"BOX2D": [box("1"), box("2", x=4)]}, {"BOX2D": [box("2", x=4)]}, []),
    ("box added on each side (no instance)", {"BOX2D": [box()]},
     {"BOX2D": [box(), box(x=20)]}, {"BOX2D": [box(), box(x=40)]},
     {"BOX2D": [box(), box(x=20), box(x=40)]}, []),
    ("box moved and recategorised (no instance)", {"BOX2D": [box(), box(x=50)]},
     {"BOX2D": [box(x=5), box(x=50)]}, {"BOX2D": [box(category="bus"), box(x=50)]},
     {"BOX2D": [box(x=5, category="bus"), box(x=50)]}, []),
    ("same box added on both sides", {"BOX2D": []}, {"BOX2D": [box(x=1)]},
     {"BOX2D": [box(x=1)]}, {"BOX2D": [box(x=1)]}, []),
    ("same field of an unkeyed box", {"BOX2D": [box()]}, {"BOX2D": [box(x=1)]},
     {"BOX2D": [box(x=2)]}, {"BOX2D": [box(x=1)]},
     ["BOX2D[0].box2d.xmax", "BOX2D[0].box2d.xmin"]),
    ("keypoints in a list of lists", {"KEYPOINTS2D": [{"keypoints2d": [[1, 2], [3, 4]]}]},
     {"KEYPOINTS2D": [{"keypoints2d": [[1, 2], [3, 5]]}]},
     {"KEYPOINTS2D": [{"keypoints2d": [[0, 2], [3, 4]], "category": "p"}]},
     {"KEYPOINTS2D": [{"keypoints2d": [[0, 2], [3, 5]], "category": "p"}]}, []),
]


@pytest.mark.parametrize(("name", "base", "ours", "theirs", "merged", "conflicts"),
                         JSON_CASES, ids=[case[0] for case in JSON_CASES])
def test_label_merge_rules(name: str, base: Any, ours: Any, theirs: Any, merged: Any,
                           conflicts: list[str]) -> None:
    value, found = merge_json(base, ours, theirs)
    assert canonical_json(value) == canonical_json(merged)
    assert sorted(c.path for c in found) == conflicts
    if not conflicts:  # the other way round gives the same (numbers by value)
        other, again = merge_json(base, theirs, ours)
        assert same(other, merged) and not again


def test_a_conflict_names_all_three_values() -> None:
    _, found = merge_json({"a": 1}, {"a": 2}, {})
    assert [(c.path, c.base, c.ours, c.theirs) for c in found] == [("a", 1, 2, MISSING)]


def category(name: str, description: str = "") -> dict[str, Any]:
    return {"name": name, "description": description} if description else {"name": name}


CATALOG_CASES: list[tuple[str, Any, Any, Any, Any, list[str]]] = [
    ("categories added on each side", {"BOX2D": {"categories": [category("car")]}},
     {"BOX2D": {"categories": [category("car"), category("bus")]}},
     {"BOX2D": {"categories": [category("car"), category("bike")]}},
     {"BOX2D": {"categories": [category("car"), category("bike"), category("bus")]}}, []),
    ("same entry changed differently", {"BOX2D": {"categories": [category("car")]}},
     {"BOX2D": {"categories": [category("car", "a")]}},
     {"BOX2D": {"categories": [category("car", "b")]}},
     {"BOX2D": {"categories": [category("car", "a")]}},
     ["BOX2D.categories[name=car].description"]),
    ("entry removed on one side, another added on the other",
     {"BOX2D": {"categories": [category("car"), category("bus")]}},
     {"BOX2D": {"categories": [category("car")]}},
     {"BOX2D": {"categories": [category("car"), category("bus"), category("van")]}},
     {"BOX2D": {"categories": [category("car"), category("van")]}}, []),
    ("attribute and label type added", {"BOX2D": {"attributes": [{"name": "occluded"}]}},
     {"BOX2D": {"attributes": [{"name": "occluded", "type": "boolean"}]}},
     {"BOX2D": {"attributes": [{"name": "occluded"}]}, "CLASSIFICATION": {}},
     {"BOX2D": {"attributes": [{"name": "occluded", "type": "boolean"}]}, "CLASSIFICATION": {}},
     []),
]


@pytest.mark.parametrize(("name", "base", "ours", "theirs", "merged", "conflicts"),
                         CATALOG_CASES, ids=[case[0] for case in CATALOG_CASES])
def test_catalog_merge_rules(name: str, base: Any, ours: Any, theirs: Any, merged: Any,
                             conflicts: list[str]) -> None:
    value, found = merge_json(base, ours, theirs, CATALOG_KEYS)
    key = canonical_json
    # categories merge as sets by name: compare them in name order
    for catalog in (value, merged):
        for rules in catalog.values():
            for part in ("categories", "attributes"):
                if part in rules:
                    rules[part].sort(key=lambda entry: entry["name"])
    assert key(value) == key(merged)
    assert [c.path for c in found] == conflicts


# Versions -------------------------------------------------------------------------------------
class Objects:
    """An in-memory object store: the engine's get and put."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put(self, value: Any) -> str:
        data = canonical_json(value)
        digest = sha1_hex(data)
        self.data[digest] = data
        return digest

    def get(self, digest: str) -> Any:
        import json

        return json.loads(self.data[digest])


def version(objects: Objects, segments: dict[str, dict[str, tuple[str, Any]]],
            catalog: Any = None) -> VersionState:
    """A version from {segment: {path: (content, label)}}."""
    state = VersionState(catalog=objects.put(catalog) if catalog else None)
    for name, items in segments.items():
        rows = [(path, Item(sha1_hex(content.encode()), len(content), None,
                            objects.put(label) if label else None).stored())
                for path, (content, label) in sorted(items.items())]
        state.segments[name] = Segment("", tree.build(rows, objects.put))
    return state


def contents(objects: Objects, state: VersionState) -> dict[str, dict[str, tuple[str, Any]]]:
    """{segment: {path: (checksum, label)}} of a version."""
    return {name: {path: (item.checksum, objects.get(item.label) if item.label else None)
                   for path, item in iterate_items(segment.tree, objects.get)}
            for name, segment in state.segments.items()}


def sums(segments: dict[str, dict[str, tuple[str, Any]]]) -> dict[str, dict[str, tuple[str, Any]]]:
    return {name: {path: (sha1_hex(content.encode()), label)
                   for path, (content, label) in items.items()}
            for name, items in segments.items()}


Spec = dict[str, dict[str, tuple[str, Any]]]
CLS = {"CLASSIFICATION": {"category": "cat"}}
DOG = {"CLASSIFICATION": {"category": "dog"}}
POSE = {"CLASSIFICATION": {"category": "cat", "attributes": {"pose": "run"}}}
BOTH = {"CLASSIFICATION": {"category": "dog", "attributes": {"pose": "run"}}}

# (name, base, ours, theirs, merged, [(part, segment, path, field)])
VERSION_CASES: list[tuple[str, Spec, Spec, Spec, Spec, list[tuple[str, str, str, str]]]] = [
    ("file changed on one side", {"s": {"a": ("1", None)}}, {"s": {"a": ("1", None)}},
     {"s": {"a": ("2", None)}}, {"s": {"a": ("2", None)}}, []),
    ("file changed alike", {"s": {"a": ("1", None)}}, {"s": {"a": ("2", None)}},
     {"s": {"a": ("2", None)}}, {"s": {"a": ("2", None)}}, []),
    ("file changed differently", {"s": {"a": ("1", CLS)}}, {"s": {"a": ("2", CLS)}},
     {"s": {"a": ("3", CLS)}}, {"s": {"a": ("2", CLS)}}, [("file", "s", "a", "")]),
    ("file on one side, label on the other", {"s": {"a": ("1", CLS)}},
     {"s": {"a": ("2", CLS)}}, {"s": {"a": ("1", DOG)}}, {"s": {"a": ("2", DOG)}}, []),
    ("label fields on each side", {"s": {"a": ("1", CLS)}}, {"s": {"a": ("1", DOG)}},
     {"s": {"a": ("1", POSE)}}, {"s": {"a": ("1", BOTH)}}, []),
    ("label field conflict", {"s": {"a": ("1", CLS)}}, {"s": {"a": ("1", DOG)}},
     {"s": {"a": ("1", {"CLASSIFICATION": {"category": "cow"}})}}, {"s": {"a": ("1", DOG)}},
     [("label", "s", "a", "CLASSIFICATION.category")]),
    ("items added on each side", {"s": {}}, {"s": {"a": ("1", None)}}, {"s": {"b": ("2", None)}},
     {"s": {"a": ("1", None), "b": ("2", None)}}, []),
    ("same path added differently", {"s": {}}, {"s": {"a": ("1", None)}},
     {"s": {"a": ("2", None)}}, {"s": {"a": ("1", None)}}, [("file", "s", "a", "")]),
    ("deleted on one side", {"s": {"a": ("1", None), "b": ("1", None)}},
     {"s": {"b": ("1", None)}}, {"s": {"a": ("1", None), "b": ("2", None)}},
     {"s": {"b": ("2", None)}}, []),
    ("deleted vs edited", {"s": {"a": ("1", CLS), "b": ("1", None)}}, {"s": {"b": ("1", None)}},
     {"s": {"a": ("1", DOG), "b": ("1", None)}}, {"s": {"b": ("1", None)}},
     [("item", "s", "a", "")]),
    ("segment added on one side", {"s": {}}, {"s": {}, "t": {"x": ("1", None)}}, {"s": {}},
     {"s": {}, "t": {"x": ("1", None)}}, []),
    ("segment added on each side", {}, {"s": {"a": ("1", None)}}, {"t": {"b": ("1", None)}},
     {"s": {"a": ("1", None)}, "t": {"b": ("1", None)}}, []),
    ("segment deleted on one side", {"s": {"a": ("1", None)}, "t": {}}, {"t": {}},
     {"s": {"a": ("1", None)}, "t": {"b": ("2", None)}}, {"t": {"b": ("2", None)}}, []),
    ("segment deleted vs changed", {"s": {"a": ("1", None)}}, {},
     {"s": {"a": ("2", None)}}, {}, [("segment", "s", "", "")]),
    ("segment renamed by a move on one side", {"s": {"a": ("1", None)}},
     {"r": {"a": ("1", None)}}, {"s": {"a": ("1", None)}, "t": {"c": ("3", None)}},
     {"r": {"a": ("1", None)}, "t": {"c": ("3", None)}}, []),
]


@pytest.mark.parametrize(("name", "base", "ours", "theirs", "merged", "conflicts"),
                         VERSION_CASES, ids=[case[0] for case in VERSION_CASES])
def test_version_merge_rules(name: str, base: Spec, ours: Spec, theirs: Spec, merged: Spec,
                             conflicts: list[tuple[str, str, str, str]]) -> None:
    objects = Objects()
    states = [version(objects, spec) for spec in (base, ours, theirs)]
    result = merge_states(*states, objects.get, objects.put)
    assert contents(objects, result.state) == sums(merged)
    assert [(c.part, c.segment, c.path, c.field) for c in result.conflicts] == conflicts
    if conflicts:  # prefer="theirs" settles them the other way
        other = merge_states(*states, objects.get, objects.put, prefer="theirs")
        flipped = merge_states(states[0], states[2], states[1], objects.get, objects.put)
        assert contents(objects, other.state) == contents(objects, flipped.state)


def test_catalog_in_a_version_merge() -> None:
    objects = Objects()
    base = version(objects, {}, {"BOX2D": {"categories": [category("car")]}})
    ours = version(objects, {}, {"BOX2D": {"categories": [category("car", "x")]}})
    theirs = version(objects, {}, {"BOX2D": {"categories": [category("car", "y")]}})
    result = merge_states(base, ours, theirs, objects.get, objects.put)
    assert [(c.part, c.field, c.base, c.ours, c.theirs) for c in result.conflicts] == [
        ("catalog", "BOX2D.categories[name=car].description", MISSING, "x", "y")]
    assert result.state.catalog == ours.catalog


def test_fusion_frames_merge_sensor_by_sensor() -> None:
    objects = Objects()

    def fusion(frames: dict[str, Any]) -> VersionState:
        state = VersionState()
        rows = sorted(frames.items())
        state.segments["f"] = Segment("", tree.build(rows, objects.put), {"cam": {}, "lidar": {}})
        return state

    def cam(checksum: str, label: str | None = None) -> list[Any]:
        return ["cam", "a.jpg", checksum * 40, 1, None, label]

    lidar = ["lidar", "a.bin", "9" * 40, 1, None, None]
    lidar2 = ["lidar", "a.bin", "8" * 40, 1, None, None]
    base_label = objects.put({"BOX2D": [{"category": "car", "instance": "1"}]})
    our_label = objects.put({"BOX2D": [{"category": "truck", "instance": "1"}]})
    their_label = objects.put({"BOX2D": [{"category": "car", "instance": "1",
                                          "attributes": {"occluded": True}}]})
    base = fusion({"0": [cam("0")], "1": [cam("0"), lidar], "2": [cam("0", base_label)]})
    ours = fusion({"0": [cam("1")], "1": [cam("1"), lidar], "2": [cam("0", our_label)]})
    theirs = fusion({"0": [cam("2")], "1": [cam("0"), lidar2], "2": [cam("0", their_label)]})
    result = merge_states(base, ours, theirs, objects.get, objects.put)
    # the same sensor's file changed differently: a file conflict named by the data's file
    assert [(c.part, c.path) for c in result.conflicts] == [("file", "cam/a.jpg")]
    merged = dict(tree.iterate(result.state.tree("f"), objects.get))
    assert merged["0"] == [cam("1")]  # ours at the conflict
    assert merged["1"] == [cam("1"), lidar2]  # different sensors of one frame: both edits
    label = objects.get(merged["2"][0][5])  # one box's two fields edited on two sides
    assert label == {"BOX2D": [{"category": "truck", "instance": "1",
                                "attributes": {"occluded": True}}]}


def test_cost_follows_the_changes() -> None:
    """Merging two small edits of a large version reads only the leaves they touch."""
    objects = Objects()
    rows = [(f"{i:06}.jpg", Item(f"{i:040x}", 1).stored()) for i in range(20_000)]
    base = VersionState(segments={"s": Segment("", tree.build(rows, objects.put))})
    ours, theirs = base.copy(), base.copy()
    ours.segments["s"].tree = tree.apply(base.tree("s"), [("000005.jpg", Item("a" * 40, 2)
                                                          .stored())], objects.get, objects.put)
    theirs.segments["s"].tree = tree.apply(base.tree("s"), [("019000.jpg", None)],
                                           objects.get, objects.put)
    reads = 0

    def counting(digest: str) -> Any:
        nonlocal reads
        reads += 1
        return objects.get(digest)

    result = merge_states(base, ours, theirs, counting, objects.put)
    assert result.state.tree("s").count == 19_999 and not result.conflicts
    assert reads < 40  # manifests and a few leaves, not 20,000 items


# Properties -----------------------------------------------------------------------------------
scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "c"]), st.booleans())
boxes = st.fixed_dictionaries({"category": st.sampled_from(["car", "bus"]),
                               "x": st.integers(0, 3)},
                              optional={"instance": st.sampled_from(["1", "2", "3"])})
labels = st.dictionaries(st.sampled_from(["BOX2D", "CLASSIFICATION", "extra"]), st.one_of(
    scalars, st.lists(boxes, max_size=4),
    st.dictionaries(st.sampled_from(["category", "attributes"]), scalars, max_size=2)),
    max_size=3)


@SETTINGS
@given(labels, labels)
def test_merging_with_itself_or_its_base_is_identity(base: Any, ours: Any) -> None:
    for args in ((base, ours, ours), (base, ours, base), (base, base, ours)):
        value, conflicts = merge_json(*args)
        assert not conflicts
        assert canonical_json(value) == canonical_json(ours)


@SETTINGS
@given(labels, labels, labels)
def test_merge_is_symmetric_where_nothing_conflicts(base: Any, ours: Any, theirs: Any) -> None:
    one, conflicts = merge_json(base, ours, theirs)
    other, again = merge_json(base, theirs, ours)
    assert len(conflicts) == len(again)
    if not conflicts:
        assert same(one, other)


def test_conflict_record_is_plain_data() -> None:
    found = Conflict("file", "s", "a", "", None, None, None)
    assert found.part == "file"


@pytest.mark.parametrize(("description", "found"), [
    ("", None),
    ("Merged-from: abc123", "abc123"),
    ("body\n\nMerged-from: abc123\n", "abc123"),
    ("Merged-from: abc123\nmore text", None),  # a trailer is the last line
    ("says Merged-from: abc123", None),
])
def test_merged_from_trailer_is_read_back(description: str, found: str | None) -> None:
    assert merged_from(description) == found


def test_merged_from_trailer_is_written_once() -> None:
    once = with_merged_from("Merge topic\n\nbody", "abc")
    assert once == "Merge topic\n\nbody\n\nMerged-from: abc"
    assert with_merged_from(once, "def") == "Merge topic\n\nbody\n\nMerged-from: def"
    assert with_merged_from("", "abc") == "Merged-from: abc"
    assert merged_from(with_merged_from("x", "abc")) == "abc"
