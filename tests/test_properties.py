"""Property-based tests (hypothesis) of what must round-trip exactly: canonical JSON,
`metadata.jsonl` lines, label diffs, chunked trees, TBRNs and the path rules.

Examples are few, fixed (derandomized) and unbounded in time (`SETTINGS`), so each property costs
a few seconds at most and the suite stays stable; GAS_PROPERTY_EXAMPLES=5000 explores with fresh
random examples. A failing example hypothesis found is kept below its property as an explicit
test.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gasvc.errors import InvalidParams
from gasvc.model import canon, names, tree
from gasvc.model.canon import canonical_json, escaped, sha1_hex
from gasvc.model.labeldiff import field_changes
from gasvc.model.metadata import MetadataError, parse, render, render_known
from gasvc.model.names import (
    check_dataset_name,
    check_ref_name,
    check_remote_path,
    check_segment_name,
    local_segment_problem,
)
from gasvc.model.tbrn import TBRN, TBRNError, parse_tbrn
from gasvc.workspace.worktree.metafile import _valid_path, label_refs

#: GAS_PROPERTY_EXAMPLES=N: N fresh random examples per property instead of the fixed 150.
EXPLORE = os.environ.get("GAS_PROPERTY_EXAMPLES")
SETTINGS = settings(max_examples=int(EXPLORE or 150), derandomize=EXPLORE is None, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck))


# values -----------------------------------------------------------------------------------
def as_json_carries(text: str) -> str:
    """`text` as JSON can carry it: an escaped surrogate pair reads back as one character."""
    loaded: str = json.loads(json.dumps(text))
    return loaded


#: Any unicode, lone surrogates and the line breaks `str.splitlines` knows included.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=12).map(as_json_carries)
NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values with their types: 0, 0.0, -0.0, False and True all differ."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@SETTINGS
@given(JSON)
def test_canonical_json_round_trips_exactly(value: Any) -> None:
    data = canonical_json(value)
    text = data.decode("utf-8")
    assert "\n" not in text
    assert same(json.loads(text), value)
    assert canonical_json(json.loads(text)) == data
    line = escaped(text)  # as a file line: the same value, on one line by any rule
    assert len(line.splitlines()) == 1 and same(json.loads(line), value)


def test_canonical_json_of_a_lone_surrogate() -> None:
    # found by the property above: str.encode refused the surrogate (a crash on valid JSON)
    assert canonical_json({"a": "\ud800"}) == b'{"a":"\\ud800"}'
    assert json.loads(canonical_json(["x\udfffy"])) == ["x\udfffy"]


# labels -----------------------------------------------------------------------------------
COORD = NUMBERS
ATTRIBUTES = st.dictionaries(TEXT, SCALARS | st.lists(SCALARS, max_size=3), max_size=3)


def annotation(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(fields, optional={
        "category": TEXT, "attributes": ATTRIBUTES, "instance": TEXT})


POINT = st.fixed_dictionaries({"x": COORD, "y": COORD})
LABEL_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "CLASSIFICATION": annotation(),
    "BOX2D": st.lists(annotation(box2d=st.fixed_dictionaries(
        {"xmin": COORD, "ymin": COORD, "xmax": COORD, "ymax": COORD})), max_size=3),
    "BOX3D": st.lists(annotation(box3d=st.fixed_dictionaries({
        "translation": st.fixed_dictionaries({"x": COORD, "y": COORD, "z": COORD}),
        "rotation": st.fixed_dictionaries({"w": COORD, "x": COORD, "y": COORD, "z": COORD}),
        "size": st.fixed_dictionaries({"x": COORD, "y": COORD, "z": COORD})})), max_size=2),
    "POLYGON": st.lists(annotation(polygon=st.lists(POINT, max_size=4)), max_size=2),
    "MULTI_POLYGON": st.lists(annotation(multiPolygon=st.lists(
        st.lists(POINT, max_size=3), max_size=2)), max_size=2),
    "POLYLINE2D": st.lists(annotation(polyline2d=st.lists(POINT, max_size=4)), max_size=2),
    "KEYPOINTS2D": st.lists(annotation(keypoints2d=st.lists(st.fixed_dictionaries(
        {"x": COORD, "y": COORD}, optional={"v": st.integers(0, 2)}), max_size=4)), max_size=2),
    "SENTENCE": st.lists(st.fixed_dictionaries({"sentence": st.lists(TEXT, max_size=3)},
                                               optional={"attributes": ATTRIBUTES}), max_size=2),
    "RLE": st.lists(annotation(rle=st.lists(st.integers(0, 10**6), max_size=5)), max_size=2),
}


def labels(min_types: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Labels of `min_types` to 3 annotation types."""
    return st.lists(st.sampled_from(sorted(LABEL_TYPES)), min_size=min_types, max_size=3,
                    unique=True).flatmap(
        lambda types: st.fixed_dictionaries({t: LABEL_TYPES[t] for t in types}))


