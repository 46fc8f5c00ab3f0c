"""Checking what a server lists before anything is built or written from it (clone, pull,
checkout of fetched versions): a server is not trusted to keep the rules its writes follow.

Each item: a remote path `check_remote_path` accepts ('.gas' never a part), not `metadata.jsonl`
at a segment's root, a checksum, a size, a label that is a JSON object of standard JSON. A
segment's listing: paths in strictly ascending code-point order (the spec's order, which also
rules out duplicates), and no file that is also a folder of another. A version: unique segment
names that `check_segment_name` accepts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Any

from gasvc.errors import ClientError, InvalidParams
from gasvc.model import tree
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.metadata import METADATA
from gasvc.model.names import check_checksum, check_remote_path, check_segment_name, escaped
from gasvc.model.strictjson import MAX_DEPTH, JsonRefused, check_value


class RefusedListing(ClientError):
    """The server lists something gas will not write into a workspace."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "gas cannot check out this version of the dataset, and changed"
                         " nothing here; ask the dataset's owner to rename or remove these items")


def _shown(segment: str, path: str) -> str:
    return escaped(f"{segment}/{path}" if segment else path)


def check_segments(raws: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A version's segment list, every name checked and unique."""
    segments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in raws:
        name = raw.get("name")
        try:
            check_segment_name(name)
        except InvalidParams as error:
            raise RefusedListing(f"the server lists a segment gas refuses: {error.message}"
                                 ) from None
        if name in seen:
            raise RefusedListing(f"the server lists the segment {escaped(str(name))} twice")
        seen.add(str(name))
        segments.append(raw)
    return segments


def check_item(segment: str, raw: dict[str, Any], labels: CheckedLabels | None = None
               ) -> tuple[str, str, int, dict[str, Any], bytes]:
    """(path, checksum, size, label, label's canonical JSON) of a data details item; `labels`
    spares a listing checking a label it has already checked."""
    path = raw.get("remotePath")
    try:
        check_remote_path(path)
        checksum = check_checksum(raw.get("checksum"))
    except InvalidParams as error:
        raise RefusedListing(f"the server lists an item gas refuses in segment"
                             f" {escaped(segment)}: {error.message}") from None
    assert isinstance(path, str)
    if path == METADATA:
        raise RefusedListing(f"the server lists a file {_shown(segment, path)}: in a workspace"
                             " that name holds the segment's labels")
    size = raw.get("fileSize")
    if type(size) is not int or size < 0:
        size = _size(segment, path, size)
    label = raw.get("label") or {}
    if not isinstance(label, dict):
        raise RefusedListing(f"the server lists {_shown(segment, path)} with a label that is"
                             " not a JSON object")
    if not label:
        return path, checksum, size, label, b""
    try:  # (repr, like the encoder, may find the label nested too deeply)
        data = labels.checked(label) if labels is not None else _checked(label)
    except (JsonRefused, RecursionError) as error:
        reason = error if isinstance(error, JsonRefused) else "the JSON is nested too deeply"
        raise RefusedListing(f"the server lists {_shown(segment, path)} with a label gas"
                             f" refuses: {reason}") from None
    return path, checksum, size, label, data


def _checked(label: dict[str, Any]) -> bytes:
    """A listed label's canonical JSON, once `check_value` accepts it."""
    data = canonical_json(label)
    check_value(label, data)
    return data


def _size(segment: str, path: str, size: Any) -> int:
    """A listed size that is not a plain int: one sent as a string of digits is still a size."""
    if isinstance(size, str) and size.isdigit() and size.isascii():
        return int(size)
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        return int(size)  # an int subclass
    raise RefusedListing(f"the server lists {_shown(segment, path)} with the size {size!r}")


class CheckedLabels:
    """Labels a listing has checked, by their `repr`: their canonical JSON. A dataset repeats
    few labels many times, and equal reprs are equal values of parsed JSON (repr tells 1, 1.0
    and True apart and keeps key order), so such a label needs no encoding or check again.
    It is asked for at most `LIMIT` labels it lacks, and keeps those of at most `LONGEST`
    bytes; then it is no longer asked: the labels of such a listing are mostly unique."""

    LIMIT = 4096
    LONGEST = 1024

    def __init__(self) -> None:
        self._known: dict[str, bytes] = {}
        self._ids: dict[bytes, str] = {}
        self._missed = 0

    def checked(self, label: dict[str, Any]) -> bytes:
        """`_checked(label)`, kept or found by the label's repr."""
        if self._missed >= self.LIMIT:
            return _checked(label)
        key = repr(label)
        data = self._known.get(key)
        if data is None:
            data = _checked(label)
            self._missed += 1
            if len(data) <= self.LONGEST:
                self._known[key] = data
                self._ids[data] = sha1_hex(data)
        return data

    def content_id(self, data: bytes) -> str:
        """`sha1_hex(data)`, known for the labels kept here."""
        return self._ids.get(data) or sha1_hex(data)


def check_diff_actions(segment: str, diffs: Iterable[dict[str, Any]]) -> dict[str, str]:
    """remotePath → action of a segment's data diffs, each path checked and listed once."""
    actions: dict[str, str] = {}
    for diff in diffs:
        path = diff.get("remotePath")
        try:
            check_remote_path(path)
        except InvalidParams as error:
            raise RefusedListing(f"the server's diff lists an item gas refuses in segment"
                                 f" {escaped(segment)}: {error.message}") from None
        assert isinstance(path, str)
        if path in actions:
            raise RefusedListing(f"the server's diff lists {escaped(f'{segment}/{path}')} twice")
        actions[path] = str(diff.get("action"))
    return actions


def check_catalog(catalog: dict[str, Any]) -> dict[str, Any]:
    try:
        check_value(catalog, canonical_json(catalog))
    except (JsonRefused, RecursionError):
        raise RefusedListing("the server's catalog is not standard JSON (it holds NaN or"
                             f" Infinity, or is nested deeper than {MAX_DEPTH} levels)") from None
    return catalog


class SegmentListing:
    """A segment's paths as its listing streams in, checked with bounded memory: each must sort
    after the one before, and must not be inside a folder that is a file listed earlier.

    In sorted order a file comes before the paths inside a folder of its name (its name is their
    prefix). `_files` holds the files that can still be such a folder: a chain of string prefixes
    of the latest path, so at most one per character of it.
    """

    def __init__(self, segment: str) -> None:
        self.segment = segment
        self._last: str | None = None
        self._files: list[str] = []

    def add(self, path: str) -> None:
        if self._last is not None and path <= self._last:
            what = ("twice" if path == self._last
                    else f"out of order (after {_shown(self.segment, self._last)})")
            raise RefusedListing(f"the server lists {_shown(self.segment, path)} {what}")
        self._last = path
        while self._files and not (path < self._files[-1] + "/"
                                   or path.startswith(self._files[-1] + "/")):
            self._files.pop()
        for file in self._files:
            if path.startswith(file + "/"):
                raise clash(self.segment, file, path)
        self._files.append(path)


def clash(segment: str, file: str, inner: str) -> RefusedListing:
    return RefusedListing(f"the server lists both the file {_shown(segment, file)} and"
                          f" {_shown(segment, inner)}, inside a folder of the same name")


def check_changes(segment: str, ref: tree.TreeRef, changes: dict[str, Any | None],
                  get: tree.Getter) -> None:
    """Before a diff is applied to a segment's tree (`changes`: path → new value, None for a
    deletion): no path it adds is inside a folder that is a file, nor is a file that is a
    folder of others (a few lookups per added path)."""
    ordered = sorted(changes)

    def exists(path: str) -> bool:
        if path in changes:
            return changes[path] is not None
        return tree.lookup(ref, path, get) is not None

    for path in (p for p in ordered if changes[p] is not None):
        parts = path.split("/")
        for end in range(1, len(parts)):
            if exists(folder := "/".join(parts[:end])):
                raise clash(segment, folder, path)
        inner = _first_under(ordered, path + "/", changes) or _first_under_tree(
            ref, path + "/", get, changes)
        if inner is not None:
            raise clash(segment, path, inner)


def _first_under(ordered: list[str], folder: str, changes: dict[str, Any | None]) -> str | None:
    """A path the changes add inside `folder` ("dir/"), if any."""
    index = bisect_left(ordered, folder)
    while index < len(ordered) and ordered[index].startswith(folder):
        if changes[ordered[index]] is not None:
            return ordered[index]
        index += 1
    return None


def _first_under_tree(ref: tree.TreeRef, folder: str, get: tree.Getter,
                      changes: dict[str, Any | None]) -> str | None:
    """A key of the tree inside `folder` ("dir/") that the changes do not delete, if any."""
    rows = list(get(ref.manifest)) if ref.manifest else []
    index = max(bisect_right([row[0] for row in rows], folder) - 1, 0)
    for row in rows[index:]:
        for key, _ in get(row[1]):
            if key >= folder and not key.startswith(folder):
                return None
            if key >= folder and changes.get(key, True) is not None:
                return str(key)
    return None
