"""The listing checks of listing.py against brute force, on random sets of paths: the streaming
check of a sorted listing (bounded memory) and the check of a diff before it is applied to a
tree must find a clash (a file that is also a folder) exactly when there is one.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gasvc.model import tree
from gasvc.model.canon import content_id
from gasvc.workspace.sync.listing import (
    CheckedLabels,
    RefusedListing,
    SegmentListing,
    check_changes,
    check_item,
)

PARTS = ["a", "a.b", "a-b", "ab", "b", "a/b"]  # '-' and '.' sort before '/', 'b' after


def random_paths(rng: random.Random, count: int) -> set[str]:
    return {"/".join(rng.choice(PARTS) for _ in range(rng.randint(1, 3))) for _ in range(count)}


def has_clash(paths: set[str]) -> bool:
    return any(other.startswith(path + "/") for path in paths for other in paths)


def streamed_clash(paths: set[str]) -> bool:
    listing = SegmentListing("s")
    try:
        for path in sorted(paths):
            listing.add(path)
    except RefusedListing:
        return True
    return False


@pytest.mark.parametrize("seed", range(300))
def test_the_streaming_check_finds_every_clash(seed: int) -> None:
    paths = random_paths(random.Random(seed), random.Random(seed).randint(1, 12))
    assert streamed_clash(paths) == has_clash(paths)


def test_the_streaming_check_refuses_duplicates_and_disorder() -> None:
    for order in (["a", "a"], ["b", "a"]):
        listing = SegmentListing("s")
        with pytest.raises(RefusedListing):
            for path in order:
                listing.add(path)


class Store:
    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}

    def put(self, value: Any) -> str:
        key = content_id(value)
        self.objects[key] = value
        return key


@pytest.mark.parametrize("seed", range(300))
def test_the_diff_check_finds_every_clash(seed: int) -> None:
    rng = random.Random(seed)
    base = random_paths(rng, rng.randint(0, 10))
    while has_clash(base):
        base.discard(max(base))
    store = Store()
    ref = tree.build(((p, [p]) for p in sorted(base)), store.put)
    changes: dict[str, Any | None] = {p: None for p in base if rng.random() < 0.3}
    changes.update((p, [p]) for p in random_paths(rng, rng.randint(0, 4)))
    after = {p for p in base if changes.get(p, True) is not None} | {
        p for p, v in changes.items() if v is not None}
    try:
        check_changes("s", ref, changes, store.objects.__getitem__)
        refused = False
    except RefusedListing:
        refused = True
    assert refused == has_clash(after)


@pytest.mark.parametrize("kept", [None, "d/0000", "d/1999"])
def test_the_diff_check_reads_across_leaves(kept: str | None) -> None:
    """Adding the file 'd' clashes with whichever file of the folder 'd/' is left, the folder
    spanning many leaves of the tree."""
    base = [f"d/{i:04}" for i in range(2000)] + ["e"]
    store = Store()
    ref = tree.build(((p, [p]) for p in base), store.put)
    assert len(store.objects[ref.manifest]) > 2  # type: ignore[index]
    changes: dict[str, Any | None] = {p: None for p in base[:2000] if p != kept}
    changes["d"] = ["d"]
    if kept is None:
        check_changes("s", ref, changes, store.objects.__getitem__)
    else:
        with pytest.raises(RefusedListing, match=f"'s/{kept}'"):
            check_changes("s", ref, changes, store.objects.__getitem__)


# labels a listing has checked ---------------------------------------------------------------
JSON_LEAVES = (st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, -0.0, 1.0])
               | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=2), inner, max_size=3),
                           max_leaves=8)
LABELS = st.dictionaries(st.sampled_from(["a", "b", "CLASSIFICATION"]), JSON_VALUES,
                         max_size=3)


def checked(label: dict[str, Any], labels: CheckedLabels | None) -> bytes | str:
    raw = {"remotePath": "x.jpg", "checksum": "a" * 40, "fileSize": 1, "label": label}
    try:
        return check_item("s", raw, labels)[4]
    except RefusedListing as refused:
        return refused.message


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(LABELS, max_size=12))
def test_a_listing_checks_a_label_it_has_seen_as_it_did_first(
        listed: list[dict[str, Any]]) -> None:
    """Labels listed again (1, 1.0, True, -0.0, NaN, key orders...) come out exactly as a
    fresh check makes them: the same canonical JSON, or the same refusal."""
    labels = CheckedLabels()
    for label in listed + listed:
        assert checked(label, labels) == checked(label, None)


def test_a_label_seen_before_is_not_encoded_again() -> None:
    labels, label = CheckedLabels(), {"CLASSIFICATION": {"category": "cat"}}
    first = checked(label, labels)
    again = checked({"CLASSIFICATION": {"category": "cat"}}, labels)
    assert first == again == b'{"CLASSIFICATION":{"category":"cat"}}'
    assert again is first  # the bytes kept, not made anew
    assert labels.content_id(again) == content_id(label)


def test_labels_that_do_not_repeat_stop_being_kept() -> None:
    labels = CheckedLabels()
    for number in range(CheckedLabels.LIMIT + 10):
        checked({"n": number}, labels)
    assert labels._missed == CheckedLabels.LIMIT and len(labels._known) == CheckedLabels.LIMIT
    assert checked({"n": 1}, labels) == b'{"n":1}'
