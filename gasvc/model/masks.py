"""Mask labels (SEMANTIC_MASK, INSTANCE_MASK, PANOPTIC_MASK) and where their images live.

A mask is an image a label points at (spec 3.8, 4.1.11-13). It has three forms:

- read form, as the server lists it: `{"remotePath", "info"?, "url"}` (gasvc's server adds the
  mask's `checksum` and `fileSize`);
- stored form, as it is uploaded and kept (index, commits, label ids):
  `{"checksum", "fileSize", "info"?}`; a `PANOPTIC_MASK` always has `info` (possibly `[]`), as
  the SDK uploads it, so a label's id here is the one the server stores;
- line form, in `metadata.jsonl`: the stored form plus `"path"`, the mask's file in the
  workspace (`mask_path`). The line records the checksum and size the mask had when last staged.

A mask file lives outside every segment folder, at `@masks/<segment folder>/<remotePath>.<kind>.png`
(kind `semantic`, `instance` or `panoptic`): one file per item and kind, never a data path.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from gasvc.model.names import is_sha1

#: The top-level folder of mask files (no segment's folder: see layout.folder_segment).
MASKS_DIR = "@masks"
#: Mask label types and the word naming each in a mask file's name.
KINDS = {"SEMANTIC_MASK": "semantic", "INSTANCE_MASK": "instance", "PANOPTIC_MASK": "panoptic"}
PANOPTIC = "PANOPTIC_MASK"
#: In a label's JSON text, the end of a mask type's key as gas (and any JSON writer that does
#: not escape ASCII) writes it. A text without it can still spell the key with escapes
#: (`"SEMANTIC\u005fMASK"`): see `may_name_mask`.
MASKED = '_MASK"'
#: A \u escape of a printable ASCII character: how else a mask type's key can be spelled (gas
#: and json.dumps escape only control characters and, optionally, non-ASCII ones).
_ASCII_ESCAPE = re.compile(r"\\u00[2-7][0-9a-fA-F]")
_KIND_SET = frozenset(KINDS)
_SUFFIXES = {f".{word}.png": kind for kind, word in KINDS.items()}
#: The keys of a mask in the line form.
LINE_KEYS = ("checksum", "fileSize", "info", "path")


class BadMask(Exception):
    """A mask entry gas refuses; `hint` says what to write instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


class MaskRef(NamedTuple):
    """A mask of a stored label: its kind, and its image's checksum and size (None when the
    label does not record them yet: a mask a user just added to a line)."""

    kind: str
    checksum: str | None
    size: int | None


def mask_path(folder: str, path: str, kind: str) -> str:
    """The workspace-relative file of the `kind` mask of item `path` in the segment whose
    folder is `folder`."""
    return f"{MASKS_DIR}/{folder}/{path}.{KINDS[kind]}.png"


def parse_mask_path(shown: str) -> tuple[str, str, str] | None:
    """(segment folder, item path, kind) of a workspace-relative mask file path; None when
    the path is no mask file's."""
    top, _, rest = shown.partition("/")
    folder, _, name = rest.partition("/")
    if top != MASKS_DIR or not folder:
        return None
    for suffix, kind in _SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return folder, name[: -len(suffix)], kind
    return None


def may_name_mask(text: str) -> bool:
    """Whether JSON text may hold a mask type's key, as its decoded JSON would: it names one as
    written (MASKED), or spells a character with a \\u escape of printable ASCII. False means
    it surely holds none; True only that it must be read."""
    return MASKED in text or _ASCII_ESCAPE.search(text) is not None


def has_masks(label: dict[str, Any] | None) -> bool:
    return label is not None and not _KIND_SET.isdisjoint(label)  # (a clone asks per file)


def masks_of(label: dict[str, Any] | None) -> list[MaskRef]:
    """The masks of a stored label, in kind order."""
    if not label:
        return []
    found = []
    for kind in KINDS:
        mask = label.get(kind)
        if isinstance(mask, dict):
            checksum, size = mask.get("checksum"), mask.get("fileSize")
            found.append(MaskRef(kind, checksum if isinstance(checksum, str) else None,
                                 size if _is_size(size) else None))
    return found


def with_mask_file(label: dict[str, Any], kind: str, checksum: str, size: int
                   ) -> dict[str, Any]:
    """The stored label with its `kind` mask's image set to (checksum, size)."""
    return {**label, kind: {**label[kind], "checksum": checksum, "fileSize": size}}


