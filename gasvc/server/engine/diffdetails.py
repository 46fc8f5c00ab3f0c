"""gasvc's extension: a diff of two versions with the details of every changed item, in one paged
answer (`GET {api}/datasets/{id}/diffs/{basehead}/details`, advertised as `extra.diffLimit`).

What a client otherwise asks in ListSegmentDiffs, GetDiff (the catalog's action), one
ListDataDiffs per segment and the details of each changed item at both versions, it gets here in
`ceil(changed items / limit)` requests. Each page repeats the segment diffs and the catalog's
action; `data` lists the changed items segment by segment, each a ListDataDiffs item with its
`segmentName` and its details at the base (`old`) and the head (`new`), null where absent.
Normal datasets only (a fusion segment's items are frames).
"""

from __future__ import annotations

from typing import Any

from gasvc.errors import InvalidParams
from gasvc.model import tree
from gasvc.model.snapshot import Item, Segment, VersionState, segment_tree
from gasvc.server.engine.context import Objects
from gasvc.server.engine.data import Data
from gasvc.server.engine.diffs import Change, Diffs, _part, data_diff
from gasvc.server.records import User


class DiffDetails:
    def __init__(self, diffs: Diffs, data: Data) -> None:
        self.diffs, self.data, self.ctx = diffs, data, diffs.ctx

    def page(self, user: User, dataset_id: str, basehead: str, paging: tuple[int, int],
             base: str) -> dict[str, Any]:
        offset, limit = paging
        with self.diffs._open(user, dataset_id, basehead) as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            if dataset.type != 0:
                raise InvalidParams("diff details are for normal datasets",
                                    "list the changes with ListDataDiffs")
            old, new = self.diffs._states(tx, dataset, basehead)
            objects = self.ctx.objects(tx)
            segments = self.diffs._segment_diffs(objects, dataset, old, new)
            found, total = self._items(objects, dataset, segments, old, new, offset, limit)
            expires = self.ctx.now() + self.data.url_ttl

            def shown(path: str, value: Any) -> dict[str, Any] | None:
                if value is None:
                    return None
                return self.data._item(objects, base, expires, path, Item.from_stored(value))

            data = [{"segmentName": name, **data_diff(change, False),
                     "old": shown(change[0], before), "new": shown(change[0], after)}
                    for name, change, before, after in found]
        return {"segments": segments, "catalog": {"action": _part(old.catalog, new.catalog)},
                "data": data, "offset": offset, "recordSize": len(data), "totalCount": total}

    def _items(self, objects: Objects, dataset: Any, segments: list[dict[str, Any]],
               old: VersionState, new: VersionState, offset: int, limit: int
               ) -> tuple[list[tuple[str, Change, Any, Any]], int]:
        """(segment, change, old value, new value) of the changed items from `offset`, at most
        `limit`, and how many there are in all."""
        found: list[tuple[str, Change, Any, Any]] = []
        total = 0
        for diff in segments:
            name = diff["name"]
            before, after = old.segments.get(name), new.segments.get(name)
            if before is None or after is None:
                whole = after if before is None else before
                assert whole is not None
                count = segment_tree(whole).count
                wanted = _window(total, count, offset, limit, len(found))
                if wanted is not None:
                    found += _whole(objects, name, whole, before is None, *wanted)
                total += count
                continue
            changes = self.diffs._changes(objects, dataset, before, after)
            wanted = _window(total, len(changes), offset, limit, len(found))
            if wanted is not None:
                start, size = wanted
                for change in changes[start:start + size]:
                    found.append((name, change, tree.lookup(before.tree, change[0], objects.get),
                                  tree.lookup(after.tree, change[0], objects.get)))
            total += len(changes)
        return found, total


def _window(before: int, count: int, offset: int, limit: int, have: int
            ) -> tuple[int, int] | None:
    """(start, size) of the part of a run of `count` items (after `before` others) that a page
    from `offset` of `limit` items still needs, holding `have`; None for none."""
    start = max(offset - before, 0)
    size = min(count - start, limit - have)
    return (start, size) if size > 0 and start < count else None


def _whole(objects: Objects, name: str, segment: Segment, added: bool, start: int, size: int
           ) -> list[tuple[str, Change, Any, Any]]:
    """Items of a segment added or deleted whole."""
    action = "add" if added else "delete"
    found = []
    for key, value in tree.page(segment.tree, objects.get, start, size):
        label = action if Item.from_stored(value).label else ""
        change: Change = (key, action, action, label)
        found.append((name, change, None if added else value, value if added else None))
    return found
