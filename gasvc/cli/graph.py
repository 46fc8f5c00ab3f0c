"""`gas log --graph`: git's text graph of commits, one lane per line of history.

A commit row starts with its lanes (`*` the commit, `|` other lines of history); lanes that meet
at a common parent close with `|/`; a commit with several parents opens lanes with `|\\`.
"""

from __future__ import annotations

from collections.abc import Iterable


def graph_rows(nodes: Iterable[tuple[str, list[str]]]) -> list[tuple[str, str | None]]:
    """For (commit key, parent keys), children first: (graph text, the commit's key or None for
    a line of the graph alone)."""
    lanes: list[str] = []
    rows: list[tuple[str, str | None]] = []
    for name, parents in nodes:
        if name not in lanes:
            lanes.append(name)
        column = lanes.index(name)
        for other in reversed([i for i, lane in enumerate(lanes) if lane == name][1:]):
            rows.append((_closing(len(lanes), other), None))
            del lanes[other]
        rows.append((" ".join("*" if i == column else "|" for i in range(len(lanes))), name))
        lanes[column:column + 1] = parents
        for extra in range(1, len(parents)):
            rows.append((_opening(column + extra - 1, len(lanes)), None))
    return rows


def continuation(row: str) -> str:
    """The lanes under a commit row, for its further lines (long format)."""
    return row.replace("*", "|")


def _closing(width: int, lane: int) -> str:
    """Lane `lane` joins the lane left of it, later lanes shift left: `| |/ /`."""
    return _join(["|" if i < lane else "/" for i in range(width)], lane)


def _opening(column: int, width: int) -> str:
    """A merge commit's next parent gets the lane right of `column`: `|\\`."""
    return _join(["|" if i <= column else "\\" for i in range(width)], column + 1)


def _join(parts: list[str], tight: int) -> str:
    """Parts spaced apart, but for the one at index `tight`, drawn against its left neighbour."""
    return "".join(("" if i in (0, tight) else " ") + part for i, part in enumerate(parts))