def line_label(label: dict[str, Any], folder: str, path: str) -> dict[str, Any]:
    """The line form of a stored label: each mask names its file."""
    if not has_masks(label):
        return label
    return {kind: ({**value, "path": mask_path(folder, path, kind)}
                   if kind in KINDS and isinstance(value, dict) else value)
            for kind, value in label.items()}


def stored_label(label: dict[str, Any], folder: str, path: str) -> dict[str, Any]:
    """The stored form of a line's label; raises BadMask for a mask gas refuses: not an
    object, not at its file's path, keys other than LINE_KEYS, a bad checksum, size or info."""
    if not has_masks(label):
        return label
    stored = dict(label)
    for kind in KINDS:
        if kind in label:
            stored[kind] = _stored_mask(kind, label[kind], mask_path(folder, path, kind), path)
    return stored


def _stored_mask(kind: str, mask: Any, expected: str, path: str) -> dict[str, Any]:
    example = f'"{kind}": {{"path": "{expected}", "info": [...]}}'
    if not isinstance(mask, dict):
        raise BadMask(f"{kind} of {path!r} must be an object", f"write {example}")
    given = mask.get("path")
    if given != expected:
        where = "names no file" if given is None else f"names {given!r}"
        raise BadMask(f"{kind} of {path!r} {where}; its image is {expected!r}",
                      f'set "path": "{expected}" (masks live in @masks/: one file per item'
                      " and mask type) and put the image there")
    unknown = sorted(set(mask) - set(LINE_KEYS))
    if unknown:
        raise BadMask(f"{kind} of {path!r} has the keys {unknown}, which a mask cannot hold",
                      "a mask holds path, info, checksum and fileSize only (gas add writes the"
                      " last two)")
    if "checksum" in mask and not (isinstance(mask["checksum"], str)
                                   and is_sha1(mask["checksum"])):
        raise BadMask(f"{kind} of {path!r} has the checksum {mask['checksum']!r}",
                      "remove checksum and fileSize: gas add writes them from the image")
    if "fileSize" in mask and not _is_size(mask["fileSize"]):
        raise BadMask(f"{kind} of {path!r} has the fileSize {mask['fileSize']!r}",
                      "remove checksum and fileSize: gas add writes them from the image")
    info = mask.get("info", [])
    if not isinstance(info, list) or not all(isinstance(entry, dict) for entry in info):
        raise BadMask(f"{kind} of {path!r}: info must be a list of objects",
                      'write "info": [{"categoryId": 0, "attributes": {...}}, ...]')
    stored = {key: value for key, value in mask.items() if key != "path"}
    if kind == PANOPTIC:
        stored.setdefault("info", [])
    return stored


def stored_from_read(label: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The stored form of a label as the server lists it, and the download URL of each mask
    whose checksum the listing lacks (their stored form has no checksum or size yet: see
    `with_mask_file`). Raises BadMask for a mask entry that is not an object or whose
    checksum or size is not one."""
    if not has_masks(label):
        return label, {}
    stored, unknown = dict(label), {}
    for kind in KINDS:
        if kind not in label:
            continue
        read = label[kind]
        if not isinstance(read, dict):
            raise BadMask(f"{kind} is not an object", "")
        mask: dict[str, Any] = {}
        if "checksum" in read or "fileSize" in read:
            if not (isinstance(read.get("checksum"), str) and is_sha1(read["checksum"])
                    and _is_size(read.get("fileSize"))):
                raise BadMask(f"{kind} has the checksum {read.get('checksum')!r} and the size"
                              f" {read.get('fileSize')!r}", "")
            mask.update(checksum=read["checksum"], fileSize=read["fileSize"])
        else:
            unknown[kind] = str(read.get("url") or "")
        if "info" in read or kind == PANOPTIC:
            mask["info"] = read.get("info", [])
        stored[kind] = mask
    return stored, unknown


def mask_changes(old: dict[str, Any] | None, new: dict[str, Any] | None
                 ) -> list[tuple[str, MaskRef | None, MaskRef | None]]:
    """(kind, old mask, new mask) of each mask type whose image differs between two stored
    labels of one item (None: no such mask on that side)."""
    before = {ref.kind: ref for ref in masks_of(old)}
    after = {ref.kind: ref for ref in masks_of(new)}
    return [(kind, before.get(kind), after.get(kind)) for kind in KINDS
            if before.get(kind) != after.get(kind)]


def is_image_field(path: str) -> bool:
    """Whether a label field path (labeldiff.py) is a mask's checksum or size, which a diff
    shows as the mask's image changing instead."""
    kind, _, key = path.partition(".")
    return kind in KINDS and key in ("checksum", "fileSize")


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
