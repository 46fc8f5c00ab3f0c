"""A diff counted per segment (`gas diff --stat`): loaded only by the commands that count."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gasvc.workspace.diff.diff_result import DiffResult


@dataclass(frozen=True)
class SegmentStat:
    name: str
    code: str  # "A", "D" for a segment added or deleted, else ""
    added: int
    modified: int
    deleted: int
    labels: int  # items in both versions whose label changed


def segment_stats(result: DiffResult) -> list[SegmentStat]:
    """Per segment with changes, in name order: items added, modified, deleted; labels."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for segment in result.segments:
        counts[segment.name]["segment"] = 0
    for item in result.items:
        counts[item.segment][item.code] += 1
        counts[item.segment]["labels"] += item.label_changed and item.code in ("M", "L")
    codes = {s.name: s.code for s in result.segments}
    return [SegmentStat(name, codes.get(name, ""), c["A"], c["M"], c["D"], c["labels"])
            for name, c in sorted(counts.items())]
