"""The short cuts a commit takes through its tree leaves (model/canon.py, model/tree.py) give
exactly the bytes and entries the general code gives: ids never change."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gasvc.model import tree
from gasvc.model.canon import canonical_json

_SURROGATES = re.compile("[\ud800-\udfff]")


def encoder_json(value: Any) -> bytes:
    """canonical_json as the encoder writes it (the form every id was made in)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


texts = st.text(alphabet=st.characters(), max_size=12)
plain = st.text(alphabet="abcdef0123456789/._-é😀 ", max_size=12)
items = st.tuples(st.one_of(plain, texts),
                  st.lists(st.one_of(plain, texts), min_size=1, max_size=1).map(lambda x: x[0]),
                  st.one_of(st.integers(-2, 2**70), st.booleans()),
                  st.one_of(st.none(), st.integers(0, 5), st.floats(allow_nan=False)),
                  st.one_of(st.none(), plain, texts))


@settings(max_examples=300)
@given(st.lists(items, max_size=6), st.booleans())
def test_a_leaf_of_items_is_written_as_the_encoder_writes_it(rows: list[tuple[Any, ...]],
                                                            tuples: bool) -> None:
    leaf = [[key, (checksum, size, timestamp, label) if tuples else
             [checksum, size, timestamp, label]] for key, checksum, size, timestamp, label in rows]
    assert canonical_json(leaf) == encoder_json(leaf)


def test_other_values_keep_the_encoder() -> None:
    for value in ([], [["a", ["s", 1, None]]], [["a", {"b": 1, "a": 2, "c": 3, "d": 4}]],
                  [["a", "wxyz"]], [["a", ["s", 1, None, "l"], 3]], {"b": [["a"]]},
                  [["a", ["s", 1.0, None, "l"]]], [["k\"ey", ["s", 1, None, "l"]]],
                  [["k", ["s", 1, None, "l\\"]]], [["k", ["s\n", 1, None, None]]],
                  [[1, ["s", 1, None, None]]], [["a", ["s", 1, None, ["l"]]]]):
        assert canonical_json(value) == encoder_json(value), value


def dict_merge(old: list[tuple[str, Any]], changes: list[tuple[str, Any]]
               ) -> list[tuple[str, Any]]:
    merged = dict(old)
    for key, value in changes:
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return sorted(merged.items())


keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)


@settings(max_examples=300)
@given(st.dictionaries(keys, st.integers(), max_size=40),
       st.lists(st.tuples(keys, st.one_of(st.none(), st.integers())), max_size=50))
def test_a_leaf_merged_in_place_is_the_leaf_merged_by_dict(old: dict[str, int],
                                                           changes: list[tuple[str, Any]]
                                                           ) -> None:
    entries = sorted(old.items())
    changes = sorted(changes, key=lambda change: change[0])  # stable: a later one wins
    assert tree._merge(list(entries), changes) == dict_merge(entries, changes)


def test_a_plain_leaf_takes_the_short_cut() -> None:
    from gasvc.model import canon
    from gasvc.model.snapshot import Item

    leaf = [["images/0001.jpg", ["a" * 40, 4096, None, "b" * 40]], ["é/😀 x", ["c", 0, None, None]],
            ["z", ("d", -1, None, "\u00e9")], ["zz", Item("e", 7, None, "f")]]
    assert canon._items_leaf(leaf) == encoder_json(leaf) == canonical_json(leaf)
    for odd in ("z\x7f", "\u2028", "\x1f", "\ud800", 'a"b', "a\\b"):  # left to the encoder
        other = [*leaf, [odd, ["e", 7, None, "f"]]]
        assert canon._items_leaf(other) is None and canonical_json(other) == encoder_json(other)
