"""The chunked snapshot trees: history independence, sharing, paging and diff, on plain values."""

from __future__ import annotations

import random
from typing import Any

import pytest

from gasvc.model import tree
from gasvc.model.canon import canonical_json, sha1_hex


class MemoryObjects:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.reads = 0

    def put(self, value: Any) -> str:
        digest = sha1_hex(canonical_json(value))
        self.data[digest] = value
        return digest

    def get(self, digest: str) -> Any:
        self.reads += 1
        return self.data[digest]


def _keys(n: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    return sorted({f"img/{rnd.randrange(10**9):09d}.jpg" for _ in range(n)})


def test_same_keys_give_same_tree_whatever_the_history() -> None:
    objects = MemoryObjects()
    keys = _keys(3000)
    direct = tree.build(((k, [k, 1]) for k in keys), objects.put)
    ref = tree.build(((k, [k, 1]) for k in keys[::2]), objects.put)
    ref = tree.apply(ref, [(k, [k, 1]) for k in keys[1::2]], objects.get, objects.put)
    assert ref == direct
    extra = [("zzz/extra", [0]), ("aaa/extra", [0])]
    grown = tree.apply(ref, sorted(extra), objects.get, objects.put)
    shrunk = tree.apply(grown, [(k, None) for k, _ in sorted(extra)], objects.get, objects.put)
    assert shrunk == direct and grown.count == direct.count + 2


def test_random_edits_match_a_dict() -> None:
    objects = MemoryObjects()
    rnd = random.Random(7)
    model: dict[str, Any] = {}
    ref = tree.EMPTY
    for round_ in range(30):
        changes: dict[str, Any] = {}
        for _ in range(rnd.choice([1, 10, 400])):
            key = f"k{rnd.randrange(5000):05d}"
            changes[key] = None if rnd.random() < 0.3 else [round_]
        ref = tree.apply(ref, sorted(changes.items()), objects.get, objects.put)
        for key, value in changes.items():
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        assert list(tree.iterate(ref, objects.get)) == sorted(model.items())
        assert ref.count == len(model)
        assert ref == tree.build(sorted(model.items()), objects.put)


def test_diff_reads_only_changed_leaves() -> None:
    objects = MemoryObjects()
    keys = _keys(50_000)
    old = tree.build(((k, [1]) for k in keys), objects.put)
    changes = [(keys[i], [2]) for i in range(0, 50_000, 5000)] + [("new/one", [3])]
    new = tree.apply(old, sorted(changes), objects.get, objects.put)
    objects.reads = 0
    found = list(tree.diff(old, new, objects.get))
    assert found == sorted([(k, [1], [2]) for k, _ in changes[:-1]] + [("new/one", None, [3])])
    assert objects.reads < 2 + 4 * len(changes)


def test_diff_covers_adds_deletes_and_empty_sides() -> None:
    objects = MemoryObjects()
    a = tree.build(((f"k{i:04d}", [i]) for i in range(1000)), objects.put)
    b = tree.apply(a, [("k0000", None), ("k0500", [0]), ("k9999", [9])], objects.get, objects.put)
    assert list(tree.diff(a, b, objects.get)) == [
        ("k0000", [0], None), ("k0500", [500], [0]), ("k9999", None, [9])
    ]
    assert len(list(tree.diff(tree.EMPTY, a, objects.get))) == 1000
    assert len(list(tree.diff(a, tree.EMPTY, objects.get))) == 1000
    assert list(tree.diff(a, a, objects.get)) == []


def test_paging_and_lookup() -> None:
    objects = MemoryObjects()
    keys = _keys(2000)
    ref = tree.build(((k, [i]) for i, k in enumerate(keys)), objects.put)
    pages = [tree.page(ref, objects.get, offset, 128) for offset in range(0, 2000, 128)]
    assert [k for p in pages for k, _ in p] == keys
    assert tree.lookup(ref, keys[1234], objects.get) == [1234]
    assert tree.lookup(ref, "nope", objects.get) is None


def test_lookup_finds_every_key_and_nothing_else() -> None:
    """Each key in its leaf (bisected there), and None for keys between, before, after them."""
    objects = MemoryObjects()
    keys = sorted(set(_keys(3000, seed=5)))
    ref = tree.build(((k, {"n": i}) for i, k in enumerate(keys)), objects.put)
    assert all(tree.lookup(ref, k, objects.get) == {"n": i} for i, k in enumerate(keys))
    for absent in ["", " ", keys[0][:-1], keys[-1] + "~", *(k + "!" for k in keys[::97])]:
        assert absent not in keys
        assert tree.lookup(ref, absent, objects.get) is None
    assert tree.lookup(tree.EMPTY, keys[0], objects.get) is None


def test_random_diffs_match_dict_diffs() -> None:
    objects = MemoryObjects()
    rnd = random.Random(11)
    for _ in range(40):
        keys = [f"k{rnd.randrange(4000):05d}" for _ in range(rnd.choice([0, 50, 3000]))]
        old = {k: [1] for k in keys}
        new = dict(old)
        for _ in range(rnd.choice([1, 30, 2000])):
            key = f"k{rnd.randrange(4000):05d}"
            if rnd.random() < 0.4:
                new.pop(key, None)
            else:
                new[key] = [rnd.randrange(3)]
        a = tree.build(sorted(old.items()), objects.put)
        b = tree.build(sorted(new.items()), objects.put)
        expected = [(k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys())
                    if old.get(k) != new.get(k)]
        assert list(tree.diff(a, b, objects.get)) == expected
        assert list(tree.iterate(b, objects.get, 17)) == sorted(new.items())[17:]


def test_apply_hashes_only_the_keys_it_did_not_read_from_a_leaf(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A leaf's keys are known boundaries or not (leaves end on one): applying changes hashes
    the new keys (and the last key of the tree), not every key of the leaves it rewrites; the
    tree is the one a build gives."""
    objects = MemoryObjects()
    keys = _keys(20_000)
    ref = tree.build(((k, [k, 1]) for k in keys), objects.put)
    hashed: list[str] = []
    original = tree.is_boundary
    monkeypatch.setattr(tree, "is_boundary", lambda key: hashed.append(key) or original(key))
    rnd = random.Random(3)
    changed = sorted(rnd.sample(keys, 50))
    added = sorted({f"img/new-{n}.jpg" for n in range(20)} | {"zzz/last.jpg"})
    changes = sorted([(k, [k, 2]) for k in changed] + [(k, [k, 3]) for k in added])
    after = tree.apply(ref, changes, objects.get, objects.put)
    assert len(hashed) <= len(added) + 2
    expected = dict.fromkeys(keys, 1) | {k: 2 for k in changed} | {k: 3 for k in added}
    monkeypatch.setattr(tree, "is_boundary", original)
    assert after == tree.build(((k, [k, v]) for k, v in sorted(expected.items())), objects.put)
