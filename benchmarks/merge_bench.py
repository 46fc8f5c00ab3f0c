"""The merge engine's cost follows the changes, not the dataset (model/merge.py).

Builds one version of N labelled items (the chunked trees and label objects in memory, as the
workspace and the server store them), then for each change count K two branches: "ours" moves
one box of K items, "theirs" recategorises the same box of K other items and, of K/10 of ours'
items, another field of the box ours moved (merged field by field, no conflict). It times
`merge_states` (median of --runs) and counts the objects it reads, and prints each K beside the
first: time and reads per change should stay about the same from 1,000 to 10,000 changes.

    .venv/bin/python benchmarks/merge_bench.py           # 1,000,000 items; K = 1,000, 10,000
    .venv/bin/python benchmarks/merge_bench.py --items 20000 --changes 100 1000   # seconds
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gasvc.model import tree
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.merge import merge_states
from gasvc.model.snapshot import Item, Segment, VersionState


class Store:
    """Content-addressed objects in memory, with a count of reads."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.reads = 0

    def put(self, value: Any) -> str:
        data = canonical_json(value)
        digest = sha1_hex(data)
        self.data.setdefault(digest, data)
        return digest

    def get(self, digest: str) -> Any:
        self.reads += 1
        return json.loads(self.data[digest])


def label(x: int, category: str = "car", occluded: bool = False) -> dict[str, Any]:
    box = {"box2d": {"xmin": x, "ymin": 0, "xmax": x + 10, "ymax": 10}, "category": category,
           "instance": "1", "attributes": {"occluded": occluded}}
    return {"BOX2D": [box, {**box, "instance": "2", "category": "person"}]}


def path(number: int) -> str:
    return f"img/{number:07d}.jpg"


def build(store: Store, items: int) -> VersionState:
    plain = store.put(label(0))
    rows = ((path(i), Item(f"{i:040x}", 1000, None, plain).stored()) for i in range(items))
    return VersionState(segments={"train": Segment("", tree.build(rows, store.put))})


def branch(store: Store, base: VersionState, changes: dict[int, dict[str, Any]]
           ) -> VersionState:
    new = base.copy()
    edits = [(path(i), Item(f"{i:040x}", 1000, None, store.put(value)).stored())
             for i, value in sorted(changes.items())]
    new.segments["train"].tree = tree.apply(base.tree("train"), edits, store.get, store.put)
    return new


def measure(store: Store, base: VersionState, items: int, changes: int, runs: int
            ) -> dict[str, float]:
    step = items // (2 * changes)
    mine = {i * step * 2: label(5) for i in range(changes)}
    shared = list(mine)[:: 10]  # ours moved these boxes; theirs flags them
    theirs = {i * step * 2 + step: label(0, "bus") for i in range(changes)}
    theirs.update({i: label(0, occluded=True) for i in shared})
    ours_state, theirs_state = branch(store, base, mine), branch(store, base, theirs)
    times, reads = [], 0
    for _ in range(runs):
        store.reads = 0
        started = time.perf_counter()
        result = merge_states(base, ours_state, theirs_state, store.get, store.put)
        times.append(time.perf_counter() - started)
        reads = store.reads
        assert not result.conflicts, result.conflicts[:3]
    merged = len(mine) + len(theirs) - len(shared)
    return {"changes": changes, "items_merged": merged, "seconds": statistics.median(times),
            "reads": reads}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    store = Store()
    started = time.perf_counter()
    base = build(store, args.items)
    print(f"built {args.items:,} items in {time.perf_counter() - started:.1f} s")
    rows = [measure(store, base, args.items, k, args.runs) for k in args.changes]
    first = rows[0]
    print(f"{'changes per side':>16} {'merge (s)':>10} {'ms/change':>10} {'reads':>8}"
          f" {'x time':>7} {'x changes':>9}")
    for row in rows:
        print(f"{row['changes']:>16,} {row['seconds']:>10.3f}"
              f" {1000 * row['seconds'] / row['changes']:>10.3f} {row['reads']:>8,}"
              f" {row['seconds'] / first['seconds']:>7.1f}"
              f" {row['changes'] / first['changes']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
