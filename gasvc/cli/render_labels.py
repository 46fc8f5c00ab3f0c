"""Label counts of a diff as text (`gas diff --stat`) and JSON (`--json`'s `labelStat`)."""

from __future__ import annotations

from typing import Any

from gasvc.cli.render_diff import stat_lines
from gasvc.model.labelstats import NO_CATEGORY, Change, SegmentLabelStat, total
from gasvc.workspace.diff.diff_result import DiffResult
from gasvc.workspace.store.layout import shown_path

#: How an instance without a category is shown.
NO_CATEGORY_TEXT = "(no category)"


def stat_with_labels(result: DiffResult, labels_only: bool = False) -> list[str]:
    """`--stat`: the file counts, then (when the diff counted them) the label counts."""
    labels = label_stat_lines(result.label_stats or [])
    if labels_only:
        return labels
    lines = stat_lines(result)
    return [*lines, "", *labels] if lines and labels else lines + labels


def label_stat_lines(stats: list[SegmentLabelStat]) -> list[str]:
    """Per changed segment (then the total, for several): items, labelled items, instances per
    label type and per category, before, after and delta."""
    if not stats:
        return []
    rows: list[tuple[str, Change | None]] = []
    for stat in [*stats, total(stats)] if len(stats) > 1 else stats:
        rows.append((shown_path(stat.segment) if stat.segment else "total", None))
        rows += [("  items", stat.items), ("  labelled items", stat.labelled)]
        for label_type in stat.types:
            rows.append((f"  {label_type.label_type}", label_type.count))
            rows += [(f"    {category_text(c.category)}", c.count)
                     for c in label_type.categories]
    width = max(len(name) for name, _ in rows)
    numbers = [str(n) for _, c in rows if c for n in (c.before, c.after, c.delta)]
    digits = max(6, *(len(n) + 1 for n in numbers))
    head = f" {'labels':<{width}} {'before':>{digits}} {'after':>{digits}} {'delta':>{digits}}"
    return [head, *(f" {name}" if change is None else
                    f" {name:<{width}} {change.before:>{digits}} {change.after:>{digits}} "
                    f"{signed(change.delta):>{digits}}" for name, change in rows)]


def category_text(category: str) -> str:
    return NO_CATEGORY_TEXT if category == NO_CATEGORY else category


def signed(number: int) -> str:
    return f"+{number}" if number > 0 else str(number)


def label_stat_json(stats: list[SegmentLabelStat] | None) -> dict[str, Any] | None:
    """`{segments: [...], total}`: each with items, labelled and labelTypes (before, after,
    delta; categories the same); None when the diff did not count labels."""
    if stats is None:
        return None
    return {"segments": [s.json() for s in stats], "total": total(stats).json()}
