"""A version's state, typed: what a commit or draft records, shared by the server and the workspace.

Stored (as a content-addressed JSON object, so its id is the commit's content) it is
``{"catalog": id|None, "notes": {...}, "segments": {name: {"description", "manifest", "count",
"sensors"}}}``. A segment's items live in a chunked tree (model/tree.py) keyed by remote path;
an item is stored as the list ``[checksum, size, timestamp, labelId]`` — a fusion segment's tree
maps a frame id to a list of ``[sensorName, remotePath, checksum, size, timestamp, labelId]``.
`from_stored` reads those shapes and `stored()` writes them back byte for byte, so ids never
change; the code in between uses named fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from gasvc.model import tree
from gasvc.model.tree import Getter, Putter, TreeRef

#: Notes of a version nobody set notes on.
DEFAULT_NOTES: dict[str, Any] = {"isContinuous": False, "binPointCloudFields": None}


class Item(NamedTuple):
    """One file of a normal segment: its content, its time, its label object's id."""

    checksum: str
    size: int
    timestamp: Any = None  # a number, or None
    label: str | None = None

    @classmethod
    def from_stored(cls, value: Sequence[Any]) -> Item:
        return cls._make(value)

    def stored(self) -> list[Any]:
        return list(self)

    @property
    def file(self) -> tuple[str, int, Any]:
        """What says the file changed: checksum, size and timestamp (not the label)."""
        return self.checksum, self.size, self.timestamp

    def relabeled(self, label: str | None) -> Item:
        return self._replace(label=label)


def as_item(value: Sequence[Any] | None) -> Item | None:
    """The item of a stored tree value (None: absent)."""
    return None if value is None else Item._make(value)


def diff_items(old: TreeRef, new: TreeRef, get: Getter
               ) -> Iterator[tuple[str, Item | None, Item | None]]:
    """(path, old item, new item) for every item two trees of a normal segment differ in."""
    for path, before, after in tree.diff(old, new, get):
        yield path, None if before is None else Item._make(before), (
            None if after is None else Item._make(after))


def iterate_items(ref: TreeRef, get: Getter) -> Iterator[tuple[str, Item]]:
    """(path, item) of every item of a tree of a normal segment, in path order."""
    for path, value in tree.iterate(ref, get):
        yield path, Item._make(value)


#: A change to one item of a segment: (segment, remote path, new item or None to delete).
ItemChange = tuple[str, str, Item | None]


class FrameEntry(NamedTuple):
    """One sensor's file in a frame of a fusion segment."""

    sensor: str
    path: str
    checksum: str
    size: int
    timestamp: Any
    label: str | None

    @classmethod
    def from_stored(cls, value: Sequence[Any]) -> FrameEntry:
        return cls._make(value)

    def stored(self) -> list[Any]:
        return list(self)

    @property
    def item(self) -> Item:
        return Item(self.checksum, self.size, self.timestamp, self.label)


def frame(value: Sequence[Sequence[Any]] | None) -> list[FrameEntry]:
    """The entries of a stored frame (None: no frame yet), sorted by sensor as stored."""
    return [FrameEntry._make(entry) for entry in value or ()]


def stored_frame(entries: Iterable[FrameEntry]) -> list[list[Any]]:
    return [list(entry) for entry in entries]


@dataclass
class Segment:
    """A segment of a version: its description, its items' tree, its sensors (fusion)."""

    description: str = ""
    tree: TreeRef = tree.EMPTY
    sensors: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> Segment:
        return cls(raw.get("description", ""),
                   TreeRef(raw.get("manifest"), int(raw.get("count", 0))),
                   dict(raw.get("sensors") or {}))

    def stored(self) -> dict[str, Any]:
        return {"description": self.description, "manifest": self.tree.manifest,
                "count": self.tree.count, "sensors": self.sensors}


def segment_tree(segment: Segment | None) -> TreeRef:
    """The tree of a segment; an absent segment has the empty tree."""
    return tree.EMPTY if segment is None else segment.tree


@dataclass
class VersionState:
    """The whole content of a version, but for its items (which its segments' trees hold).
    `VersionState()` is the empty state: the root commit's."""

    catalog: str | None = None
    notes: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_NOTES))
    segments: dict[str, Segment] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> VersionState:
        return cls(raw.get("catalog"), dict(raw.get("notes") or {}),
                   {name: Segment.from_stored(info) for name, info in raw["segments"].items()})

    def stored(self) -> dict[str, Any]:
        return {"catalog": self.catalog, "notes": self.notes,
                "segments": {name: s.stored() for name, s in self.segments.items()}}

    def tree(self, name: str) -> TreeRef:
        """The tree of segment `name` (empty when the version has no such segment)."""
        return segment_tree(self.segments.get(name))

    def segment_names(self, other: VersionState) -> list[str]:
        """The names of the segments of this version or `other`, sorted."""
        return sorted(self.segments.keys() | other.segments.keys())

    def copy(self) -> VersionState:
        return VersionState(self.catalog, dict(self.notes), {
            name: Segment(s.description, s.tree, dict(s.sensors))
            for name, s in self.segments.items()})

    def with_changes(self, segments: Mapping[str, bool], changes: Iterable[ItemChange],
                     catalog: str | None, get: Getter, put: Putter) -> VersionState:
        """A new state: this one with segments present/absent (`segments`: name → present),
        item changes applied (to segments that are present) and `catalog`."""
        new = self.copy()
        new.catalog = catalog
        for name, present in segments.items():
            if not present:
                new.segments.pop(name, None)
            elif name not in new.segments:
                new.segments[name] = Segment()
        # a run of changes to one segment at a time (a commit gives them in segment order), so
        # memory follows the largest segment's changes, not all of them
        for name, run in groupby(changes, key=itemgetter(0)):
            items = sorted(((path, value) for _, path, value in run), key=itemgetter(0))
            info = new.segments.get(name)
            if info is not None:
                info.tree = tree.apply(info.tree, items, get, put)
        return new

