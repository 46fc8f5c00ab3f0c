"""Diffing two server commits that are not materialized locally, on the server.

ListSegmentDiffs and ListDataDiffs (spec 2.12) say which items changed and how; only for those
items are the details (checksum, size, label) fetched, at both commits, to show file versions and
label fields. GetDiff says whether the catalog changed; only then are the two catalogs fetched.
Nothing else of either version is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from gasvc.errors import GasError
from gasvc.model.names import ROOT_COMMIT
from gasvc.workspace.diff.diff_result import (
    CatalogDiff,
    DiffResult,
    FileVersion,
    ItemDiff,
    SegmentChange,
    covers_catalog,
    covers_change,
    covers_segment,
    covers_whole_segment,
)

if TYPE_CHECKING:
    from gasvc.model.labelstats import LabelCounts
    from gasvc.workspace.worktree.pathspec import PathSpec

#: Detail requests in flight at once.
WORKERS = 8
CODES = {"add": "A", "delete": "D"}
UNCHANGED = ("", "unmodify")


class DiffServer(Protocol):
    """What a server diff needs of the Open API client (`gasvc.api.client.ApiClient`)."""

    def segment_diffs(self, dataset_id: str, basehead: str) -> Iterable[dict[str, Any]]: ...

    def data_diffs(self, dataset_id: str, basehead: str, segment: str
                   ) -> Iterable[dict[str, Any]]: ...

    def get_diff(self, dataset_id: str, basehead: str) -> dict[str, Any]: ...

    def data_detail(self, dataset_id: str, segment: str, remote_path: str, commit: str
                    ) -> dict[str, Any] | None: ...

    def catalog(self, dataset_id: str, commit: str) -> dict[str, Any]: ...

    def data_details(self, dataset_id: str, segment: str, commit: str
                     ) -> Iterable[dict[str, Any]]: ...

    def storage_extension(self, dataset_id: str) -> dict[str, Any] | None: ...

    def lookup_details(self, dataset_id: str, segment: str, commit: str, paths: list[str]
                       ) -> list[dict[str, Any]]: ...

    def diff_details(self, dataset_id: str, basehead: str, limit: int
                     ) -> Iterable[dict[str, Any]]: ...


class ServerDiff:
    """One diff between server commits `old` and `new` of a dataset (`new` may be a draft,
    named `draft-N` as in a basehead; the client reads it by its draft number)."""

    def __init__(self, server: DiffServer, dataset_id: str, old: str, new: str) -> None:
        self.server, self.dataset_id, self.old, self.new = server, dataset_id, old, new
        self.basehead = f"{_version(old)}...{_version(new)}"
        #: what gasvc's storage extension offers (`extra`), once asked
        self.limits: dict[str, Any] = {}

    def run(self, specs: tuple[PathSpec, ...], details: bool, labels: bool = False
            ) -> DiffResult:
        if details or labels:  # the details of changed items: many at a time if offered
            self.limits = (self.server.storage_extension(self.dataset_id) or {}).get("extra", {})
        if self.limits.get("diffLimit") and not specs:
            return self._run_extended(details, labels)
        result = DiffResult(self.old, self.new, "server")
        changed: list[tuple[str, dict[str, Any]]] = []
        added: set[str] = set()
        for segment in self.server.segment_diffs(self.dataset_id, self.basehead):
            name, action = segment["name"], segment["action"]
            if action in CODES and covers_whole_segment(specs, name):
                result.segments.append(SegmentChange(name, CODES[action]))
            if action == "add":
                added.add(name)
            if covers_segment(specs, name):
                changed += [(name, d) for d in self._data_diffs(name)
                            if covers_change(specs, coded(name, d))]
        if details or labels:
            result.items = self._with_details(changed, details, labels)
        else:
            result.items = [coded(name, d) for name, d in changed]
        if covers_catalog(specs):
            result.catalog = self._catalog(details)
        if labels:
            self._add_label_stats(result, added, specs)
        return result

    def _run_extended(self, details: bool, labels: bool) -> DiffResult:
        """The whole diff from the server's diff details (gasvc's extension): the segments,
        the catalog's action and every changed item with its details, a page at a time."""
        result = DiffResult(self.old, self.new, "server")
        found: dict[tuple[str, str, str], dict[str, Any] | None] = {}
        changed: list[tuple[str, dict[str, Any]]] = []
        action, added = "", set()
        for number, page in enumerate(self.server.diff_details(
                self.dataset_id, self.basehead, int(self.limits["diffLimit"]))):
            if number == 0:
                action = page["catalog"]["action"]
                result.segments = [SegmentChange(s["name"], CODES[s["action"]])
                                   for s in page["segments"] if s["action"] in CODES]
                added = {s["name"] for s in page["segments"] if s["action"] == "add"}
            for data in page["data"]:
                if data["action"] in UNCHANGED:
                    continue
                segment, path = data["segmentName"], data["remotePath"]
                changed.append((segment, data))
                found[(segment, path, self.old)] = data.get("old")
                found[(segment, path, self.new)] = data.get("new")
        result.items = self._detailed(changed, found, details, labels)
        result.catalog = self._catalog(details, action)
        if labels:
            self._add_label_stats(result, added, ())
        return result

    def _add_label_stats(self, result: DiffResult, added: set[str],
                         specs: tuple[PathSpec, ...]) -> None:
        """The label counts per changed segment, and both catalogs (for --stat and --json)."""
        from gasvc.workspace.diff.labelcounts import label_stats

        result.label_stats = label_stats(
            result, lambda name: self._counts_before(name, name in added, specs))
        result.catalogs = (self._catalog_at(self.old), self._catalog_at(self.new))

    def _counts_before(self, segment: str, added: bool, specs: tuple[PathSpec, ...]
                       ) -> LabelCounts:
        """The old version's segment, listed from the server (labels only, no files)."""
        from gasvc.model.labelstats import LabelCounts
        from gasvc.workspace.diff.labelcounts import listed_counts

        if added or self.old == ROOT_COMMIT:
            return LabelCounts()
        listed = self.server.data_details(self.dataset_id, segment, self.old)
        return listed_counts(listed, segment, specs, plain_label)

    def _data_diffs(self, segment: str) -> list[dict[str, Any]]:
        found = self.server.data_diffs(self.dataset_id, self.basehead, segment)
        return [d for d in found if d["action"] not in UNCHANGED]

    def _with_details(self, changed: list[tuple[str, dict[str, Any]]], details: bool = True,
                      labels: bool = False) -> list[ItemDiff]:
        """The changed items with their old and new details: looked up many at a time where
        the server offers it, else one request per item and side."""
        items = [coded(segment, data) for segment, data in changed]
        wanted = [(item.segment, item.path, commit) for item in items
                  for commit, skip in ((self.old, "A"), (self.new, "D"))
                  if item.code != skip and commit != ROOT_COMMIT]
        from concurrent.futures import ThreadPoolExecutor

        limit = int(self.limits.get("detailsLimit", 0))
        with ThreadPoolExecutor(WORKERS) as pool:
            found: dict[tuple[str, str, str], dict[str, Any] | None] = {}
            if limit:
                for part in pool.map(self._lookup, _groups(wanted, limit)):
                    found.update(part)
            else:
                found.update(zip(wanted, pool.map(lambda key: self.server.data_detail(
                    self.dataset_id, *key), wanted), strict=True))
        return self._detailed(changed, found, details, labels)

    def _detailed(self, changed: list[tuple[str, dict[str, Any]]],
                  found: dict[tuple[str, str, str], dict[str, Any] | None], details: bool,
                  labels: bool) -> list[ItemDiff]:
        """The changed items with the details `found` at both sides."""
        items = [coded(segment, data) for segment, data in changed]
        for item in items:
            old = found.get((item.segment, item.path, self.old))
            new = found.get((item.segment, item.path, self.new))
            item.old, item.new = file_version(old), file_version(new)
            if details and item.label_changed:
                item.set_labels(plain_label(old), plain_label(new))
            if labels:
                item.old_label, item.new_label = plain_label(old), plain_label(new)
        return items

    def _lookup(self, group: tuple[str, str, list[str]]
                ) -> dict[tuple[str, str, str], dict[str, Any]]:
        segment, commit, paths = group
        details = self.server.lookup_details(self.dataset_id, segment, commit, paths)
        return {(segment, d["remotePath"], commit): d for d in details}

    def _catalog(self, details: bool, action: str | None = None) -> CatalogDiff | None:
        """The catalog's change; its `action` as the server gave it, else asked (GetDiff)."""
        if action is None:
            try:
                action = str(self.server.get_diff(self.dataset_id,
                                                  self.basehead)["catalog"]["action"])
            except GasError:  # GetDiff is optional (spec 2.12.3): compare the catalogs
                action = "compare"
        if action in UNCHANGED:
            return None
        if not details and action != "compare":
            return CatalogDiff(CODES.get(action, "M"))
        old, new = self._catalog_at(self.old), self._catalog_at(self.new)
        if action == "compare" and old == new:
            return None
        from gasvc.model.labeldiff import field_changes

        code = "A" if not old else "D" if not new else "M"
        return CatalogDiff(code, field_changes(old or None, new or None) if details else [])

    def _catalog_at(self, commit: str) -> dict[str, Any]:
        return {} if commit == ROOT_COMMIT else self.server.catalog(self.dataset_id, commit)


