"""Spreading per-segment work of `gas status` and `gas add` over the CPU cores.

Comparing each file's stat with the index costs a few microseconds of Python per file; on
100,000 changed or unrecorded files that is most of the command. Segments are independent, so
large ones are dealt to forked worker processes, each with its own connection to the state
database (read-only work; the parent writes the results).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar, cast

from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.state import State

T = TypeVar("T")
U = TypeVar("U")
#: Below this many index rows the fork is not worth it.
MIN_ROWS = 20_000

_task: tuple[Callable[..., object], Layout] | None = None


def map_units(work: Callable[[Layout, State, U], T], layout: Layout, state: State,
              units: list[U], weights: list[int]) -> list[T]:
    """`work(layout, state, unit)` for each unit, in order; in worker processes when two or
    more units have work and their weights (index rows to compare) add up to enough."""
    busy = sum(1 for weight in weights if weight > 0)
    workers = min(busy, os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork") or sum(weights) < MIN_ROWS:
        return [work(layout, state, unit) for unit in units]
    import multiprocessing  # only when forking (its import costs ~10 ms of every status)

    global _task
    _task = (work, layout)
    # heaviest first, so the last to finish is a light one
    order = sorted(range(len(units)), key=lambda i: -weights[i])
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.map(_run, [units[i] for i in order], chunksize=1)
    finally:
        _task = None
    by_unit = dict(zip(order, done, strict=True))
    return [cast(T, by_unit[index]) for index in range(len(units))]


def _run(unit: object) -> object:
    assert _task is not None
    work, layout = _task
    state = State(layout.state_db)
    try:
        return work(layout, state, unit)
    finally:
        state.close()
