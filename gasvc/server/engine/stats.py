"""Figures over a whole version: label statistics (spec 3.13) and total size (3.14).

Both read every item once; for commits the answer is cached by the version's root.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from gasvc.errors import ParamsMissing
from gasvc.model import tree
from gasvc.model.canon import content_id
from gasvc.model.snapshot import FrameEntry, Item, VersionState, frame
from gasvc.server.engine.context import Context, Objects
from gasvc.server.engine.scopes import VersionRead, reading
from gasvc.server.records import User

Histogram = dict[str, dict[Any, int]]


def _files(r: VersionRead) -> Iterator[Item | FrameEntry]:
    """Every file of a version: the items of a normal dataset, the frame entries of fusion."""
    normal = r.version.dataset.type == 0
    for segment in r.version.state.segments.values():
        for _, value in tree.iterate(segment.tree, r.objects.get):
            if normal:
                yield Item.from_stored(value)
            else:
                yield from frame(value)


def _label_ids(r: VersionRead) -> Iterator[str]:
    return (file.label for file in _files(r) if file.label)


def _checksums(r: VersionRead) -> Iterator[tuple[str, int]]:
    return ((file.checksum, file.size) for file in _files(r))


def _discrete_attributes(catalog: dict[str, Any], kind: str) -> set[str]:
    rules = catalog.get(kind, {}).get("attributes", [])
    return {
        rule["name"] for rule in rules
        if "enum" in rule or rule.get("type") == "boolean"
        or (isinstance(rule.get("type"), list) and "boolean" in rule["type"])
    }


class _Counter:
    def __init__(self) -> None:
        self.quantity = 0
        self.attributes: Histogram = {}
        self.categories: dict[str, _Counter] = {}

    def add(self, instance: dict[str, Any], discrete: set[str], nested: bool = True) -> None:
        self.quantity += 1
        for name, value in (instance.get("attributes") or {}).items():
            if name in discrete and not isinstance(value, (dict, list)):
                bucket = self.attributes.setdefault(name, {})
                bucket[value] = bucket.get(value, 0) + 1
        category = instance.get("category")
        if nested and isinstance(category, str):
            self.categories.setdefault(category, _Counter()).add(instance, discrete, False)

    def render(self, with_name: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"quantity": self.quantity}
        if with_name is not None:
            out["name"] = with_name
        if self.attributes:
            out["attributes"] = [
                {"name": name, "enum": list(hist), "quantities": list(hist.values())}
                for name, hist in sorted(self.attributes.items())
            ]
        if self.categories:
            out["categories"] = [c.render(name) for name, c in sorted(self.categories.items())]
        return out


def label_statistics(labels: Iterator[dict[str, Any]], catalog: dict[str, Any]
                     ) -> dict[str, Any]:
    counters: dict[str, _Counter] = {}
    for label in labels:
        for kind, value in label.items():
            discrete = _discrete_attributes(catalog, kind)
            instances = value if isinstance(value, list) else [value]
            for instance in instances:
                if isinstance(instance, dict):
                    counters.setdefault(kind, _Counter()).add(instance, discrete)
    return {kind: counter.render() for kind, counter in sorted(counters.items())}


class Stats:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _figure(self, user: User, dataset_id: str, status: dict[str, Any], kind: str,
                compute: Callable[[VersionRead], Any]) -> Any:
        """Compute a figure of a version; commits' figures are cached by their content id."""
        with reading(self.ctx, user, dataset_id, status) as r:
            key = (content_id(r.version.state.stored()) if r.version.commit_id is not None
                   else None)
            hit = r.tx.version_stat(r.version.dataset.id, key, kind) if key else None
            if hit is not None:
                return json.loads(hit)
            value = compute(r)
        if key is not None:
            with self.ctx.meta.write() as tx:
                tx.set_version_stat(r.version.dataset.id, key, kind, json.dumps(value))
        return value

    def labels(self, user: User, dataset_id: str, status: dict[str, Any]) -> dict[str, Any]:
        def compute(r: VersionRead) -> Any:
            catalog = _catalog(r.objects, r.version.state)
            return label_statistics((r.objects.get(i) for i in _label_ids(r)), catalog)

        return {"labelStatistics": self._figure(user, dataset_id, status, "labels", compute)}

    def total_size(self, user: User, dataset_id: str, commit: str | None) -> dict[str, Any]:
        if not commit:
            raise ParamsMissing("commit is required", "total size is defined for commits only")
        size = self._figure(user, dataset_id, {"commit": commit}, "totalSize",
                            lambda r: sum(dict(_checksums(r)).values()))
        return {"totalSize": size}


def _catalog(objects: Objects, state: VersionState) -> dict[str, Any]:
    return dict(objects.get(state.catalog)) if state.catalog else {}
