"""Fusion segments between versions and the working tree.

A version records a fusion segment as the server does: frame id → `FrameEntry`s, and the
sensors (model/snapshot.py). The working tree and the index hold it as files
(model/fusion.py: the data files, `sensors.json`, `frames.jsonl`). Here:

- `segment_files` / `diff_segment` / `segment_item`: a version's segment as the items of its
  files, for the moves of checkout, pull and clone and for `gas diff` (normal segments are read
  from their trees as they are). Views are cached per tree and sensors; `keep_gas_files` puts
  the bytes of the gas files a move writes into `.gas/objects/`, where its blob source reads.
- `commit_segments`: at `gas commit`, a fusion segment's frames and sensors are built back from
  the staged files (the gas files' staged bytes are in `.gas/objects/`).

A fusion segment's view is built whole (O(frames of the segment)) when it is needed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from gasvc.model import tree
from gasvc.model.canon import content_id
from gasvc.model.fusion import (
    SENSORS,
    FusionMismatch,
    WorkspaceView,
    build_frames,
    parse_sensors,
    workspace_view,
)
from gasvc.model.fusion_frames import FRAMES, parse_frames
from gasvc.model.snapshot import (
    Item,
    Segment,
    VersionState,
    diff_items,
    frame,
    iterate_items,
    stored_frame,
)
from gasvc.workspace.store.gasfiles import keep_object, required, stored_gas_file_bytes
from gasvc.workspace.store.layout import Layout, shown_path
from gasvc.workspace.store.state import State

#: Views kept (a move reads the old and the new version of each segment).
_KEEP = 8
_VIEWS: OrderedDict[tuple[str | None, str], WorkspaceView] = OrderedDict()
#: Bytes of the gas files of the views made, by SHA-1 (bounded like the views).
_TEXTS: OrderedDict[str, bytes] = OrderedDict()
_LOCK = threading.Lock()


def segment_view(state: State, segment: Segment | None) -> WorkspaceView | None:
    """The files of a fusion segment (None: no such segment)."""
    if segment is None:
        return None
    key = (segment.tree.manifest, content_id(segment.sensors))
    with _LOCK:
        found = _VIEWS.get(key)
        if found is not None:
            _VIEWS.move_to_end(key)
            return found
    frames = ((frame_id, frame(value))
              for frame_id, value in tree.iterate(segment.tree, state.get_object))
    view = workspace_view(segment.sensors, frames)
    with _LOCK:
        _VIEWS[key] = view
        _TEXTS.update(view.texts())
        while len(_VIEWS) > _KEEP:
            _VIEWS.popitem(last=False)
        while len(_TEXTS) > 2 * _KEEP:
            _TEXTS.popitem(last=False)
    return view


def segment_files(state: State, version: VersionState, name: str) -> dict[str, Item]:
    view = segment_view(state, version.segments.get(name))
    return view.files if view is not None else {}


def diff_segment(state: State, old: VersionState, new: VersionState, name: str, fusion: bool
                 ) -> Iterator[tuple[str, Item | None, Item | None]]:
    """(path, old item, new item) of each file a segment differs in, in path order."""
    if not fusion:
        yield from diff_items(old.tree(name), new.tree(name), state.get_object)
        return
    before, after = segment_files(state, old, name), segment_files(state, new, name)
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) != after.get(path):
            yield path, before.get(path), after.get(path)


def segment_item(state: State, version: VersionState, name: str, path: str, fusion: bool
                 ) -> Item | None:
    """A segment's file in a version (None: absent)."""
    if fusion:
        return segment_files(state, version, name).get(path)
    value = tree.lookup(version.tree(name), path, state.get_object)
    return None if value is None else Item.from_stored(value)


def iterate_files(state: State, version: VersionState, name: str, fusion: bool
                  ) -> Iterator[tuple[str, Item]]:
    """(path, item) of every file of a segment in a version, in path order."""
    if fusion:
        yield from sorted(segment_files(state, version, name).items())
    else:
        yield from iterate_items(version.tree(name), state.get_object)


def generated_text(checksum: str) -> bytes | None:
    with _LOCK:
        return _TEXTS.get(checksum)


def keep_gas_files(layout: Layout, state: State, new: VersionState,
                   changes: Iterable[tuple[str, str, Item | None, Item | None]]) -> None:
    """Before a move writes them: the bytes of the gas files it writes (of version `new`)
    into `.gas/objects/`, where the move's blob source finds them (they are on no server)."""
    for segment, path, _, after in changes:
        if after is None or path not in (SENSORS, FRAMES) or after.checksum == "":
            continue
        data = generated_text(after.checksum)
        if data is None:
            view = segment_view(state, new.segments.get(segment))
            data = view.texts().get(after.checksum) if view is not None else None
        if data is not None:
            keep_object(layout, after.checksum, data)


# commits --------------------------------------------------------------------------------------
def commit_segments(layout: Layout, state: State, new: VersionState, names: Iterable[str]
                    ) -> None:
    """Build each named fusion segment of `new` (those present) from the staged index: its
    frames from the staged `frames.jsonl` and files, its sensors from `sensors.json`."""
    for name in sorted(set(names)):
        segment = new.segments.get(name)
        if segment is None:
            continue
        files = {entry.path: Item(entry.sum, entry.size or 0, None, entry.label)
                 for entry in state.entries(name) if entry.sum is not None}
        where = shown_path(name)
        sensors = parse_sensors(_staged_text(layout, name, files, SENSORS), where + SENSORS)
        frames = parse_frames(_staged_text(layout, name, files, FRAMES), where + FRAMES)
        built = build_frames(sensors, frames, files, where)
        segment.tree = tree.build(((frame_id, stored_frame(entries))
                                   for frame_id, entries in built), state.put_object)
        segment.sensors = sensors


def _staged_text(layout: Layout, segment: str, files: dict[str, Item], name: str) -> str:
    where = shown_path(segment, name)
    item = files.get(name)
    if item is None:
        raise FusionMismatch(f"{where} is missing: a fusion segment keeps its sensors in"
                             f" {SENSORS} and its frames in {FRAMES}",
                             f"write it ({SENSORS}: a JSON list of sensors, `[]` for none;"
                             f" {FRAMES}: one line per frame, empty for none), then"
                             f" `gas add {where}`")
    data = _staged_bytes(layout, segment, name, item.checksum)
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise FusionMismatch(f"{where} is not UTF-8", "save it as UTF-8 and add it again"
                             ) from None


def _staged_bytes(layout: Layout, segment: str, name: str, checksum: str) -> bytes:
    return required(gas_file_bytes(layout, segment, name, checksum), segment, name,
                    f"add it again: `gas add {shown_path(segment, name)}`")


def gas_file_bytes(layout: Layout | None, segment: str, name: str, checksum: str
                   ) -> bytes | None:
    """The bytes of a version of a segment's gas file: made by a view, kept in `.gas/objects/`,
    or the working file's (None: none of these has them)."""
    generated = generated_text(checksum)
    if generated is not None or layout is None:
        return generated
    return stored_gas_file_bytes(layout, segment, name, checksum)
