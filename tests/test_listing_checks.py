"""The listing checks of listing.py against brute force, on random sets of paths: the streaming
check of a sorted listing (bounded memory) and the check of a diff before it is applied to a
tree must find a clash (a file that is also a folder) exactly when there is one.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from gasvc.model import tree
from gasvc.model.canon import content_id
from gasvc.workspace.sync.listing import RefusedListing, SegmentListing, check_changes

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
