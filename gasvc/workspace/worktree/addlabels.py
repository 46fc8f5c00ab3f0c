"""The labels `gas add` reads of a segment: every line of its `metadata.jsonl`, or, while the
segment's recorded lines stand (labeldelta.py), only the lines not in the record; and the staged
labels it compares them with. After staging, what to record for the next command.
"""

from __future__ import annotations

from collections.abc import Iterator

from gasvc.model.masks import may_name_mask
from gasvc.model.metadata import METADATA
from gasvc.workspace.store.labellines import packed
from gasvc.workspace.store.layout import Layout, segment_folder, shown_path
from gasvc.workspace.store.state import State
from gasvc.workspace.worktree.compare import ItemState
from gasvc.workspace.worktree.labeldelta import label_delta
from gasvc.workspace.worktree.maskstage import resolve
from gasvc.workspace.worktree.metafile import LabelRef, label_refs, read_label_text

#: The line number of a ref made from a recorded line (never shown: such a line labels a
#: tracked item, so no error about an untracked path names it).
RECORDED = 0


class AddLabels:
    """`refs`: path → the line's ref, for every line, or (with a delta) for the lines not
    recorded and the recorded lines of the items `note` was told of; `tracked`: path → staged
    label id, of every staged item, or (with a delta) of those the refs and `note` name."""

    def __init__(self, layout: Layout, state: State, segment: str) -> None:
        self.state, self.segment = state, segment
        self.text = read_label_text(layout, segment)
        where, folder = shown_path(segment, METADATA), segment_folder(segment)
        self.delta = None if self.text is None else label_delta(state, segment, self.text,
                                                                where, folder)
        refs: dict[str, LabelRef]
        if self.delta is None:
            self.tracked = state.staged_labels(segment)
            refs = {} if self.text is None else label_refs(self.text, where, self.tracked,
                                                           folder)
        else:
            self.tracked = dict(self.delta.staged)
            refs = self.delta.refs
        self.refs = resolve(layout, state, segment, refs)

    def note(self, item: ItemState) -> None:
        """A tracked item the comparison reported: with a delta, its recorded line (if still
        there) becomes a ref."""
        entry = item.entry
        if self.delta is None or entry is None or entry.sum is None:
            return
        self.tracked.setdefault(item.path, entry.label)
        if (entry.label is not None and item.path not in self.delta.unlabelled
                and item.path not in self.refs):
            self.refs[item.path] = LabelRef(RECORDED, entry.label, None)

    def changed(self) -> Iterator[tuple[str, str | None]]:
        """(path, staged label id) of staged items whose line (or lack of one) says another
        label, or one that cannot be staged."""
        if self.delta is not None:
            for path in self.delta.changed():
                yield path, self.tracked[path]
            return
        for path, staged in self.tracked.items():
            ref = self.refs.get(path)
            if (ref.label if ref is not None else None) != staged or (
                    ref is not None and ref.problem is not None):
                yield path, staged

    def any_tracked(self) -> bool:
        if self.delta is None:
            return bool(self.tracked)
        return self.state.tracks(self.segment)

    def is_tracked(self, path: str) -> bool:
        """Whether a path is a staged item (any path, not only those `tracked` names)."""
        if self.delta is None or path in self.tracked:
            return path in self.tracked
        return self.state.tracks(self.segment, path)

    def tracks_under(self, folder: str) -> bool:
        """Whether a staged item is in the folder ("dir/")."""
        return self.state.tracks(self.segment, folder)

    def record(self, added: set[str]) -> bytes | None:
        """The lines to record once every label of the segment is staged (add), the items
        `added` newly staged with the others; None when a line may point at a mask."""
        if self.text is None or may_name_mask(self.text):
            return None
        if self.delta is not None:  # the recorded lines still there, and new ones now staged
            delta = self.delta
            staged = {ref.line for path, ref in self.refs.items()
                      if ref.line != RECORDED and ref.label is not None
                      and (path in added or path in self.tracked)}
            dropped = sorted(delta.new.keys() - staged, reverse=True)
            if delta.aligned and not dropped:  # every line, as the file has them
                return packed([delta.text.removesuffix("\n")])
            if delta.aligned:  # no blank line: the file's lines but the new ones not staged
                lines = delta.lines[:len(delta.lines) - (delta.lines[-1] == "")]
                for number in dropped:
                    del lines[number - 1]
                return packed(lines)
            return packed(line for number, line in enumerate(delta.lines, start=1)
                          if number in staged or (number not in delta.new and line.strip()))
        lines = self.text.split("\n")
        return packed(lines[ref.line - 1] for path, ref in self.refs.items()
                      if ref.label is not None and (path in added or path in self.tracked))
