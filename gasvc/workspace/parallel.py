"""Spreading per-segment work of `gas status` over the CPU cores.

Walking a folder and comparing each file's stat with the index costs a few microseconds of
Python per file; on 100,000 files that is most of `gas status`. Segments are independent, so
large workspaces fan them out to forked worker processes, each with its own connection to the
state database (read-only work; the parent writes the results).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import TypeVar

from gasvc.workspace.layout import Layout
from gasvc.workspace.state import State

T = TypeVar("T")
#: Below this many index rows the fork is not worth it.
MIN_ROWS = 20_000

_task: tuple[Callable[..., object], Layout] | None = None


def map_segments(work: Callable[[Layout, State, str], T], layout: Layout, state: State,
                 segments: list[str]) -> list[T]:
    """`work(layout, state, segment)` for each segment, in worker processes when it pays."""
    workers = min(len(segments), os.cpu_count() or 1)
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or not can_fork or state.count_entries() < MIN_ROWS:
        return [work(layout, state, segment) for segment in segments]
    global _task
    _task = (work, layout)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done: list[T] = pool.map(_run, _balanced(state, segments), chunksize=1)  # type: ignore[arg-type]
            return done
    finally:
        _task = None


def _balanced(state: State, segments: list[str]) -> list[str]:
    """Largest segments first, so the last one to finish is a small one."""
    sizes = state.segment_sizes()
    return sorted(segments, key=lambda s: -sizes.get(s, 0))


def _run(segment: str) -> object:
    assert _task is not None
    work, layout = _task
    state = State(layout.state_db)
    try:
        return work(layout, state, segment)
    finally:
        state.close()
