"""Sorted maps stored as content-addressed chunks: the snapshots behind every commit.

A tree is a *manifest* ``[[first_key, leaf_id, count], ...]`` over *leaves* ``[[key, value], ...]``.
A leaf ends after a key whose hash hits the boundary rule, so chunk boundaries depend on the keys
alone: the same key set always gives the same leaves (history independence), unchanged leaves are
shared between versions, and applying k changes rewrites O(k) leaves plus the manifest. Diffing
two trees skips every leaf id they share.

I/O is a parameter: ``get(id) -> object`` and ``put(object) -> id``.
"""

from __future__ import annotations

import hashlib
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import Any, NamedTuple

Entry = tuple[str, Any]
Getter = Callable[[str], Any]
Putter = Callable[[Any], str]
#: A leaf ends after a key whose hash is 0 modulo this: leaves average this many entries
#: (a divisor of 256).
AVERAGE_LEAF = 256


@dataclass(frozen=True)
class TreeRef:
    """What a version records of a tree: its manifest id (None when empty) and entry count."""

    manifest: str | None
    count: int


EMPTY = TreeRef(None, 0)


def is_boundary(key: str) -> bool:
    """Whether the key's 64-bit hash (big-endian) is 0 modulo AVERAGE_LEAF, which divides 256:
    its last byte decides."""
    return hashlib.blake2b(key.encode(), digest_size=8).digest()[-1] % AVERAGE_LEAF == 0


def _manifest(ref: TreeRef, get: Getter) -> list[list[Any]]:
    return list(get(ref.manifest)) if ref.manifest else []


def _chunks(entries: list[Entry], boundaries: Callable[[list[Entry]], Iterable[int]]
            ) -> Iterator[list[Entry]]:
    start = 0
    for index in boundaries(entries):
        yield entries[start : index + 1]
        start = index + 1
    if start < len(entries):
        yield entries[start:]


def _all_boundaries(entries: list[Entry]) -> Iterator[int]:
    return (index for index, (key, _) in enumerate(entries) if is_boundary(key))


def _store_leaves(entries: list[Entry], put: Putter,
                  boundaries: Callable[[list[Entry]], Iterable[int]] = _all_boundaries
                  ) -> list[list[Any]]:
    return [_store_leaf(chunk, put) for chunk in _chunks(entries, boundaries)]


def _store_leaf(chunk: list[Entry], put: Putter) -> list[Any]:
    """A manifest row for entries that make one leaf (pairs: JSON writes a tuple as a list)."""
    return [chunk[0][0], put(chunk), len(chunk)]


def build(entries: Iterable[Entry], put: Putter) -> TreeRef:
    """A tree of sorted, unique entries, streamed: memory holds one leaf at a time."""
    rows: list[list[Any]] = []
    leaf: list[Entry] = []
    for entry in entries:
        leaf.append(entry)
        if is_boundary(entry[0]):
            rows.append(_store_leaf(leaf, put))
            leaf = []
    if leaf:
        rows.append(_store_leaf(leaf, put))
    return _finish(rows, put)


def _finish(rows: list[list[Any]], put: Putter) -> TreeRef:
    if not rows:
        return EMPTY
    return TreeRef(put(rows), sum(int(row[2]) for row in rows))


#: Up to this many changes a leaf's entries are edited in place (by bisection), beyond it
#: rebuilt through a dict and sorted.
FEW_CHANGES = 32


def _merge(old: list[Entry], changes: list[tuple[str, Any | None]],
           fresh: dict[str, bool] | None = None) -> list[Entry]:
    """Apply sorted changes (value None deletes; a later change of a key wins) to sorted,
    unique entries. Keys the changes add are noted in `fresh` with whether each is a
    boundary (hashed once)."""
    if len(changes) > FEW_CHANGES:
        merged = dict(old)
        for key, value in changes:
            if value is None:
                merged.pop(key, None)
            else:
                if fresh is not None and key not in merged and key not in fresh:
                    fresh[key] = is_boundary(key)
                merged[key] = value
        return sorted(merged.items())
    entries = list(old)
    keys = [key for key, _ in entries]
    for key, value in changes:
        index = bisect_left(keys, key)
        found = index < len(keys) and keys[index] == key
        if value is None:
            if found:
                del keys[index], entries[index]
        elif found:
            entries[index] = (key, value)
        else:
            keys.insert(index, key)
            entries.insert(index, (key, value))
            if fresh is not None and key not in fresh:
                fresh[key] = is_boundary(key)
    return entries


class _Known(NamedTuple):
    """What `apply` knows of boundaries without hashing a key again: a leaf ends on a boundary
    (but the tree's last, which may end short), so of the keys it read only each leaf's last
    may be one; of the keys the changes add, each was hashed once."""

    ends: dict[str, bool]  # the last key of each leaf read → whether it is a boundary
    fresh: dict[str, bool]  # keys the changes added → whether each is a boundary

    def boundary(self, key: str) -> bool:
        found = self.ends.get(key)
        if found is None:
            found = self.fresh.get(key, False)
        return found

    def boundaries(self, entries: list[Entry]) -> list[int]:
        """Positions of the boundaries among entries (keys read or added)."""
        return [i for i, (key, _) in enumerate(entries) if self.boundary(key)]


