"""`gas rm` in a fusion workspace (remove.py): removed data leave their frames in
`frames.jsonl` — the staged one always, the working one unless `--cached` — so that the segment
still commits; a frame left without data goes. Other lines are kept as they are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gasvc.model.canon import sha1_hex
from gasvc.model.fusion_frames import FRAMES, FramesError, without_files
from gasvc.model.metadata import read_text
from gasvc.model.sensorfolders import GAS_FILES
from gasvc.workspace.store.gasfiles import keep_object, required, stored_gas_file_bytes
from gasvc.workspace.store.layout import Layout, shown_path, write_atomic
from gasvc.workspace.store.state import Entry, State


@dataclass(frozen=True)
class FramesWithout:
    """The new `frames.jsonl` of each segment that loses data: staged bytes, working text."""

    layout: Layout
    staged: dict[str, bytes]
    working: dict[str, str]

    @classmethod
    def of(cls, layout: Layout, state: State, items: Iterable[Entry], cached: bool
           ) -> FramesWithout:
        """Read (and check) every frames file to change before anything changes."""
        data_files: dict[str, set[str]] = {}
        removed = {(entry.segment, entry.path) for entry in items}
        for segment, path in removed:
            if path not in GAS_FILES and (segment, FRAMES) not in removed:
                data_files.setdefault(segment, set()).add(path)
        staged: dict[str, bytes] = {}
        working: dict[str, str] = {}
        for segment, files in sorted(data_files.items()):
            where = shown_path(segment, FRAMES)
            text = _staged_text(layout, state, segment, where)
            new = None if text is None else without_files(text, files, where)
            if new is not None:
                staged[segment] = new.encode()
            if cached:
                continue
            try:
                new = without_files(read_text(layout.file(segment, FRAMES), where), files, where)
            except FileNotFoundError:
                continue
            if new is not None:
                working[segment] = new
        return cls(layout, staged, working)

    def stage(self, state: State) -> None:
        """Stage the new frames files (their bytes kept in `.gas/objects/`)."""
        for segment, data in self.staged.items():
            checksum = sha1_hex(data)
            keep_object(self.layout, checksum, data)
            state.stage(segment, FRAMES, checksum, len(data), None)

    def write_working(self) -> None:
        for segment, text in self.working.items():
            write_atomic(self.layout.file(segment, FRAMES), text.encode(), self.layout.tmp)


def _staged_text(layout: Layout, state: State, segment: str, where: str) -> str | None:
    """The staged `frames.jsonl` of a segment (None: none staged)."""
    entry = state.entry(segment, FRAMES)
    if entry is None or entry.sum is None:
        return None
    data = required(stored_gas_file_bytes(layout, segment, FRAMES, entry.sum), segment, FRAMES,
                    f"add it again (`gas add {where}`), then remove the files")
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise FramesError(f"the staged {where} is not UTF-8",
                          f"save it as UTF-8 and `gas add {where}` again") from None
