"""Copy and move of segments and data (spec 2.5.4, 2.5.5, 2.9.2, 2.9.3, 3.12).

No bytes are copied: an item is its checksums and its label object's id, trees and labels are
content-addressed objects shared by every dataset, and the target dataset is granted the blobs
(files and masks) it now references. A copy from another dataset, commit or draft reads that
version; a move stays inside one draft.

Strategies settle a target that exists already: `abort` refuses the whole request (code
InternalServerError, as the SDK expects) before anything is written, `override` replaces it,
`skip` keeps it (a moved item's source is removed all the same, as TensorBay does). Each request
is one transaction, so a refused request, and the SDK's retries of it, change nothing; a target
that already equals its source is not a conflict, so a copy retried after it succeeded changes
nothing either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gasvc.errors import CopyConflict, InvalidParams, ParamsMissing, ResourceNotExist
from gasvc.model import tree
from gasvc.model.names import check_remote_path, check_segment_name
from gasvc.model.snapshot import Item, Segment, frame
from gasvc.server.engine.callbacks import MASK_TYPES
from gasvc.server.engine.context import Context, Version
from gasvc.server.engine.data import MAX_OBJECTS
from gasvc.server.engine.overlay import current_item, flush, flush_if_pending, stage
from gasvc.server.engine.scopes import DraftWrite, writing
from gasvc.server.params import is_int_text
from gasvc.server.records import User

STRATEGIES = ("abort", "override", "skip")


class CopyMove:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # segments ----------------------------------------------------------------------------
    def segment(self, user: User, dataset_id: str, body: dict[str, Any], move: bool) -> None:
        strategy, source = _strategy(body), _source(body, move)
        name = check_segment_name(body.get("segmentName"))
        self._flush_source(user, source)
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            w.state = flush(self.ctx, w.tx, w.dataset, w.draft)
            version = self._source_version(w, user, source)
            from_name = source["segmentName"]
            found = version.segment(from_name)
            if version.draft is w.draft and from_name == name:
                raise InvalidParams(f"segment {name!r} cannot be copied onto itself",
                                    "give another target segment name")
            exists = name in w.state.segments
            if exists and strategy == "abort":
                raise CopyConflict(f"segment {name!r} already exists",
                                   "use strategy override to replace it or skip to keep it")
            if not exists or strategy == "override":
                w.state.segments[name] = Segment(found.description, found.tree,
                                                 dict(found.sensors))
                w.tx.clear_changes(w.dataset.id, w.draft.number, name)
                if version.dataset.id != w.dataset.id:
                    self._grant(w, _tree_blobs(w, found))
                if move:
                    del w.state.segments[from_name]

    # data --------------------------------------------------------------------------------
    def data(self, user: User, dataset_id: str, body: dict[str, Any], move: bool) -> None:
        strategy, source = _strategy(body), _source(body, move)
        pairs = _path_pairs(source, body)
        self._flush_source(user, source)
        with writing(self.ctx, user, dataset_id, body.get("draftNumber")) as w:
            w.state = flush(self.ctx, w.tx, w.dataset, w.draft)
            if w.dataset.type != 0:
                raise InvalidParams("data of fusion segments are copied with their segment",
                                    "copy or move the whole segment")
            target = body.get("segmentName")
            if not isinstance(target, str) or target not in w.state.segments:
                raise ResourceNotExist(f"segment {target!r} does not exist",
                                       "create the target segment first")
            version = self._source_version(w, user, source)
            items = self._source_items(w, version, source["segmentName"], pairs)
            changes = self._data_changes(w, target, items, strategy)
            if move:
                for from_path, to_path in pairs:
                    if (source["segmentName"], from_path) != (target, to_path):
                        stage(w.tx, w.dataset, w.draft, source["segmentName"], from_path, None)
            for path, item in changes:
                stage(w.tx, w.dataset, w.draft, target, path, item.stored())
            if version.dataset.id != w.dataset.id:
                self._grant(w, [c for _, item in changes for c in _item_blobs(w, item)])

    def _source_items(self, w: DraftWrite, version: Version, segment: str,
                      pairs: list[tuple[str, str]]) -> list[tuple[str, Item]]:
        """(target path, source item) of every pair; a missing source is refused."""
        ref = version.tree(segment)
        found = []
        for from_path, to_path in pairs:
            if version.draft is w.draft:
                value = current_item(self.ctx, w.tx, w.dataset, w.draft, w.state, segment,
                                     from_path)
            else:
                value = tree.lookup(ref, from_path, w.objects.get)
            if value is None:
                raise ResourceNotExist(f"data {from_path!r} does not exist in {segment!r}")
            found.append((to_path, Item.from_stored(value)))
        return found

    def _data_changes(self, w: DraftWrite, segment: str, items: list[tuple[str, Item]],
                      strategy: str) -> list[tuple[str, Item]]:
        """The items to write; with `abort`, every conflict is found before anything is."""
        changes, conflicts = [], []
        for path, item in items:
            value = current_item(self.ctx, w.tx, w.dataset, w.draft, w.state, segment, path)
            if value is None or strategy == "override":
                changes.append((path, item))
            elif Item.from_stored(value) != item:
                conflicts.append(path)
        if conflicts and strategy == "abort":
            shown = ", ".join(repr(p) for p in conflicts[:10])
            raise CopyConflict(f"{len(conflicts)} target(s) exist in {segment!r}: {shown}",
                               "use strategy override to replace them or skip to keep them")
        return changes

    # the source --------------------------------------------------------------------------
    def _flush_source(self, user: User, source: dict[str, Any]) -> None:
        """A source draft of another request is read as it is now (pending changes applied)."""
        number = source.get("draftNumber")
        if source.get("id") is not None and number is not None and is_int_text(number):
            with self.ctx.meta.read() as tx:
                self.ctx.readable(tx, user, str(source["id"]))
            flush_if_pending(self.ctx, str(source["id"]), int(number))

    def _source_version(self, w: DraftWrite, user: User, source: dict[str, Any]) -> Version:
        """The version copied from: the target draft itself unless `source.id` is given."""
        if source.get("id") is None:
            return Version(w.dataset, w.state, draft=w.draft)
        dataset = self.ctx.readable(w.tx, user, str(source["id"]))
        if dataset.type != w.dataset.type:
            raise InvalidParams("source and target datasets are of different types",
                                "copy between two normal or two fusion datasets")
        status = {"draftNumber": source.get("draftNumber"), "commit": source.get("commit")}
        if dataset.id == w.dataset.id and _same_draft(status, w.draft.number):
            return Version(w.dataset, w.state, draft=w.draft)
        return self.ctx.version(w.tx, dataset, status)

    @staticmethod
    def _grant(w: DraftWrite, checksums: list[str]) -> None:
        """Let the target dataset reference blobs copied from another dataset."""
        for checksum in sorted(set(checksums)):
            w.tx.grant_blob(w.dataset.id, checksum, None)  # size: asked of the store once


def _strategy(body: dict[str, Any]) -> str:
    strategy = body.get("strategy", "abort")
    if strategy not in STRATEGIES:
        raise InvalidParams(f"invalid strategy {strategy!r}", "use abort, override or skip")
    return str(strategy)


def _source(body: dict[str, Any], move: bool) -> dict[str, Any]:
    source = body.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("segmentName"), str):
        raise ParamsMissing("source.segmentName is required")
    if move and any(source.get(k) is not None for k in ("id", "commit", "draftNumber")):
        raise InvalidParams("a move stays inside one draft of one dataset",
                            "copy from another dataset or version, then delete the source")
    return source


def _path_pairs(source: dict[str, Any], body: dict[str, Any]) -> list[tuple[str, str]]:
    """(source path, target path) pairs: target names default to the source names."""
    paths = source.get("remotePaths")
    if not isinstance(paths, list) or not paths:
        raise ParamsMissing("source.remotePaths is required (a list)")
    if len(paths) > MAX_OBJECTS:
        raise InvalidParams(f"at most {MAX_OBJECTS} paths per request", "send smaller batches")
    targets = body.get("remotePaths")
    if targets is None:
        targets = paths
    if not isinstance(targets, list) or len(targets) != len(paths):
        raise InvalidParams("remotePaths must list one target per source path")
    pairs = [(check_remote_path(a), check_remote_path(b)) for a, b in zip(paths, targets,
                                                                        strict=True)]
    if len({b for _, b in pairs}) != len(pairs):
        raise InvalidParams("two source paths have the same target path")
    return pairs


def _same_draft(status: dict[str, Any], number: int) -> bool:
    value = status.get("draftNumber")
    return value is not None and is_int_text(value) and int(value) == number


def _item_blobs(w: DraftWrite, item: Item) -> Iterator[str]:
    """The checksums an item references: its file and its label's masks."""
    yield item.checksum
    if item.label:
        label = w.objects.get(item.label)
        for kind in MASK_TYPES:
            if kind in label:
                yield label[kind]["checksum"]


def _tree_blobs(w: DraftWrite, segment: Segment) -> list[str]:
    found: list[str] = []
    for _, value in tree.iterate(segment.tree, w.objects.get):
        items = ([e.item for e in frame(value)] if w.dataset.type != 0
                 else [Item.from_stored(value)])
        for item in items:
            found.extend(_item_blobs(w, item))
    return found
