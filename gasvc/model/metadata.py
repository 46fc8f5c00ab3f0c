"""`metadata.jsonl`: the labels of one segment, one line per labelled item, sorted by path.

Each line is `{"file_name": "images/0001.jpg", "label": {...}}` (the Hugging Face imagefolder
convention), written canonically so that diffs stay minimal (line breaks inside strings
escaped). Lines end at "\n" only. A mask in a line names its image file (masks.py: the line
form); parsing gives the stored form, rendering writes the line form. Both need the segment's
folder, which mask file paths start with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from gasvc.errors import ClientError, InvalidParams
from gasvc.model.canon import canonical_json, escaped
from gasvc.model.masks import BadMask, has_masks, line_label, stored_label
from gasvc.model.names import check_remote_path
from gasvc.model.sensorfolders import METADATA as METADATA
from gasvc.model.strictjson import MAX_DEPTH, JsonRefused, load_json

#: The default segment's folder (layout.segment_folder), for callers that name no folder.
DEFAULT_FOLDER = "default"


class MetadataError(ClientError):
    """A `metadata.jsonl` line that cannot be read."""



@dataclass(frozen=True)
class LabelLine:
    line: int
    path: str
    label: dict[str, Any]


def read_text(path: Path, where: str) -> str:
    """A label or catalog file's text; bytes that are not UTF-8 are an error naming their line
    (`where` names the file). FileNotFoundError passes through."""
    data = path.read_bytes()
    try:
        return data.decode()
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise MetadataError(f"{where}:{line}: not valid UTF-8 (byte 0x{data[error.start]:02x})",
                            "save the file as UTF-8") from None


def parse(text: str, where: str = METADATA, folder: str = DEFAULT_FOLDER
          ) -> dict[str, LabelLine]:
    """Labels (stored form) by path; every bad line raises with its number and what is wrong.
    `folder` is the segment's folder (workspace code always gives it)."""
    labels: dict[str, LabelLine] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        item = parse_line(raw, f"{where}:{number}", folder)
        if item.path in labels:
            raise MetadataError(
                f"{where}:{number}: {item.path!r} already has a label on line "
                f"{labels[item.path].line}", "keep one line per file")
        labels[item.path] = LabelLine(number, item.path, item.label)
    return labels


def parse_line(raw: str, where: str, folder: str) -> LabelLine:
    """One line's path and stored label (its number left 0); `where` names it in errors,
    `folder` is the segment's folder."""
    hint = 'each line is {"file_name": "path/in/segment.jpg", "label": {...}}'
    try:
        item = load_json(raw, wrapped=1)
    except JsonRefused as error:
        raise MetadataError(f"{where}: {error}", f"{hint}, in standard JSON: finite numbers"
                            f" (no NaN or Infinity), nested at most {MAX_DEPTH} levels") from None
    if not isinstance(item, dict) or "file_name" not in item:
        raise MetadataError(f"{where}: no file_name", hint)
    if len(item) > 1 + ("label" in item):  # a column besides file_name and label
        _refuse_other_columns(item, where)
    label = item.get("label", {})
    if not isinstance(label, dict):
        raise MetadataError(f"{where}: label must be a JSON object", hint)
    try:
        path = check_remote_path(item["file_name"])
    except InvalidParams as error:
        raise MetadataError(f"{where}: {error.message}", error.hint) from None
    try:
        return LabelLine(0, path, stored_label(label, folder, path))
    except BadMask as error:
        raise MetadataError(f"{where}: {error.message}", error.hint) from None


#: The columns of a line; the server keeps nothing else of it (a label is one JSON object).
COLUMNS = ("file_name", "label")


def _refuse_other_columns(item: dict[str, Any], where: str) -> NoReturn:
    """A column the server cannot store would be lost at push: refused, never dropped."""
    others = [key for key in item if key not in COLUMNS]
    names = ", ".join(repr(key) for key in others)
    raise MetadataError(
        f"{where}: column{'s' if len(others) > 1 else ''} {names} cannot be stored on the"
        " server (a line holds only file_name and label)",
        f"move {names} into the label (as a label type such as BOX2D or SENTENCE, or an"
        " attribute) or into a file of its own")


def render(labels: Iterable[tuple[str, dict[str, Any]]], folder: str = DEFAULT_FOLDER) -> str:
    """Canonical `metadata.jsonl` text for (path, stored label) pairs of the segment whose
    folder is `folder`; empty labels are left out."""
    return render_known(((path, label, None) for path, label in labels), folder)


def render_known(labels: Iterable[tuple[str, dict[str, Any], bytes | None]],
                 folder: str = DEFAULT_FOLDER) -> str:
    """`render` of (path, stored label, its canonical JSON if known): a listing has made it
    already, and a label without masks is written as it is in its line."""
    lines = []
    for path, label, data in sorted(labels, key=_path):
        if not label:
            continue
        if data is None or has_masks(label):
            data = canonical_json(line_label(label, folder, path))
        # one line each, even where the label holds a line break (U+2028...)
        lines.append(escaped(f'{{"file_name":{canonical_json(path).decode()},'
                             f'"label":{data.decode()}}}\n'))
    return "".join(lines)


def _path(row: tuple[str, dict[str, Any], bytes | None]) -> str:
    return row[0]
