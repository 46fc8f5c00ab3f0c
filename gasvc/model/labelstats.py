"""Label counts of a set of items, per label type and category, and their change between two
versions: the table `gas diff --stat`, `gas diff --check` and `gas review` show.

The counting is GetLabelStatistics' (spec 3.13): one instance per element of a list type, one per
item for a single type (CLASSIFICATION, a mask); an instance's category is its `category` (none:
counted under `NO_CATEGORY`). Items and items with a non-empty label are counted too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: The category of instances that have none.
NO_CATEGORY = ""
#: (label type, category) of an instance.
Kind = tuple[str, str]


def instances(label: dict[str, Any] | None) -> Iterator[Kind]:
    """(label type, category) of every instance of a label, in label order."""
    for label_type, value in (label or {}).items():
        for instance in value if isinstance(value, list) else [value]:
            if isinstance(instance, dict):
                category = instance.get("category")
                yield label_type, category if isinstance(category, str) else NO_CATEGORY


@dataclass
class LabelCounts:
    """Items, labelled items and instances per (label type, category) of a set of items."""

    items: int = 0
    labelled: int = 0
    objects: Counter[Kind] = field(default_factory=Counter)

    def add(self, label: dict[str, Any] | None, sign: int = 1) -> None:
        """Count one item with `label` (None: unlabelled) in (sign 1) or out (sign -1)."""
        self.items += sign
        self.labelled += sign if label else 0
        for kind in instances(label):
            self.objects[kind] += sign

    def copy(self) -> LabelCounts:
        return LabelCounts(self.items, self.labelled, Counter(self.objects))

    def stored(self) -> dict[str, Any]:
        return {"items": self.items, "labelled": self.labelled,
                "objects": [[t, c, n] for (t, c), n in sorted(self.objects.items()) if n]}

    @classmethod
    def from_stored(cls, raw: dict[str, Any]) -> LabelCounts:
        return cls(int(raw["items"]), int(raw["labelled"]),
                   Counter({(str(t), str(c)): int(n) for t, c, n in raw["objects"]}))


def count_labels(labels: Iterable[dict[str, Any] | None]) -> LabelCounts:
    """The counts of items with these labels (one per item)."""
    counts = LabelCounts()
    for label in labels:
        counts.add(label)
    return counts


@dataclass(frozen=True)
class Change:
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    def json(self) -> dict[str, int]:
        return {"before": self.before, "after": self.after, "delta": self.delta}


@dataclass(frozen=True)
class CategoryStat:
    category: str  # NO_CATEGORY for instances without one
    count: Change


@dataclass(frozen=True)
class TypeStat:
    label_type: str
    count: Change
    categories: list[CategoryStat]


@dataclass(frozen=True)
class SegmentLabelStat:
    """A segment's counts before and after ("" as the segment: the total of several)."""

    segment: str
    items: Change
    labelled: Change
    types: list[TypeStat]

    def objects(self, label_type: str, category: str | None = None) -> Change:
        """The instances of a type (of one category of it, if given); 0 → 0 when none."""
        for stat in self.types:
            if stat.label_type == label_type:
                if category is None:
                    return stat.count
                found = [c.count for c in stat.categories if c.category == category]
                return found[0] if found else Change(0, 0)
        return Change(0, 0)

    def json(self) -> dict[str, Any]:
        return {"segment": self.segment, "items": self.items.json(),
                "labelled": self.labelled.json(),
                "labelTypes": [{"labelType": t.label_type, **t.count.json(),
                                "categories": [{"category": c.category, **c.count.json()}
                                               for c in t.categories]} for t in self.types]}


def compare(segment: str, before: LabelCounts, after: LabelCounts) -> SegmentLabelStat:
    """Every label type and category either side has, in name order, before and after."""
    kinds = sorted({k for k, n in before.objects.items() if n}
                   | {k for k, n in after.objects.items() if n})
    types: dict[str, list[CategoryStat]] = {}
    for label_type, category in kinds:
        types.setdefault(label_type, []).append(CategoryStat(
            category, Change(before.objects[label_type, category],
                             after.objects[label_type, category])))
    return SegmentLabelStat(
        segment, Change(before.items, after.items), Change(before.labelled, after.labelled),
        [TypeStat(t, Change(sum(c.count.before for c in cats), sum(c.count.after for c in cats)),
                  cats) for t, cats in types.items()])


def total(stats: Iterable[SegmentLabelStat]) -> SegmentLabelStat:
    """The sum of several segments' counts."""
    before, after = LabelCounts(), LabelCounts()
    for stat in stats:
        for counts, side in ((before, "before"), (after, "after")):
            counts.items += getattr(stat.items, side)
            counts.labelled += getattr(stat.labelled, side)
            for t in stat.types:
                for c in t.categories:
                    counts.objects[t.label_type, c.category] += getattr(c.count, side)
    return compare("", before, after)
