"""A changed `metadata.jsonl` read line by line only where it changed, against its recorded lines
(store/labellines.py): the lines last found to match the staged labels, one for every staged
item with a label, nothing else.

While the record stands, the segment's staged items and their labels are as they were, so a line
found in the record still matches; what can differ is only in the lines that are not in it (they
are parsed, as `metafile.label_refs` parses any line) and the recorded lines that are gone. An
item whose recorded line is gone has lost its label unless a new line labels it. A file with as
many lines as its record (labels changed in place) is compared with it line by line, any other
by set; 100,000 lines with 100 changed cost a string comparison (or a set lookup) per line and
the parsing of 100.

The record is left alone (the whole file is read as before) when a line may point at a mask (mask
images are checked from the lines that name them), a recorded line shows twice, or a line cannot
be read (the whole reading names the first bad line, as it always has).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from gasvc.model.masks import may_name_mask
from gasvc.model.metadata import MetadataError, parse_line
from gasvc.workspace.store.labellines import packed, recorded_lines
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.metafile import CANONICAL, LabelRef, numbered_refs


@dataclass(frozen=True)
class LabelDelta:
    """What a `metadata.jsonl` holds beyond its recorded lines."""

    #: the lines not in the record, read: path → ref (line numbers as in the file)
    refs: dict[str, LabelRef]
    #: the items whose recorded line is gone and which no new line labels
    unlabelled: frozenset[str]
    #: staged label ids of the staged items among the paths of `refs` and of gone lines
    staged: dict[str, str | None]
    #: the file's text, and its lines not in the record (or not in its place) by number
    text: str
    new: dict[int, str]
    #: whether the file has the record's lines in their places but the new ones (no blank)
    aligned: bool

    @cached_property
    def lines(self) -> list[str]:
        """The file's lines (split only when asked for: a status never needs them)."""
        return self.text.split("\n")

    def changed(self) -> set[str]:
        """Paths of staged items whose label in the file differs from the staged one."""
        found = set(self.unlabelled)
        found.update(path for path, ref in self.refs.items()
                     if path in self.staged and ref.label != self.staged[path])
        return found


def label_delta(state: State, segment: str, text: str, where: str, folder: str
                ) -> LabelDelta | None:
    """The file's text against the segment's record; None when there is no record or it
    cannot be used (see the module's doc: read the whole file then)."""
    if may_name_mask(text):
        return None
    recorded = recorded_lines(state, segment)
    if recorded is None:
        return None
    aligned = _aligned(text, recorded)
    found = aligned or _by_set(text.split("\n"), recorded.decode())
    if found is None:
        return None  # a recorded line twice: its item has two labels
    new, gone_lines = found
    gone = [line_path(raw, where, folder) for raw in gone_lines]
    paths = {match.group(1) for _, raw in new if (match := CANONICAL.fullmatch(raw))}
    staged = state.staged_labels_of(segment, sorted(paths.union(gone)))
    try:
        refs = numbered_refs(new, where, staged, folder)
    except MetadataError:
        return None
    staged.update(state.staged_labels_of(segment, sorted(refs.keys() - paths)))
    unlabelled = frozenset(path for path in gone if path not in refs)
    if any(staged.get(path) is not None for path in refs.keys() - gone):
        return None  # a labelled item's recorded line is still there: a second line for it
    return LabelDelta(refs, unlabelled, staged, text, dict(new), aligned is not None)


Found = tuple[list[tuple[int, str]], list[str]]


def py_aligned_lines(text: str, recorded: bytes) -> list[tuple[int, str, str]] | None:
    """[(index, line, recorded line)] of the lines that differ between the file's text and its
    record, when both have as many lines (the file may end with a newline); else None."""
    lines = text.split("\n")
    before = recorded.decode().split("\n") if recorded else []
    count = len(lines) - (lines[-1] == "")  # the newline ending the last line
    if count != len(before):
        return None
    return [(i, now, then) for i, (now, then) in enumerate(zip(lines[:count], before,
                                                              strict=True)) if now != then]


try:  # the same, natively: no line is split off but those that differ
    from gasvc._listing import aligned_lines as _aligned_lines
except ImportError:
    _aligned_lines = py_aligned_lines


def _aligned(text: str, recorded: bytes) -> Found | None:
    """(new lines with their numbers, gone lines) when the file has as many lines as the
    record, in the same places but for those that changed (a file rewritten with some labels
    changed): compared line by line, no set built. None otherwise."""
    differ = _aligned_lines(text, recorded)
    if differ is None:
        return None
    if any(not line.strip() for _, line, _ in differ):
        return None  # a blank line where the record has one: read by set
    return [(i + 1, line) for i, line, _ in differ], [then for _, _, then in differ]


def _by_set(lines: list[str], recorded: str) -> Found | None:
    """(new lines, gone lines) by set; None when a recorded line shows twice."""
    before = frozenset(recorded.split("\n")) if recorded else frozenset()
    present = set(lines)
    if len(present) < len(lines) and _recorded_twice(lines, before):
        return None
    fresh = {raw for raw in present.difference(before) if raw.strip()}
    new = [(number, raw) for number, raw in enumerate(lines, start=1) if raw in fresh
           ] if fresh else []
    return new, list(before.difference(present))


def _recorded_twice(lines: list[str], recorded: frozenset[str]) -> bool:
    return any(count > 1 and line in recorded for line, count in Counter(lines).items())


def line_path(raw: str, where: str, folder: str) -> str:
    """The path a recorded line labels (it was read without error before)."""
    match = CANONICAL.fullmatch(raw)
    return match.group(1) if match else parse_line(raw, where, folder).path


def matching_lines(text: str, refs: Mapping[str, LabelRef], staged: Mapping[str, str | None]
                   ) -> bytes | None:
    """The record (packed) of a file read in full and found to match the staged labels
    `staged` (path → id of every staged item); None when a line may point at a mask."""
    if may_name_mask(text):
        return None
    lines = text.split("\n")
    return packed(lines[ref.line - 1] for path, ref in refs.items()
                  if staged.get(path) is not None)