def apply(ref: TreeRef, changes: Iterable[tuple[str, Any | None]], get: Getter,
          put: Putter) -> TreeRef:
    """The tree with `changes` (sorted by key; value None = delete) applied."""
    rows = _manifest(ref, get)
    groups: dict[int, list[tuple[str, Any | None]]] = {}
    firsts = [row[0] for row in rows]
    for key, value in changes:
        groups.setdefault(max(bisect_right(firsts, key) - 1, 0), []).append((key, value))
    if not rows:
        return build(((k, v) for k, v in groups.get(0, []) if v is not None), put)
    out: list[list[Any]] = []
    done = 0
    # Keys a leaf held before are boundaries only where a leaf ended on one (its last key,
    # unless it is the tree's last leaf and ends short): only the new keys are hashed.
    known = _Known({}, {})
    for index in sorted(groups):
        if index < done:
            continue
        out.extend(rows[done:index])
        run = _merge(_read_leaf(rows, index, get, known.ends), groups[index], known.fresh)
        last = index
        while run and not known.boundary(run[-1][0]) and last + 1 < len(rows):
            last += 1
            run.extend(_merge(_read_leaf(rows, last, get, known.ends), groups.get(last, []),
                              known.fresh))
        out.extend(_store_leaves(run, put, known.boundaries))
        done = last + 1
    out.extend(rows[done:])
    return _finish(out, put)


def _read_leaf(rows: list[list[Any]], index: int, get: Getter, ends: dict[str, bool]
               ) -> list[Entry]:
    """A leaf's entries; notes in `ends` whether its last key is a boundary: it is unless the
    tree's last leaf ends short (checked)."""
    leaf = _leaf(rows[index], get)
    if leaf:
        key = leaf[-1][0]
        ends[key] = index < len(rows) - 1 or is_boundary(key)
    return leaf


def _leaf(row: list[Any], get: Getter) -> list[Entry]:
    return [(key, value) for key, value in get(row[1])]


def lookup(ref: TreeRef, key: str, get: Getter) -> Any | None:
    """The value of `key` (None: absent): found by bisection in its leaf, not copied."""
    rows = get(ref.manifest) if ref.manifest else []
    index = bisect_right([row[0] for row in rows], key) - 1
    if index < 0:
        return None
    leaf = get(rows[index][1])
    at = bisect_left(leaf, key, key=itemgetter(0))
    return leaf[at][1] if at < len(leaf) and leaf[at][0] == key else None


def iterate(ref: TreeRef, get: Getter, offset: int = 0) -> Iterator[Entry]:
    """Entries in key order from position `offset`, reading only the leaves needed."""
    rows = _manifest(ref, get)
    starts = _starts(ref, rows)
    index = max(bisect_right(starts, offset) - 1, 0)
    for number in range(index, len(rows)):
        leaf = _leaf(rows[number], get)
        yield from leaf[max(offset - starts[number], 0):] if number == index else leaf


_STARTS: OrderedDict[str, list[int]] = OrderedDict()
_STARTS_LOCK = threading.Lock()


def _starts(ref: TreeRef, rows: list[list[Any]]) -> list[int]:
    """The position of each leaf's first entry (cached per manifest: manifests are immutable)."""
    key = ref.manifest or ""
    with _STARTS_LOCK:
        found = _STARTS.get(key)
        if found is not None:
            _STARTS.move_to_end(key)
            return found
    starts = list(accumulate((int(row[2]) for row in rows[:-1]), initial=0)) if rows else []
    with _STARTS_LOCK:
        _STARTS[key] = starts
        if len(_STARTS) > 256:
            _STARTS.popitem(last=False)
    return starts


def page(ref: TreeRef, get: Getter, offset: int, limit: int) -> list[Entry]:
    result: list[Entry] = []
    if limit <= 0:
        return result
    for entry in iterate(ref, get, offset):
        result.append(entry)
        if len(result) >= limit:
            break
    return result


def diff(old: TreeRef, new: TreeRef, get: Getter) -> Iterator[tuple[str, Any, Any]]:
    """(key, old value or None, new value or None) for every key that differs, in key order.

    Leaves both sides share are skipped; differing stretches are compared up to the next key
    that ends a leaf on both sides; once one side is used up, the rest of the other streams out.
    """
    a, b = _manifest(old, get), _manifest(new, get)
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] == b[j][1]:
            i, j = i + 1, j + 1
            continue
        run_a, run_b = _leaf(a[i], get), _leaf(b[j], get)
        i, j = i + 1, j + 1
        while run_a[-1][0] != run_b[-1][0]:
            if run_a[-1][0] < run_b[-1][0]:
                if i == len(a):
                    break
                run_a.extend(_leaf(a[i], get))
                i += 1
            else:
                if j == len(b):
                    break
                run_b.extend(_leaf(b[j], get))
                j += 1
        yield from _diff_runs(run_a, run_b)
    for row in a[i:]:
        yield from ((key, value, None) for key, value in _leaf(row, get))
    for row in b[j:]:
        yield from ((key, None, value) for key, value in _leaf(row, get))


def _diff_runs(run_a: list[Entry], run_b: list[Entry]) -> Iterator[tuple[str, Any, Any]]:
    old, new = dict(run_a), dict(run_b)
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before != after:
            yield key, before, after
