"""Merge conflicts as users see them (pull, merge, revert, cherry-pick, status, diff).

A `Conflict` of the engine (model/merge.py) holds values as stored (items with label ids); here
they become `ShownConflict`s: the workspace path, which part conflicts (`file`, `item`,
`label BOX2D[instance=3].category`, `catalog BOX2D.categories[name=car]`, `segment`), and
base/ours/theirs as short text. They are plain JSON, so a merge in progress keeps them in the
state database until they are resolved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gasvc.model.canon import canonical_json
from gasvc.model.snapshot import Item
from gasvc.workspace.store.layout import CATALOG, shown_path

if TYPE_CHECKING:  # `gas status` reads conflicts without loading the merge engine
    from gasvc.model.merge import Conflict

#: Longest value text shown for one side of a conflict.
SHOWN = 100


@dataclass(frozen=True)
class ShownConflict:
    path: str  # "train/img/1.jpg", "train/" (a segment) or "catalog.json"
    segment: str | None  # None for the catalog and notes
    item: str  # the item's remote path ("" for a segment, the catalog, notes)
    part: str  # "file", "item", "label", "frame", "segment", "catalog", "notes"
    field: str  # inside a label or the catalog ("" for the whole)
    base: str
    ours: str
    theirs: str

    @property
    def where(self) -> str:
        """What conflicts: `file`, `label BOX2D[0].category`, …"""
        return f"{self.part} {self.field}" if self.field else self.part

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ShownConflict:
        return cls(**raw)


def shown(conflict: Conflict) -> ShownConflict:
    segment = conflict.segment if conflict.part not in ("catalog", "notes") else None
    if segment is None:
        path = CATALOG if conflict.part == "catalog" else ".gas notes"
    else:
        path = shown_path(segment, conflict.path)
    return ShownConflict(path, segment, conflict.path, conflict.part, conflict.field,
                         *(_text(conflict.part, v) for v in (conflict.base, conflict.ours,
                                                             conflict.theirs)))


def _text(part: str, value: Any) -> str:
    from gasvc.model.jsonmerge import MISSING

    if value is MISSING:
        return "absent"
    if part in ("file", "item"):
        if value is None:
            return "deleted" if part == "item" else "absent"
        item = Item.from_stored(value) if isinstance(value, list) else value
        return f"file {item.checksum} ({item.size} bytes)"
    if part == "segment":
        return "deleted" if value is None else "changed"
    if value is None and part == "frame":
        return "deleted"
    text = canonical_json(value).decode()
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def conflict_lines(conflicts: list[ShownConflict], limit: int = 50) -> str:
    """The conflicts as indented lines: path and part, then the three sides."""
    out = "".join(f"\n  {c.path} ({c.where})\n    base:   {c.base}\n    ours:   {c.ours}"
                  f"\n    theirs: {c.theirs}" for c in conflicts[:limit])
    if len(conflicts) > limit:
        out += f"\n  … and {len(conflicts) - limit} more"
    return out
