"""Fusion segments of server commits, built locally from what the server lists.

A fusion segment is listed whole: its sensors (ListSensor), then its frames page by page
(ListDataDetails gives one frame per item, each sensor's data with its label). Everything is
checked before it is used, as for normal segments (listing.py): sensor names must be folder
names, each frame id a ULID listed once in ascending order, each sensor once per frame and
known to the segment, each data item as `check_item` wants it, and no two data of a sensor at
one remote path (in the workspace they would be one file). The tree comes out exactly like the
server's: frame id → `FrameEntry`s sorted by sensor.

A clone's sink gets each page as the items of the segment's files (model/fusion.py), so it
downloads and indexes them as a normal segment's (their labels in the stored form, masks and
all: remote_masks.py), and then the two gas files.
"""

from __future__ import annotations

import os
from typing import Any

from gasvc.api.fusion import list_sensors
from gasvc.model import tree
from gasvc.model.canon import sha1_hex
from gasvc.model.fusion import (
    SENSORS,
    WorkspaceView,
    data_file,
    sensor_name_problem,
    workspace_view,
)
from gasvc.model.fusion_frames import FRAMES, is_frame_id
from gasvc.model.names import escaped
from gasvc.model.snapshot import FrameEntry, Item, Segment, stored_frame
from gasvc.workspace.store.gasfiles import keep_object
from gasvc.workspace.store.layout import Layout, WriteGuard, write_atomic
from gasvc.workspace.store.state import State
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.listing import RefusedListing, check_item, clash
from gasvc.workspace.sync.remote_masks import stored_listed_label
from gasvc.workspace.sync.remote_state import ListingSink, RemoteItem, save_labels


def check_sensors(segment: str, raws: list[Any]) -> dict[str, dict[str, Any]]:
    sensors: dict[str, dict[str, Any]] = {}
    for raw in raws:
        name = raw.get("name") if isinstance(raw, dict) else None
        problem = sensor_name_problem(name)
        if problem is not None:
            raise RefusedListing(f"the server lists a sensor gas refuses in segment"
                                 f" {escaped(segment)}: {problem}")
        assert isinstance(name, str)
        if name in sensors:
            raise RefusedListing(f"the server lists the sensor {escaped(name)} twice in"
                                 f" segment {escaped(segment)}")
        sensors[name] = dict(raw)
    return sensors


def fusion_segment(conn: Connection, state: State, name: str, commit: str,
                   description: str, sink: ListingSink | None = None) -> Segment:
    """A fusion segment of server commit `commit`, from full listings."""
    sensors = check_sensors(name, list_sensors(conn.client, conn.dataset_id, name, commit))
    frames: list[tuple[str, list[FrameEntry]]] = []
    files = _Files(name)
    for page, total in conn.client.details_pages(conn.dataset_id, name, commit):
        items: list[RemoteItem] = []
        for raw in page:
            frame_id, entries = _frame(conn, name, raw, sensors,
                                       frames[-1][0] if frames else None)
            for entry, item in entries:
                files.add(entry)
                items.append(item)
            frames.append((frame_id, [entry for entry, _ in entries]))
        save_labels(state, items)
        if sink is not None:
            sink.page(name, items, total)
    ref = tree.build(((frame_id, stored_frame(entries)) for frame_id, entries in frames),
                     state.put_object)
    if sink is not None:
        sink.fusion_files(name, workspace_view(sensors, frames))
    return Segment(description, ref, sensors)


class _Files:
    """The files of a fusion segment's data as they are listed (in frame order, not path
    order): none twice, none that is also a folder of another. Memory: the paths and their
    folders."""

    def __init__(self, segment: str) -> None:
        self.segment = segment
        self.files: set[str] = set()
        self.folders: set[str] = set()

    def add(self, entry: FrameEntry) -> str:
        path = data_file(entry.sensor, entry.path)
        if path in self.files:
            raise RefusedListing(f"the server lists two data of sensor {escaped(entry.sensor)}"
                                 f" at {escaped(entry.path)} in segment {escaped(self.segment)}:"
                                 " gas keeps one file there")
        if path in self.folders:
            inner = next(f for f in sorted(self.files) if f.startswith(path + "/"))
            raise clash(self.segment, path, inner)
        parts = path.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            if folder in self.files:
                raise clash(self.segment, folder, path)
            self.folders.add(folder)
        self.files.add(path)
        return path


def _frame(conn: Connection, segment: str, raw: Any, sensors: dict[str, Any], last: str | None
           ) -> tuple[str, list[tuple[FrameEntry, RemoteItem]]]:
    """A listed frame's id and entries (sorted by sensor), each with the item of its file (its
    label in the stored form, its masks' URLs: remote_masks.py)."""
    frame_id = raw.get("frameId") if isinstance(raw, dict) else None
    if not is_frame_id(frame_id):
        raise RefusedListing(f"the server lists a frame id gas refuses in segment"
                             f" {escaped(segment)}: {frame_id!r}")
    assert isinstance(frame_id, str)
    if last is not None and frame_id <= last:
        raise RefusedListing(f"the server lists frame {frame_id} of segment {escaped(segment)}"
                             f" {'twice' if frame_id == last else 'out of order'}")
    data = raw.get("frame")
    if not isinstance(data, list) or not data:
        raise RefusedListing(f"the server lists frame {frame_id} of segment {escaped(segment)}"
                             " without data")
    entries: dict[str, tuple[FrameEntry, RemoteItem]] = {}
    for item in data:
        sensor = item.get("sensorName") if isinstance(item, dict) else None
        if not isinstance(sensor, str) or sensor not in sensors or sensor in entries:
            what = "twice" if sensor in entries else "but the segment has no such sensor"
            raise RefusedListing(f"the server lists data of sensor {sensor!r} in frame"
                                 f" {frame_id} of segment {escaped(segment)} {what}")
        path, checksum, size, label, text = check_item(segment, item)
        timestamp = item.get("timestamp")
        if timestamp is not None and (isinstance(timestamp, bool)
                                      or not isinstance(timestamp, (int, float))):
            raise RefusedListing(f"the server lists {escaped(path)} of segment"
                                 f" {escaped(segment)} with the timestamp {timestamp!r}")
        file = data_file(sensor, path)
        stored, text, mask_urls = stored_listed_label(conn, segment, file, label, text)
        entry = FrameEntry(sensor, path, checksum, size, timestamp,
                           sha1_hex(text) if stored else None)
        value = Item(checksum, size, None, entry.label)  # in the workspace: frames.jsonl's
        entries[sensor] = (entry, RemoteItem(file, value, stored, text,
                                             str(item.get("url") or ""), mask_urls))
    return frame_id, [entries[sensor] for sensor in sorted(entries)]


def write_gas_files(layout: Layout, state: State, segment: str, view: WorkspaceView) -> None:
    """Write a cloned fusion segment's `sensors.json` and `frames.jsonl`, index them as
    committed, and keep their bytes in `.gas/objects/`."""
    guard = WriteGuard(layout)
    for name, text in ((SENSORS, view.sensors), (FRAMES, view.frames)):
        data, item, target = text.encode(), view.files[name], layout.file(segment, name)
        guard.check(target)
        keep_object(layout, item.checksum, data)
        write_atomic(target, data, layout.tmp)
        st = os.stat(target)
        with state.transaction():
            state.load_entries(segment, [(name, item.checksum, item.size, None)])
            state.refresh_stat(segment, name, st.st_mtime_ns, st.st_ino)
