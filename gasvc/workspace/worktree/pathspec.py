"""What a path argument names: the catalog, a segment's labels, or a segment with a path prefix.

Paths are workspace-relative POSIX strings: `seg`, `seg/dir`, `seg/file.jpg`,
`seg/metadata.jsonl` (the labels of the whole segment), `catalog.json`, or `.` for everything;
`seg` is a segment's folder (`default` for the default segment, see layout.segment_folder). A
mask image, `@masks/seg/file.jpg.semantic.png`, names its item (and its label); `@masks/seg`
names the segment's labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gasvc.errors import InvalidParams
from gasvc.model.masks import MASKS_DIR, mask_path, parse_mask_path
from gasvc.model.metadata import METADATA
from gasvc.model.names import check_remote_path, check_segment_name, escaped, is_utf8
from gasvc.workspace.store.layout import (
    CATALOG,
    DEFAULT_FOLDER,
    ESCAPE,
    folder_segment,
    is_gas_name,
    segment_folder,
    shown_path,
)


@dataclass(frozen=True)
class PathSpec:
    """What one path argument names: the catalog, or a segment with an optional path prefix."""

    catalog: bool = False
    segment: str | None = None
    prefix: str = ""
    labels: bool = False
    #: a mask image's path names its item (`prefix`) and this mask type (model/masks.py)
    mask: str = ""

    def covers(self, segment: str, path: str) -> bool:
        """Whether the spec names this item's file (and with it, its label)."""
        if self.catalog or self.labels or (self.segment is not None and segment != self.segment):
            return False
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    def covers_labels(self, segment: str) -> bool:
        """Whether the spec is the segment's `metadata.jsonl`: every label of the segment."""
        return self.labels and segment == self.segment

    @property
    def shown(self) -> str:
        """The path the spec was given as (workspace-relative)."""
        if self.catalog:
            return CATALOG
        if self.segment is None:
            return "."
        if self.mask:
            return mask_path(segment_folder(self.segment), self.prefix, self.mask)
        return shown_path(self.segment, METADATA if self.labels else self.prefix).rstrip("/")


EVERYTHING = PathSpec()


def parse_pathspec(relative: str, root: Path | None = None) -> PathSpec:
    """What a workspace-relative path names; with the workspace `root`, a top-level file or
    link (no segment's folder, whatever its name) is refused too."""
    path = relative.strip("/")
    if not is_utf8(path):
        raise InvalidParams(f"{escaped(relative)} is not valid UTF-8",
                            "rename the file or folder: gas keeps UTF-8 names only")
    if path in ("", "."):
        return EVERYTHING
    if path == CATALOG:
        return PathSpec(catalog=True)
    if any(is_gas_name(part) for part in path.split("/")):
        raise InvalidParams(f"{relative!r} is not inside a segment folder: a '.gas' folder holds"
                            " a workspace's state and is never data",
                            "give paths outside '.gas' folders")
    folder, _, rest = path.partition("/")
    if folder == MASKS_DIR:
        return _mask_spec(relative, path)
    segment = folder_segment(folder)
    if segment is None:
        raise InvalidParams(f"{relative!r} is not inside a segment folder", _no_segment(folder))
    if root is not None:
        _check_top(root / folder, relative)
    check_segment_name(segment)
    if rest == METADATA:
        return PathSpec(segment=segment, labels=True)
    return PathSpec(segment=segment, prefix=rest)


def _mask_spec(relative: str, path: str) -> PathSpec:
    """A mask image's path names its item and mask type; `@masks/FOLDER` names the labels
    (and so every mask) of the segment in FOLDER."""
    hint = ("a mask image is @masks/<segment folder>/<file path>.<semantic|instance|panoptic>"
            ".png, e.g. @masks/train/a.jpg.semantic.png for the SEMANTIC_MASK of train/a.jpg")
    parts = path.split("/")
    if len(parts) == 2 and folder_segment(parts[1]) is not None:
        return PathSpec(segment=folder_segment(parts[1]), labels=True)
    found = parse_mask_path(path)
    segment = folder_segment(found[0]) if found is not None else None
    if found is None or segment is None:
        raise InvalidParams(f"{relative!r} is no mask image's path", hint)
    check_segment_name(segment)
    try:
        check_remote_path(found[1])
    except InvalidParams as error:
        raise InvalidParams(f"{relative!r} is no mask image's path: {error.message}",
                            hint) from None
    return PathSpec(segment=segment, prefix=found[1], mask=found[2])


def _check_top(top: Path, relative: str) -> None:
    """A segment's folder must be a real folder (or absent: a deleted segment)."""
    if top.is_symlink():
        raise InvalidParams(f"{top.name} is a symbolic link; gas does not read through links",
                            "replace it with a real folder holding the segment's files")
    if top.exists() and not top.is_dir():
        raise InvalidParams(f"{relative!r} is not inside a segment folder",
                            _no_segment(top.name))


def _no_segment(folder: str) -> str:
    """What to do with a top-level entry that is no segment's folder."""
    if folder.startswith(ESCAPE):
        return (f"a folder '@NAME' holds segment NAME only for the names 'default', "
                f"'{CATALOG}' and those starting with '@'; rename {folder!r} (a segment "
                f"{folder!r} lives in '@{folder}/')")
    return (f"only segment folders hold data: move it into one (`{DEFAULT_FOLDER}/` holds the "
            "default segment)")
