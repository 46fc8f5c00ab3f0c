"""Turning a `DiffResult` into text: the full diff, `--stat`, `--name-status`, and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from gasvc.cli.terminal import colour_enabled
from gasvc.workspace.diff.diff_result import DiffResult, FileVersion, ItemDiff
from gasvc.workspace.store.layout import CATALOG, shown_path

if TYPE_CHECKING:
    from gasvc.model.labeldiff import FieldChange
    from gasvc.workspace.diff.diff_stats import SegmentStat

#: Values longer than this are cut with "…" in text output (JSON output has them whole).
VALUE_WIDTH = 72
INDENT = "    "
#: A label stored differently whose values are all equal (numbers compare by value).
SAME_VALUES = "label: no value changed, only how it is written (e.g. 0 → 0.0)"


def diff_lines(result: DiffResult) -> list[str]:
    """Each change as `CODE path`, then its file change and label fields, in path order."""
    entries: list[tuple[str, list[str]]] = [
        (shown_path(s.name), [f"{s.code}  {shown_path(s.name)}"]) for s in result.segments]
    colour = colour_enabled()  # asked once, not per line
    entries += [(item.key, _item_lines(item, colour)) for item in result.items]
    if result.catalog is not None:
        entries.append((CATALOG, [f"{result.catalog.code}  {CATALOG}",
                                  *[INDENT + field_line(c) for c in result.catalog.changes]]))
    return [line for _, lines in sorted(entries, key=lambda e: e[0]) for line in lines]


#: Colours of change codes and label field lines on a terminal.
COLOURS = {"A": "green", "D": "red", "M": "yellow", "L": "cyan", "+": "green", "-": "red"}


def _item_lines(item: ItemDiff, colour: bool) -> list[str]:
    def tint(text: str, name: str, bold: bool | None = None) -> str:
        return click.style(text, fg=name, bold=bold) if colour else text

    lines = [tint(f"{item.code}  {item.key}", COLOURS.get(item.code, "yellow"), bold=True)]
    if item.code in ("A", "M", "D") and (item.old or item.new):
        lines.append(f"{INDENT}file: {_file_change(item.old, item.new)}")
    lines += [f"{INDENT}mask: {mask.path}: {_file_change(mask.old, mask.new)}"
              for mask in item.masks]
    lines += [INDENT + tint(field_line(change), COLOURS.get(change.op, "yellow"))
              for change in [*item.content, *item.label]]
    if item.label_changed and not (item.label or item.masks):
        lines.append(f"{INDENT}{SAME_VALUES}")
    return lines


def item_text(item: ItemDiff) -> list[str]:
    """An item's lines as `gas diff` prints them, without colour (for `gas review`)."""
    return _item_lines(item, colour=False)


def _file_change(old: FileVersion | None, new: FileVersion | None) -> str:
    if old is None or new is None:
        return f"{'+' if new else '-'} {_file(old or new)}"
    return f"{_file(old)} → {_file(new)}"


def _file(version: FileVersion | None) -> str:
    return f"{version.checksum[:7]} ({human_size(version.size)})" if version else "?"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def field_line(change: FieldChange) -> str:
    """`BOX2D[1].category: car → truck`, `+ BOX2D[2]: {…}`, `- BOX2D[0]`."""
    if change.op == "+":
        return f"+ {change.path}: {short(change.new)}"
    if change.op == "-":
        return f"- {change.path}"
    quoted = type(change.old) is not type(change.new)
    return f"{change.path}: {short(change.old, quoted)} → {short(change.new, quoted)}"


def short(value: Any, quoted: bool = False) -> str:
    """A value for a text line: strings bare (unless `quoted`), the rest as compact JSON."""
    if isinstance(value, str) and not quoted:
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def name_status_lines(result: DiffResult) -> list[str]:
    """git's `--name-status`: the code, a tab, the path."""
    rows = [(shown_path(s.name), s.code) for s in result.segments]
    rows += [(item.key, item.code) for item in result.items]
    if result.catalog is not None:
        rows.append((CATALOG, result.catalog.code))
    return [f"{code}\t{path}" for path, code in sorted(rows)]


def stat_lines(result: DiffResult) -> list[str]:
    """Per segment: files added, modified, deleted and labels changed; then the totals."""
    stats = result.stats()
    rows = [(shown_path(s.name), _stat_text(s)) for s in stats]
    if result.catalog is not None:
        rows.append((CATALOG, {"A": "added", "D": "deleted"}.get(result.catalog.code,
                                                                 "modified")))
    if not rows:
        return []
    width = max(len(name) for name, _ in rows)
    lines = [f" {name:<{width}} | {text}" for name, text in rows]
    return [*lines, " " + _totals(stats, result)]


def _stat_text(stat: SegmentStat) -> str:
    parts = {"A": ["new segment"], "D": ["segment deleted"]}.get(stat.code, [])
    parts += [f"{count} {what}" for count, what in (
        (stat.added, "added"), (stat.modified, "modified"), (stat.deleted, "deleted"),
        (stat.labels, "label changed" if stat.labels == 1 else "labels changed")) if count]
    return ", ".join(parts) or "no item changes"


def _totals(stats: list[SegmentStat], result: DiffResult) -> str:
    def total(name: str) -> int:
        return sum(int(getattr(s, name)) for s in stats)

    files = total("added") + total("modified") + total("deleted")
    text = (f"{len(stats)} segment{'s' if len(stats) != 1 else ''} changed, {files} file"
            f"{'s' if files != 1 else ''} ({total('added')} added, {total('modified')} "
            f"modified, {total('deleted')} deleted), {total('labels')} label"
            f"{'s' if total('labels') != 1 else ''} changed")
    return text + (", catalog changed" if result.catalog is not None else "")


def diff_json(result: DiffResult) -> dict[str, Any]:
    """The whole result, for scripts: every change, file versions, label fields, stats (and
    the label counts, when the diff counted them)."""
    found: dict[str, Any] = {
        "old": result.old, "new": result.new, "source": result.source,
        "segments": [{"name": s.name, "status": s.code} for s in result.segments],
        "items": [_item_json(item) for item in result.items],
        "catalog": None if result.catalog is None else {
            "status": result.catalog.code,
            "changes": [asdict(c) for c in result.catalog.changes]},
        "stat": [{"segment": s.name, "status": s.code, "added": s.added,
                  "modified": s.modified, "deleted": s.deleted, "labelsChanged": s.labels}
                 for s in result.stats()],
    }
    if result.label_stats is not None:
        from gasvc.cli.render_labels import label_stat_json

        found["labelStat"] = label_stat_json(result.label_stats)
    return found


def _item_json(item: ItemDiff) -> dict[str, Any]:
    return {"segment": item.segment, "remotePath": item.path, "status": item.code,
            "file": {"old": asdict(item.old) if item.old else None,
                     "new": asdict(item.new) if item.new else None},
            "labelChanged": item.label_changed, "label": [asdict(c) for c in item.label],
            "masks": [{"type": mask.kind, "path": mask.path, "status": mask.code,
                       "old": asdict(mask.old) if mask.old else None,
                       "new": asdict(mask.new) if mask.new else None} for mask in item.masks],
            **({"content": [asdict(c) for c in item.content]} if item.content else {})}