def _version(name: str) -> str:
    """A basehead's side: `commit-ID`, or a draft as given (`draft-N`)."""
    return name if name.startswith("draft-") else f"commit-{name}"


def _groups(wanted: list[tuple[str, str, str]], limit: int
            ) -> Iterator[tuple[str, str, list[str]]]:
    """(segment, commit, up to `limit` paths) covering the wanted (segment, path, commit)."""
    by_place: dict[tuple[str, str], list[str]] = {}
    for segment, path, commit in wanted:
        by_place.setdefault((segment, commit), []).append(path)
    for (segment, commit), paths in by_place.items():
        for start in range(0, len(paths), limit):
            yield segment, commit, paths[start:start + limit]


def coded(segment: str, data: dict[str, Any]) -> ItemDiff:
    """An item diff from ListDataDiffs' actions alone (no file versions, no label fields)."""
    action = data["action"]
    file_changed = (data.get("file") or {}).get("action") not in UNCHANGED
    label_changed = (data.get("label") or {}).get("action") not in UNCHANGED
    code = CODES.get(action) or ("M" if file_changed or not label_changed else "L")
    return ItemDiff(segment, data["remotePath"], code, None, None, label_changed)


def file_version(detail: dict[str, Any] | None) -> FileVersion | None:
    if not detail or "checksum" not in detail:
        return None
    return FileVersion(str(detail["checksum"]), int(detail.get("fileSize", 0)))


def plain_label(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item's label as stored (masks by checksum, where the server lists it: remote_masks.py),
    else with the read form's time-limited mask `url`s dropped."""
    if not detail or not detail.get("label"):
        return None
    from gasvc.model.masks import BadMask, stored_from_read

    label = dict(detail["label"])
    try:
        stored, unknown = stored_from_read(label)
    except BadMask:
        unknown = {"": ""}
    if not unknown:
        return stored
    for kind, value in label.items():
        if isinstance(value, dict) and "url" in value:
            label[kind] = {k: v for k, v in value.items() if k != "url"}
    return label
