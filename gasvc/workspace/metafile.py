"""Rewriting a segment's `metadata.jsonl` when labels change under it (rm, restore, checkout)."""

from __future__ import annotations

from typing import Any

from gasvc.model.metadata import parse, render
from gasvc.workspace.layout import Layout, write_atomic


def write_labels(layout: Layout, segment: str, updates: dict[str, dict[str, Any] | None]
                 ) -> None:
    """Set (or, with None, drop) the labels of some items, keeping every other line."""
    path = layout.metadata(segment)
    try:
        current = parse(path.read_text(encoding="utf-8"), f"{segment}/metadata.jsonl")
    except FileNotFoundError:
        current = {}
    labels = {p: line.label for p, line in current.items()}
    for item, label in updates.items():
        if label:
            labels[item] = label
        else:
            labels.pop(item, None)
    text = render(labels.items())
    if text or path.exists():
        write_atomic(path, text.encode())


def replace_labels(layout: Layout, segment: str, labels: dict[str, dict[str, Any]]) -> None:
    """Write a segment's whole `metadata.jsonl` (clone, checkout)."""
    text = render(labels.items())
    path = layout.metadata(segment)
    if text or path.exists():
        write_atomic(path, text.encode())
