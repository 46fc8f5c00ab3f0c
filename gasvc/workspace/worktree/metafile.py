"""A segment's `metadata.jsonl`: rewriting it when labels change under it (rm, restore,
checkout), and reading it fast for `gas add`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from gasvc.errors import InvalidParams
from gasvc.model.canon import canonical_json, sha1_hex
from gasvc.model.masks import MASKED, MaskRef, has_masks, masks_of
from gasvc.model.metadata import (
    DEFAULT_FOLDER,
    METADATA,
    LabelLine,
    MetadataError,
    parse,
    parse_line,
    read_text,
    render,
)
from gasvc.model.names import MAX_PATH, RESERVED_NAME, check_remote_path
from gasvc.model.strictjson import load_json
from gasvc.workspace.store.layout import Layout, segment_folder, shown_path, write_atomic
from gasvc.workspace.worktree.scan import labels_readable


def write_labels(layout: Layout, segment: str, updates: Mapping[str, dict[str, Any] | None],
                 current: Mapping[str, LabelLine] | None = None) -> None:
    """Set (or, with None, drop) the labels of some items, keeping every other line. `current`
    are the file's lines when the caller has just parsed them (`gas rm`): not read again."""
    path, folder = layout.metadata(segment), segment_folder(segment)
    if current is None:
        current = read_lines(layout, segment)
    labels = {p: line.label for p, line in current.items()}
    for item, label in updates.items():
        if label:
            labels[item] = label
        else:
            labels.pop(item, None)
    text = render(labels.items(), folder)
    if text or path.exists():
        write_atomic(path, text.encode(), layout.tmp)


def read_lines(layout: Layout, segment: str) -> dict[str, LabelLine]:
    """A segment's `metadata.jsonl` parsed ({} when absent); a bad line raises its error."""
    where = shown_path(segment, METADATA)
    try:
        return parse(read_text(layout.metadata(segment), where), where, segment_folder(segment))
    except FileNotFoundError:
        return {}


def replace_labels(layout: Layout, segment: str, labels: dict[str, dict[str, Any]]) -> None:
    """Write a segment's whole `metadata.jsonl` (clone, checkout)."""
    text = render(labels.items(), segment_folder(segment))
    path = layout.metadata(segment)
    if text or path.exists():
        write_atomic(path, text.encode(), layout.tmp)


class LabelRef(NamedTuple):
    """A `metadata.jsonl` line as `gas add` needs it: its number, its (stored) label's id (None
    for an empty label), the label's canonical JSON unless the index already holds that label,
    and the masks it points at (a line with masks is always parsed)."""

    line: int
    label: str | None
    data: bytes | None
    masks: tuple[MaskRef, ...] = ()
    #: set by `maskstage.resolve`: the line must be written again (its masks' images changed),
    #: or why the label cannot be staged (message, hint)
    rewrite: bool = False
    problem: tuple[str, str] | None = None


#: A line as gas writes it (canonical JSON, a path without escapes): the label's text can be
#: compared with the index by its hash, without parsing.
CANONICAL = re.compile(r'\{"file_name":"([^"\\\x00-\x1f]*)","label":(.*)\}')


def read_label_refs(layout: Layout, segment: str, known: Mapping[str, str | None]
                    ) -> dict[str, LabelRef]:
    """The labels of a segment's `metadata.jsonl` by path ({} when absent), exactly as
    `metadata.parse` reads them. `known` are the index's label ids by path: a canonical line whose
    label hashes to its path's id is not parsed."""
    text = read_label_text(layout, segment)
    if text is None:
        return {}
    return label_refs(text, shown_path(segment, METADATA), known, segment_folder(segment))


def read_label_text(layout: Layout, segment: str) -> str | None:
    """The text of a segment's `metadata.jsonl`; None when absent, or reached through a link
    gas does not follow."""
    if not labels_readable(layout, segment):
        return None
    try:
        return read_text(layout.metadata(segment), shown_path(segment, METADATA))
    except FileNotFoundError:
        return None


