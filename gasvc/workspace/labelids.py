"""The label id of every item of a segment's `metadata.jsonl`, re-reading only new lines.

Whenever a segment's `metadata.jsonl` differs from what the index last saw (by its stat),
`gas status` must know which items' labels differ from the staged ones: the id (SHA-1 of the
canonical JSON) of every label in the file. Parsing, validating and hashing 100,000 lines costs
over a second, but an edit changes few lines, and a line's (path, label id) depends on its text
alone. So the last file read of each segment is remembered with its lines' results (table
`label_memo`), and only lines not found there are parsed.
"""

from __future__ import annotations

import marshal
import os
from dataclasses import dataclass

from gasvc.model.metadata import parse, parse_line
from gasvc.workspace.compare import ABSENT, label_id
from gasvc.workspace.layout import Layout
from gasvc.workspace.scan import stat_key
from gasvc.workspace.state import State

#: What one line says: (path, label id or None for an empty label).
LineIds = tuple[str, str | None]


@dataclass(frozen=True)
class SegmentLabelIds:
    """Label ids by path, or None when `metadata.jsonl` still has the stat the index saw."""

    ids: dict[str, str | None] | None
    stat: tuple[int, int, int]
    #: (text, encoded line results) to remember, when lines had to be parsed
    memo: tuple[str, bytes] | None = None


def read_label_ids(layout: Layout, state: State, segment: str) -> SegmentLabelIds:
    path = layout.metadata(segment)
    try:
        stat = stat_key(os.stat(path))
    except FileNotFoundError:
        stat = ABSENT
    if stat == state.metadata_stat(segment) and stat[0] != 0:
        return SegmentLabelIds(None, stat)
    if stat == ABSENT:
        return SegmentLabelIds({}, stat)
    text = path.read_text(encoding="utf-8")
    known = _known_lines(state, segment)
    where = f"{segment}/metadata.jsonl"
    ids: dict[str, str | None] = {}
    results: list[LineIds] = []
    parsed = False
    for number, raw in enumerate(text.splitlines(), start=1):
        result = known.get(raw)
        if result is None:
            if not raw.strip():
                continue
            line = parse_line(raw, f"{where}:{number}")
            result, parsed = (line.path, label_id(line.label)), True
        if result[0] in ids:
            parse(text, where)  # raises the duplicate's error, with both line numbers
        ids[result[0]] = result[1]
        results.append(result)
    memo = (text, marshal.dumps(results, 2)) if parsed else None
    return SegmentLabelIds(ids, stat, memo)


def _known_lines(state: State, segment: str) -> dict[str, LineIds]:
    """Line text → (path, label id) of the segment's last file read."""
    row = state.label_memo(segment)
    if row is None:
        return {}
    text, encoded = row
    lines = [raw for raw in text.splitlines() if raw.strip()]
    results: list[LineIds] = marshal.loads(encoded)
    return dict(zip(lines, results, strict=True)) if len(lines) == len(results) else {}
