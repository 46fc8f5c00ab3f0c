"""What `gas diff` returns, and the pieces both the local and the server diff build it from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gasvc.errors import ClientError, InvalidParams
from gasvc.workspace.store.layout import shown_path

if TYPE_CHECKING:
    from gasvc.model.labeldiff import FieldChange
    from gasvc.model.labelstats import SegmentLabelStat
    from gasvc.workspace.diff.diff_stats import SegmentStat
    from gasvc.workspace.diff.label_changes import MaskDiff
    from gasvc.workspace.worktree.pathspec import PathSpec

#: (checksum, size, label id) of an item in a version; None when absent.
Value = tuple[str, int, str | None] | None
#: Finds a label or catalog by its object id.
Objects = Callable[[str], Any]


@dataclass(frozen=True)
class FileVersion:
    checksum: str
    size: int


@dataclass
class ItemDiff:
    segment: str
    path: str
    code: str  # "A" added, "M" file modified (label maybe too), "D" deleted, "L" label only
    old: FileVersion | None
    new: FileVersion | None
    label_changed: bool
    label: list[FieldChange] = field(default_factory=list)
    #: what changed inside a fusion segment's sensors.json or frames.jsonl (diff_fusion.py)
    content: list[FieldChange] = field(default_factory=list)
    #: masks whose image changed (their checksum and size are not listed in `label`)
    masks: list[MaskDiff] = field(default_factory=list)
    # the whole labels (None: absent or unlabelled), kept when the request asks for `labels`
    old_label: dict[str, Any] | None = None
    new_label: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return shown_path(self.segment, self.path)

    def set_labels(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """The label's field changes and mask changes, from the two stored labels."""
        from gasvc.workspace.diff.label_changes import label_changes

        self.label, self.masks = label_changes(self.segment, self.path, old, new)


@dataclass(frozen=True)
class SegmentChange:
    name: str
    code: str  # "A" or "D"


@dataclass
class CatalogDiff:
    code: str  # "A", "M" or "D"
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class DiffResult:
    old: str  # "HEAD", "index", "working tree" or a commit id
    new: str
    source: str = "local"  # or "server"
    segments: list[SegmentChange] = field(default_factory=list)
    items: list[ItemDiff] = field(default_factory=list)
    catalog: CatalogDiff | None = None
    #: per changed segment, its label counts on both sides (when the request asks for labels)
    label_stats: list[SegmentLabelStat] | None = None
    #: the old and the new catalog ({}: none), when the request asks for labels
    catalogs: tuple[dict[str, Any], dict[str, Any]] | None = None

    @property
    def empty(self) -> bool:
        return not (self.segments or self.items or self.catalog)

    def stats(self) -> list[SegmentStat]:
        """Per segment with changes, in name order: items added, modified, deleted; labels."""
        from gasvc.workspace.diff.diff_stats import segment_stats

        return segment_stats(self)


@dataclass(frozen=True)
class DiffRequest:
    revisions: tuple[str, ...] = ()
    staged: bool = False
    specs: tuple[PathSpec, ...] = ()  # empty: everything
    details: bool = True  # file versions and label fields (else codes only, for --stat etc.)
    labels: bool = False  # whole labels of the changed items, and label counts per segment


# path filters -----------------------------------------------------------------------------
def covers_item(specs: Iterable[PathSpec], segment: str, path: str) -> bool:
    """Whether a change of this item may pass the filter (see `covers_change`)."""
    specs = list(specs)
    return not specs or any(s.covers(segment, path) or s.covers_labels(segment) for s in specs)


def covers_change(specs: Iterable[PathSpec], item: ItemDiff) -> bool:
    """Whether the filter lets this change through: `seg/metadata.jsonl` names label changes."""
    specs = list(specs)
    return not specs or any(s.covers(item.segment, item.path)
                            or (item.label_changed and s.covers_labels(item.segment))
                            for s in specs)


def covers_segment(specs: Iterable[PathSpec], name: str) -> bool:
    """Whether a filter lets the segment's items (some of them, at least) through."""
    specs = list(specs)
    return not specs or any(not s.catalog and s.segment in (None, name) for s in specs)


def covers_whole_segment(specs: Iterable[PathSpec], name: str) -> bool:
    specs = list(specs)
    return not specs or any(not s.catalog and s.segment in (None, name) and not s.prefix
                            and not s.labels for s in specs)


def covers_catalog(specs: Iterable[PathSpec]) -> bool:
    specs = list(specs)
    return not specs or any(s.catalog or (s.segment is None) for s in specs)


# assembling a result ----------------------------------------------------------------------
def item_code(old: Value, new: Value) -> str:
    if old is None:
        return "A"
    if new is None:
        return "D"
    return "L" if old[:2] == new[:2] else "M"


def item_diff(segment: str, path: str, old: Value, new: Value, objects: Objects | None,
              labels: Objects | None = None) -> ItemDiff:
    """One changed item; label fields only when `objects` can look the labels up, the whole
    labels kept when `labels` can."""
    old_label, new_label = (old[2] if old else None), (new[2] if new else None)
    item = ItemDiff(segment, path, item_code(old, new),
                    FileVersion(old[0], old[1]) if old else None,
                    FileVersion(new[0], new[1]) if new else None, old_label != new_label)
    lookup = labels or objects
    if lookup is not None and (labels is not None or item.label_changed):
        item.old_label = lookup(old_label) if old_label else None
        item.new_label = lookup(new_label) if new_label else None
    if objects is not None and item.label_changed:
        item.set_labels(item.old_label, item.new_label)
    if labels is None:
        item.old_label = item.new_label = None
    return item


def segment_changes(old: Iterable[str], new: Iterable[str], specs: Iterable[PathSpec]
                    ) -> list[SegmentChange]:
    before, after = set(old), set(new)
    found = [SegmentChange(n, "A" if n in after else "D") for n in sorted(before ^ after)]
    return [s for s in found if covers_whole_segment(specs, s.name)]


def catalog_diff(old: str, new: str, objects: Objects | None) -> CatalogDiff | None:
    """The change between two catalog object ids ("" = no catalog)."""
    if old == new:
        return None
    code = "A" if not old else "D" if not new else "M"
    if objects is None:
        return CatalogDiff(code)
    from gasvc.model.labeldiff import field_changes

    return CatalogDiff(code, field_changes(objects(old) if old else None,
                                           objects(new) if new else None))


def split_revisions(revisions: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The revisions to compare, and whether the first is to be replaced by the merge base:
    `A..B` is the same as `A B`, `A...B` compares B with where A and B forked (git's merge-base
    form); an empty side means HEAD."""
    if len(revisions) > 2:
        raise InvalidParams("give at most two revisions", "see `gas diff --help`")
    if len(revisions) == 1 and ".." in revisions[0]:
        dots = "..." if "..." in revisions[0] else ".."
        old, _, new = revisions[0].partition(dots)
        if ".." in new:
            raise InvalidParams(f"invalid range {revisions[0]!r}",
                                "write A..B (A to B) or A...B (from where they forked to B)")
        return (old or "HEAD", new or "HEAD"), dots == "..."
    if any(".." in revision for revision in revisions):
        raise InvalidParams("a range (A..B) stands alone, as the only revision argument",
                            "write `gas diff A..B` or `gas diff A B`")
    return revisions, False


class NotMaterialized(ClientError):
    """A diff asked of a commit the workspace has not downloaded."""
