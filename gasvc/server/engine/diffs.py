"""Diffs between two versions (spec 2.12, 3.15): GetDiff, ListSegmentDiffs, GetSegmentDiff,
ListDataDiffs. Unchanged segments and items are not listed.

Segments compare by tree id; changed segments by `tree.diff`, which skips shared leaves, so two
versions that differ in k items cost O(k) leaves. A segment added or deleted whole is counted from
its tree and paged straight from it. The changes of a segment pair are cached (LRU, as compact
tuples, bounded in items) for paging.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from gasvc.errors import InvalidParams, ResourceNotExist
from gasvc.model import tree
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.snapshot import Item, Segment, VersionState, as_item, segment_tree
from gasvc.server.engine.context import Context, Objects
from gasvc.server.engine.overlay import flush_if_pending
from gasvc.server.meta import MetaTx
from gasvc.server.params import is_int_text
from gasvc.server.records import Dataset, User

DataDiff = dict[str, Any]
#: (key, action, file action, label action) of one changed item.
Change = tuple[str, str, str, str]
#: The change cache holds at most this many items over all cached segment pairs.
CACHE_ITEMS = 500_000


def _part(old: Any, new: Any) -> str:
    if old == new:
        return ""
    return "add" if old is None else "delete" if new is None else "modify"


def change(key: str, old: Any, new: Any, fusion: bool) -> Change:
    """What changed in one item, from its old and new tree values."""
    action = _part(old, new)
    if fusion:
        return key, action, action, ""
    a, b = as_item(old), as_item(new)
    old_file, new_file = (a.file if a else None), (b.file if b else None)
    old_label, new_label = (a.label if a else None), (b.label if b else None)
    return key, action, _part(old_file, new_file), _part(old_label, new_label)


def data_diff(item: Change, fusion: bool) -> DataDiff:
    """One ListDataDiffs item."""
    key, action, file_action, label_action = item
    found: DataDiff = {"remotePath": key, "action": action, "file": {"action": file_action},
                       "label": {"action": label_action}}
    if fusion:
        found["frameId"] = key
    return found


def _stats(changes: list[Change]) -> dict[str, int]:
    actions = [c[1] for c in changes]
    return {"total": len(actions), "additions": actions.count("add"),
            "deletions": actions.count("delete"), "modifications": actions.count("modify")}


def _whole(action: str, count: int) -> dict[str, int]:
    """Stats of a segment added or deleted whole."""
    return {"total": count, "additions": count if action == "add" else 0,
            "deletions": count if action == "delete" else 0, "modifications": 0}


class Diffs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._cache: OrderedDict[tuple[Any, ...], list[Change]] = OrderedDict()
        self._lock = threading.Lock()
        self._cached_items = 0

    # versions ----------------------------------------------------------------------------
    def _states(self, tx: MetaTx, dataset: Dataset, basehead: str
                ) -> tuple[VersionState, VersionState]:
        base, sep, head = basehead.partition("...")
        if not sep:
            base, head = "", basehead
        head_state, parent = self._state(tx, dataset, head)
        if not base:
            return self.ctx.commit_state(tx, dataset, parent), head_state
        return self._state(tx, dataset, base)[0], head_state

    def _state(self, tx: MetaTx, dataset: Dataset, spec: str) -> tuple[VersionState, str]:
        """(state, parent commit id) of `commit-<rev>` or `draft-<n>`."""
        from gasvc.server.engine.versions import resolve_revision

        kind, _, value = spec.partition("-")
        if kind == "draft" and value:
            version = self.ctx.version(tx, dataset, {"draftNumber": value})
            assert version.draft is not None
            return version.state, version.draft.parent_commit
        if kind == "commit" and value:
            commit_id = resolve_revision(tx, dataset.id, value)
            if commit_id is None:
                raise ResourceNotExist(f"revision {value!r} does not exist")
            if commit_id == ROOT_COMMIT:
                return VersionState(), ROOT_COMMIT
            commit = tx.commit(dataset.id, commit_id)
            assert commit is not None
            return self.ctx.commit_state(tx, dataset, commit_id), commit.parent_id
        raise InvalidParams(f"invalid basehead {spec!r}",
                            "use commit-<revision>, draft-<number> or <base>...<head>")

    def _open(self, user: User, dataset_id: str, basehead: str) -> Any:
        for spec in basehead.split("..."):
            kind, _, value = spec.partition("-")
            if kind == "draft" and is_int_text(value):
                flush_if_pending(self.ctx, dataset_id, int(value))
        return self.ctx.meta.read()

    # segment level -----------------------------------------------------------------------
    def _segment_diffs(self, objects: Objects, dataset: Dataset, old: VersionState,
                       new: VersionState) -> list[dict[str, Any]]:
        found = []
        for name in old.segment_names(new):
            item = self._segment_diff(objects, dataset, name, old, new)
            if item["action"]:
                found.append(item)
        return found

    def _segment_diff(self, objects: Objects, dataset: Dataset, name: str,
                      old: VersionState, new: VersionState) -> dict[str, Any]:
        before, after = old.segments.get(name), new.segments.get(name)
        sensors = _part((before.sensors if before else None) or None,
                        (after.sensors if after else None) or None)
        if before is None or after is None:
            action = "add" if before is None else "delete"
            count = segment_tree(after if before is None else before).count
            stats, data_action = _whole(action, count), action if count else ""
        else:
            changes = self._changes(objects, dataset, before, after)
            changed = changes or sensors or before.description != after.description
            action = "modify" if changed else ""
            stats, data_action = _stats(changes), "modify" if changes else ""
        return {"name": name, "action": action, "data": {"action": data_action,
                                                          "stats": stats},
                "sensor": {"action": sensors}, "sensors": {"action": sensors}}

    def _changes(self, objects: Objects, dataset: Dataset, before: Segment, after: Segment
                 ) -> list[Change]:
        old, new = before.tree, after.tree
        key = (dataset.type, old.manifest, new.manifest)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        changes = [change(k, a, b, dataset.type == 1)
                   for k, a, b in tree.diff(old, new, objects.get)]
        if len(changes) <= CACHE_ITEMS:
            with self._lock:
                self._cache[key] = changes
                self._cached_items += len(changes)
                while self._cached_items > CACHE_ITEMS:
                    self._cached_items -= len(self._cache.popitem(last=False)[1])
        return changes

    def _page_whole(self, objects: Objects, dataset: Dataset, segment: Segment,
                    action: str, offset: int, limit: int) -> list[DataDiff]:
        """A page of the data diff of a segment added or deleted whole, read from its tree."""
        entries = tree.page(segment.tree, objects.get, offset, limit)
        if dataset.type == 1:
            return [data_diff((key, action, action, ""), True) for key, _ in entries]
        return [data_diff((key, action, action, action if Item.from_stored(value).label else ""),
                          False) for key, value in entries]

    # endpoints ---------------------------------------------------------------------------
    def get_diff(self, user: User, dataset_id: str, basehead: str) -> dict[str, Any]:
        with self._open(user, dataset_id, basehead) as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            old, new = self._states(tx, dataset, basehead)
            segments = self._segment_diffs(self.ctx.objects(tx), dataset, old, new)
        seg_actions = [s["action"] for s in segments]
        totals = {k: sum(s["data"]["stats"][k] for s in segments)
                  for k in ("total", "additions", "deletions", "modifications")}
        catalog = _part(old.catalog, new.catalog)
        notes = _part(old.notes, new.notes) and "modify"
        changed = bool(segments) or bool(catalog) or bool(notes)
        return {
            "action": "modify" if changed else "unmodify",
            "segments": {"stats": {"total": len(segments), "additions": seg_actions.count("add"),
                                   "deletions": seg_actions.count("delete"),
                                   "modifications": seg_actions.count("modify")}},
            "notes": {"action": notes}, "catalog": {"action": catalog},
            "data": {"stats": totals},
        }

    def list_segment_diffs(self, user: User, dataset_id: str, basehead: str, offset: int,
                           limit: int) -> tuple[list[dict[str, Any]], int]:
        with self._open(user, dataset_id, basehead) as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            old, new = self._states(tx, dataset, basehead)
            segments = self._segment_diffs(self.ctx.objects(tx), dataset, old, new)
        return segments[offset : offset + limit], len(segments)

    def get_segment_diff(self, user: User, dataset_id: str, basehead: str, name: str
                         ) -> dict[str, Any]:
        with self._open(user, dataset_id, basehead) as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            old, new = self._states(tx, dataset, basehead)
            if name not in old.segments and name not in new.segments:
                raise ResourceNotExist(f"segment {name!r} is in neither version")
            item = self._segment_diff(self.ctx.objects(tx), dataset, name, old, new)
        item["action"] = item["action"] or "unmodify"
        item["data"]["action"] = item["data"]["action"] or item["action"]
        return item

    def list_data_diffs(self, user: User, dataset_id: str, basehead: str, name: str,
                        offset: int, limit: int) -> tuple[list[DataDiff], int]:
        with self._open(user, dataset_id, basehead) as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            old, new = self._states(tx, dataset, basehead)
            before, after = old.segments.get(name), new.segments.get(name)
            objects = self.ctx.objects(tx)
            if before is None and after is None:
                raise ResourceNotExist(f"segment {name!r} is in neither version")
            if before is None or after is None:
                whole = after if before is None else before
                action = "add" if before is None else "delete"
                assert whole is not None
                return (self._page_whole(objects, dataset, whole, action, offset, limit),
                        whole.tree.count)
            changes = self._changes(objects, dataset, before, after)
        fusion = dataset.type == 1
        return [data_diff(c, fusion) for c in changes[offset : offset + limit]], len(changes)
