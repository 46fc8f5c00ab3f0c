"""What one `gas review` shows: the diff (with the changed items' whole labels), its index, where
each side's files come from, and for a draft the actions on it.

The diff is computed once, before the page is served; the page then reads this object only.
Anything that needs the workspace's database later (a file from the server, committing the
draft) opens its own connection to it, in the thread that serves the request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gasvc.errors import GasError
from gasvc.model.labeldiff import FieldChange
from gasvc.model.labelstats import total
from gasvc.model.masks import KINDS, mask_path
from gasvc.model.names import ROOT_COMMIT
from gasvc.review.files import FileSource, Wanted
from gasvc.review.index import CHANGES, ReviewIndex
from gasvc.review.shapes import sides
from gasvc.workspace.diff.diff_result import DiffResult, ItemDiff
from gasvc.workspace.store.layout import segment_folder
from gasvc.workspace.store.refs import head_commit, resolve
from gasvc.workspace.store.state import State

#: Data files the page draws as images (others get a download link).
IMAGES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
          ".gif": "image/gif", ".bmp": "image/bmp", ".webp": "image/webp"}
#: The label types that are mask images.
MASKS = tuple(KINDS)
#: The sides of the page and which end of the diff each is.
SIDES = ("before", "after")
#: The sides of a local diff that are no commit: they stand on HEAD's server version.
UNCOMMITTED = ("HEAD", "index", "working tree")


@dataclass
class DraftActions:
    """The draft under review, and how to commit or close it (each returns a sentence)."""

    number: int
    title: str
    branch: str
    commit: Callable[[str], str]
    close: Callable[[], str]
    done: str = ""  # what happened to it, once committed or closed


@dataclass
class Review:
    result: DiffResult
    files: FileSource
    versions: tuple[str | None, str | None]  # the sides' server versions (None: not there)
    describe: Callable[[ItemDiff], list[str]]  # `gas diff`'s lines of an item
    catalog_lines: list[str] = field(default_factory=list)
    draft: DraftActions | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        self.index = ReviewIndex(self.result)

    def summary(self) -> dict[str, Any]:
        result = self.result
        draft = None if self.draft is None else {
            "number": self.draft.number, "title": self.draft.title,
            "branch": self.draft.branch, "done": self.draft.done}
        old, new = result.catalogs or ({}, {})
        return {"old": result.old, "new": result.new, "source": result.source,
                "facets": self.index.facets(), "catalog": self.catalog_lines,
                "segments": [{"name": s.name, "change": CHANGES[s.code]} for s in result.segments],
                "catalogs": {"before": old, "after": new}, "draft": draft}

    def stats(self) -> dict[str, Any]:
        stats = self.result.label_stats or []
        return {"segments": [s.json() for s in stats], "total": total(stats).json()}

    def item(self, key: str) -> dict[str, Any] | None:
        item = self.index.item(key)
        if item is None:
            return None
        if item.label_changed and not (item.label or item.masks):
            item.set_labels(item.old_label, item.new_label)
        before, after = sides(item.old_label, item.new_label)
        if item.label_changed and _unknown_masks(item.old_label) and (
                item.old_label == item.new_label):
            item.label = _masks_changed(before, after)
        media = "image" if Path(item.path).suffix.lower() in IMAGES else "other"
        return {"path": key, "segment": item.segment, "remotePath": item.path,
                "change": CHANGES[item.code], "media": media, "text": self.describe(item),
                "before": _side(item.old, item.old_label, before),
                "after": _side(item.new, item.new_label, after)}

    def wanted(self, key: str, side: str, mask: str | None) -> Wanted | None:
        """The file (or mask image) of an item at a side; None when it has none there."""
        item = self.index.item(key)
        if item is None or side not in SIDES:
            return None
        number = SIDES.index(side)
        version = self.versions[number]
        current = number == 1 and self.result.new == "working tree"
        if mask is None:
            found = (item.old, item.new)[number]
            return None if found is None else Wanted(found.checksum, found.size, item.segment,
                                                     item.path, None, None, version, current)
        entry = ((item.old_label, item.new_label)[number] or {}).get(mask)
        if not isinstance(entry, dict):
            return None
        if not isinstance(entry.get("checksum"), str):  # a server's read form: by its URL
            return None if version is None else Wanted("", 0, item.segment, item.path, "",
                                                       mask, version)
        local = entry.get("path")
        if not isinstance(local, str):
            local = _mask_file(item.segment, item.path, mask)
        return Wanted(entry["checksum"], int(entry.get("fileSize") or 0), item.segment,
                      item.path, local, mask, version, current)


def _mask_file(segment: str, path: str, kind: str) -> str:
    """Where the workspace keeps an item's mask image (model/masks.py)."""
    return mask_path(segment_folder(segment), path, kind) if kind in MASKS else ""


def _unknown_masks(label: dict[str, Any] | None) -> bool:
    """Whether a label has masks in a read form without checksums (a server that does not
    list them): what differs between two such labels cannot be told from them."""
    return any(isinstance(entry, dict) and "checksum" not in entry
               for kind, entry in (label or {}).items() if kind in MASKS)


def _masks_changed(*drawn: list[dict[str, Any]]) -> list[FieldChange]:
    """A label the server says changed, equal in its read form: what differs is hidden in its
    masks' URLs (the read form names no checksum), so its masks are what changed."""
    kinds = set()
    for shapes in drawn:
        for shape in shapes:
            if shape["labelType"] in MASKS:
                shape["status"] = "changed"
                kinds.add(shape["labelType"])
    return [FieldChange("~", kind, "(a mask image)", "(another mask image)")
            for kind in sorted(kinds)]


def _side(file: Any, label: dict[str, Any] | None, shapes: list[dict[str, Any]]
          ) -> dict[str, Any]:
    return {"present": file is not None,
            "file": None if file is None else {"checksum": file.checksum, "size": file.size},
            "label": label or {}, "shapes": shapes}


def server_versions(state: State, result: DiffResult) -> tuple[str | None, str | None]:
    """The server version (commit id, or `draft-N`) each side's files can be fetched at."""
    if result.source == "server":
        return tuple(None if v == ROOT_COMMIT else v  # type: ignore[return-value]
                     for v in (result.old, result.new))
    return _server_version(state, result.old), _server_version(state, result.new)


def _server_version(state: State, name: str) -> str | None:
    commit_id = head_commit(state) if name in UNCOMMITTED else name
    if not commit_id or commit_id == ROOT_COMMIT:
        return None
    try:
        return resolve(state, commit_id).server_id
    except GasError:
        return None