LABEL = labels()


def numbers_in(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(position, number) of every int and float inside `value` (bools are not numbers)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from numbers_in(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from numbers_in(inner, (*at, index))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield at, value


def replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    copy = json.loads(canonical_json(value))
    inner = copy
    for key in at[:-1]:
        inner = inner[key]
    inner[at[-1]] = new
    return copy


def by_value(value: Any) -> Any:
    """The value with numbers tagged and compared by value (0 == 0.0), bools apart from them."""
    if isinstance(value, dict):
        return {k: by_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [by_value(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("number", value)
    return value


@SETTINGS
@given(LABEL, LABEL)
def test_label_diff_is_empty_exactly_when_the_labels_are_equal_by_value(old: Any, new: Any
                                                                         ) -> None:
    # numbers compare by value in a diff (before: by canonical JSON, so 0 → 0.0 was a change)
    assert field_changes(old, json.loads(canonical_json(old))) == []
    changes = field_changes(old, new)
    assert (changes == []) == (by_value(old) == by_value(new))
    assert all(c.path for c in changes) or not (isinstance(old, dict) and isinstance(new, dict))


@SETTINGS
@given(LABEL, st.data())
def test_label_diff_sees_0_and_0_0_as_one_value_while_stored_json_keeps_them_apart(
        label: Any, data: st.DataObject) -> None:
    # the opposite of what this asserted before: `0 → 0.0` is not a change of a label value
    numbers = list(numbers_in(label))
    if not numbers:
        return
    at, number = data.draw(st.sampled_from(numbers))
    other = float(number) if isinstance(number, int) else _as_int(number)
    if other is None:
        return
    swapped = replaced(label, at, other)
    assert canonical_json(label) != canonical_json(swapped)
    assert field_changes(label, swapped) == []


def _as_int(number: float) -> int | None:
    return int(number) if number.is_integer() else None


def test_label_diff_of_one_number_among_equal_ones() -> None:
    # found by an earlier property: difflib matched the new list's second 0 with the old list's
    # first, so one change read as "+ rle[0]" and "- rle[1]"; 0 → 0.0 is no change now
    assert field_changes({"RLE": [{"rle": [0, 0]}]}, {"RLE": [{"rle": [0.0, 0]}]}) == []
    changes = field_changes({"RLE": [{"rle": [0, 0]}]}, {"RLE": [{"rle": [0.0, 1]}]})
    assert [(c.op, c.path, c.old, c.new) for c in changes] == [("~", "RLE[0].rle[1]", 0, 1)]


# metadata.jsonl ---------------------------------------------------------------------------
PART_CHARS = st.characters(codec="utf-8", exclude_categories=["Cc"],
                           exclude_characters="/\\\x7f")
PART = st.text(PART_CHARS, min_size=1, max_size=8).filter(
    lambda part: part not in (".", "..") and part.lower() != ".gas")
PATH = st.lists(PART, min_size=1, max_size=3).map("/".join)


@SETTINGS
@given(st.dictionaries(PATH, labels(min_types=1), max_size=4))
def test_metadata_lines_round_trip(labels: dict[str, dict[str, Any]]) -> None:
    text = render(labels.items())
    assert len(text.splitlines()) == len(labels)
    read = {path: line.label for path, line in parse(text).items()}
    assert read.keys() == labels.keys()
    assert all(same(read[path], label) for path, label in labels.items())
    ids = {path: sha1_hex(canonical_json(label)) for path, label in labels.items()}
    for known in ({}, ids):  # parsed in full, then by the quick path of lines the index knows
        refs = label_refs(text, "metadata.jsonl", known)
        assert {path: ref.label for path, ref in refs.items()} == ids
        assert sorted(ref.line for ref in refs.values()) == list(range(1, len(labels) + 1))


@SETTINGS
@given(st.dictionaries(PATH, labels(min_types=1), max_size=4))
def test_metadata_lines_from_known_label_json(labels: dict[str, dict[str, Any]]) -> None:
    """Lines built from each label's canonical JSON (a clone has it) are those of encoding
    each line whole."""
    whole = "".join(escaped(canonical_json({"file_name": path, "label": label}).decode()) + "\n"
                    for path, label in sorted(labels.items()))
    assert render_known((p, label, canonical_json(label)) for p, label in labels.items()) == whole
    assert render(labels.items()) == whole


# chunked trees ----------------------------------------------------------------------------
class MemoryObjects:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def put(self, value: Any) -> str:
        digest = sha1_hex(canonical_json(value))
        self.data[digest] = json.loads(canonical_json(value))
        return digest

    def get(self, digest: str) -> Any:
        return self.data[digest]


@pytest.fixture
def small_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaves of about 4 entries, so that small trees have many of them."""
    monkeypatch.setattr(tree, "AVERAGE_LEAF", 4)


KEYS = st.text(st.characters(codec="utf-8"), max_size=6)
VALUES = st.lists(st.integers(0, 3) | st.floats(0, 3) | TEXT, max_size=2)
TREE = st.dictionaries(KEYS, VALUES, max_size=60)
CHANGES = st.dictionaries(KEYS, st.none() | VALUES, max_size=30)


@SETTINGS
@given(TREE, CHANGES)
def test_tree_build_apply_and_diff_match_a_dict(small_leaves: None, start: dict[str, Any],
                                                 changes: dict[str, Any]) -> None:
    objects = MemoryObjects()
    ref = tree.build(sorted(start.items()), objects.put)
    assert list(tree.iterate(ref, objects.get)) == sorted(start.items())
    end = {**start, **changes}
    end = {key: value for key, value in end.items() if value is not None}
    applied = tree.apply(ref, sorted(changes.items()), objects.get, objects.put)
    assert applied == tree.build(sorted(end.items()), objects.put)  # history independence
    assert list(tree.iterate(applied, objects.get)) == sorted(end.items())
    expected = [(key, start.get(key), end.get(key)) for key in sorted(start.keys() | end.keys())
                if canonical_json(start.get(key)) != canonical_json(end.get(key))]
    assert list(tree.diff(ref, applied, objects.get)) == expected
    assert list(tree.diff(applied, ref, objects.get)) == [(k, b, a) for k, a, b in expected]
    for offset in range(0, len(end) + 2, 7):
        assert tree.page(applied, objects.get, offset, 5) == sorted(end.items())[offset:offset + 5]
    for key in list(changes)[:5]:
        assert tree.lookup(applied, key, objects.get) == end.get(key)


# TBRN -------------------------------------------------------------------------------------
def without(*banned: str, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=8).filter(
        lambda text: not any(b in text for b in banned))


TBRNS = st.builds(
    TBRN, dataset=without(":", "@", "#", min_size=1), revision=st.none() | without(":", min_size=1),
    draft=st.none() | st.integers(0, 10**6), segment=st.none() | without(":"),
    path=st.none() | st.text(max_size=12),
).filter(lambda t: not (t.revision and t.draft is not None) and (t.path is None or t.segment
                                                                   is not None))


@SETTINGS
@given(TBRNS)
def test_tbrn_format_then_parse_round_trips(tbrn: TBRN) -> None:
    assert parse_tbrn(str(tbrn)) == tbrn


@SETTINGS
@given(st.text(max_size=20) | st.text(max_size=20).map(lambda text: "tb:" + text))
def test_tbrn_parse_refuses_with_tbrn_error_or_round_trips(text: str) -> None:
    try:
        tbrn = parse_tbrn(text)
    except TBRNError:
        return
    assert parse_tbrn(str(tbrn)) == tbrn


def test_tbrn_draft_number_in_other_digits() -> None:
    # found by the property above: "²".isdigit(), but int("²") raised ValueError
    for text in ("tb:cats#²", "tb:cats#١"):
        with pytest.raises(TBRNError, match="is not a number"):
            parse_tbrn(text)


# path rules -------------------------------------------------------------------------------
@SETTINGS
@given(PATH)
def test_accepted_paths_round_trip(path: str) -> None:
    assert check_remote_path(path) == path
    assert _valid_path(path)
    assert json.loads(canonical_json(path)) == path
    assert path.encode("utf-8").decode("utf-8") == path


ANYTHING = st.text(max_size=20) | st.text(st.characters(codec=None, categories=None),
                                          max_size=20) | st.integers() | st.none()


@SETTINGS
@given(ANYTHING | st.lists(PART, max_size=3).map("/".join) | st.text("./\\.gas", max_size=9))
def test_path_rules_accept_unchanged_or_raise_invalid_params(value: Any) -> None:
    for check in (check_remote_path, check_segment_name, check_dataset_name,
                  lambda v: check_ref_name("branch", v)):
        with contextlib.suppress(InvalidParams):
            assert check(value) == value
    if isinstance(value, str):
        try:
            accepted = check_remote_path(value) == value
        except InvalidParams:
            accepted = False
        assert _valid_path(value) == accepted


def test_quick_path_rule_knows_the_reserved_part() -> None:
    # found by the property above: the fast path rule of `gas add` let '.gas' parts through
    assert not _valid_path(".GAS") and not _valid_path("a/.gas/b.jpg")
    line = '{"file_name":"x/.Gas/b.jpg","label":{"CLASSIFICATION":{}}}\n'
    with pytest.raises(MetadataError, match="'\\.gas' is reserved"):
        label_refs(line, "metadata.jsonl", {})


# the character checks, as regular expressions they were -----------------------------------
#: Their classes of lone surrogates took ~1 ms to compile at every start of gas; the checks that
#: replaced them (names.py: no pattern of surrogates; canon.py: compiled when first needed) must
#: agree with them on any text.
OLD_UNFIT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
OLD_UNREADABLE = re.compile(r"[\x00-\x1f\x7f\\\ud800-\udfff]")
OLD_SURROGATES = re.compile("[\ud800-\udfff]")
OLD_SURROGATES_AND_BREAKS = re.compile("[\ud800-\udfff\x85\u2028\u2029]")
#: Any unicode; lone surrogates and the characters the checks look for more often.
CHECKED_TEXT = st.text(st.characters(codec=None, categories=None)
                       | st.integers(0xD800, 0xDFFF).map(chr)
                       | st.sampled_from("\x00\n\x1f \x7f\x80\x85\\\ud7ff\ue000\u2028é"),
                       max_size=20)


@SETTINGS
@given(CHECKED_TEXT)
def test_character_checks_agree_with_the_old_patterns(text: str) -> None:
    unfit = OLD_UNFIT.search(text)
    try:
        refused = ""
        check_segment_name(text)
    except InvalidParams as error:
        refused = error.message
    if unfit is None:
        assert "control character" not in refused and "surrogate" not in refused
    else:
        assert ("control character" if unfit.group() < "\ud800" else "lone surrogate") in refused
    problem = local_segment_problem(text) or ""
    assert ("not valid UTF-8" in problem) == bool(OLD_SURROGATES.search(text))
    assert ("control character" in problem) == (unfit is not None and "not valid" not in problem)
    assert names.is_readable(text) == (OLD_UNREADABLE.search(text) is None)
    assert names.escaped(text) == "'" + OLD_UNREADABLE.sub(
        lambda match: names._escape(match.group()), text) + "'"
    escape = canon._escape
    assert canonical_json(text) == OLD_SURROGATES.sub(
        escape, json.dumps(text, ensure_ascii=False)).encode()
    assert canon.escaped(text) == OLD_SURROGATES_AND_BREAKS.sub(escape, text)