def label_refs(text: str, where: str, known: Mapping[str, str | None],
               folder: str = DEFAULT_FOLDER) -> dict[str, LabelRef]:
    """`read_label_refs` of a file's text; `where` names it in errors, `folder` is the
    segment's folder."""
    return numbered_refs(enumerate(text.split("\n"), start=1), where, known, folder)


def numbered_refs(lines: Iterable[tuple[int, str]], where: str, known: Mapping[str, str | None],
                  folder: str = DEFAULT_FOLDER) -> dict[str, LabelRef]:
    """`label_refs` of some of a file's lines, given as (line number, text)."""
    refs: dict[str, LabelRef] = {}
    parsed: dict[str, tuple[str | None, bytes | None] | None] = {}
    for number, raw in lines:
        match = CANONICAL.fullmatch(raw)
        found = _quick_ref(match, number, known, parsed) if match else None
        if found is None:
            if not raw.strip():
                continue
            found = _full_ref(raw, where, number, folder)
        path, ref = found
        if path in refs:
            raise MetadataError(f"{where}:{number}: {path!r} already has a label on line "
                                f"{refs[path].line}", "keep one line per file")
        refs[path] = ref
    return refs


def _quick_ref(match: re.Match[str], number: int, known: Mapping[str, str | None],
               parsed: dict[str, tuple[str | None, bytes | None] | None]
               ) -> tuple[str, LabelRef] | None:
    """A canonical line's ref, its label text read once per distinct text: by its hash when that
    is the index's label id for the path, else by `json.loads`. None: parse the line in full."""
    path, text = match.group(1, 2)
    if MASKED in text or not _valid_path(path):
        return None  # a mask: the line form differs from the stored one (more below)
    if text not in parsed:
        label = known.get(path)
        if label is not None and sha1_hex(text.encode()) == label:
            parsed[text] = label, None  # canonical, and already in the index
        else:
            parsed[text] = _label_text(text)
    found = parsed[text]
    return None if found is None else (path, LabelRef(number, *found))


def _full_ref(raw: str, where: str, number: int, folder: str) -> tuple[str, LabelRef]:
    """Any other line, read by `metadata.parse`'s rules (and its errors)."""
    line = parse_line(raw, f"{where}:{number}", folder)
    data = canonical_json(line.label) if line.label else None
    return line.path, LabelRef(number, sha1_hex(data) if data else None, data,
                               tuple(masks_of(line.label)))


def _label_text(text: str) -> tuple[str | None, bytes | None] | None:
    """(id, canonical JSON) of a label's JSON text; None unless it is one JSON object without
    masks (a key spelled with escapes, `"SEMANTIC\\u005fMASK"`, is a mask all the same: the
    decoded label is judged, never its spelling)."""
    try:
        value = load_json(text)
    except ValueError:  # parsed again in full, for the error
        return None
    if not isinstance(value, dict) or has_masks(value):
        return None
    data = canonical_json(value) if value else None
    return (sha1_hex(data) if data else None), data


#: A remote path `check_remote_path` accepts (but for its length and reserved parts): parts that
#: are not empty, "." or "..", without "\\", control characters or lone surrogates. A part starts
#: with a character other than ".", or with "." or ".." then such a character, or with "...".
_CHAR, _FIRST = r"[^\x00-\x1f\x7f\\/\ud800-\udfff]", r"[^\x00-\x1f\x7f\\/.\ud800-\udfff]"
_PART = rf"(?:{_FIRST}{_CHAR}*|\.\.?{_FIRST}{_CHAR}*|\.\.\.{_CHAR}*)"
_PLAIN_PATH = re.compile(f"{_PART}(?:/{_PART})*")
_RESERVED_PART = re.compile(rf"(?:^|/){re.escape(RESERVED_NAME)}(?:/|$)", re.IGNORECASE)


def _valid_path(path: str) -> bool:
    if (len(path) <= MAX_PATH and _PLAIN_PATH.fullmatch(path)
            and not _RESERVED_PART.search(path)):
        return True
    try:
        check_remote_path(path)
    except InvalidParams:
        return False
    return True
