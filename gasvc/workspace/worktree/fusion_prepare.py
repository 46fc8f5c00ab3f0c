"""`gas add` in a fusion workspace (fusion_files.py): a segment's `sensors.json` and
`frames.jsonl` checked against the working tree and written back canonically."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gasvc.model.canon import sha1_hex
from gasvc.model.fusion import (
    SENSORS,
    FusionMismatch,
    parse_sensors,
    remote_path_of,
    sensor_folder,
)
from gasvc.model.fusion import render_sensors as render_sensors_text
from gasvc.model.fusion_frames import FRAMES, FrameLine, assign_ids, parse_frames, render_frames
from gasvc.model.metadata import read_text
from gasvc.model.names import escaped
from gasvc.workspace.store.layout import Layout, shown_path, write_atomic
from gasvc.workspace.store.state import State


def prepare_segment(layout: Layout, state: State, segment: str, names_sensors: bool,
                     names_frames: bool) -> None:
    """A gas file the index already has as it is (the common `gas add -A`) is not read
    again: it was checked when it was staged, or came from the server."""
    sensors_path, frames_path = layout.file(segment, SENSORS), layout.file(segment, FRAMES)
    sensors_where = shown_path(segment, SENSORS)
    sensors: Mapping[str, Any] | None = None
    if os.path.isfile(sensors_path):
        text = read_text(sensors_path, sensors_where)
        if _staged_as_is(state, segment, SENSORS, text):
            sensors = _names(text)
        else:
            sensors = parse_sensors(text, sensors_where)
            if names_sensors:
                _write_if_changed(layout, sensors_path, text, render_sensors_text(sensors))
    if not names_frames or not os.path.isfile(frames_path):
        return
    where = shown_path(segment, FRAMES)
    text = read_text(frames_path, where)
    if _staged_as_is(state, segment, FRAMES, text):
        return
    frames = parse_frames(text, where)
    if sensors is None and frames:
        raise FusionMismatch(f"{where} names sensors, but {sensors_where} is missing",
                             f"write the segment's sensors into {sensors_where}")
    for frame in frames:
        _check_frame(layout, segment, frame, sensors or {}, where)
    frames = assign_ids(frames, time.time_ns() // 1_000_000, where)
    _write_if_changed(layout, frames_path, text, render_frames(
        (str(frame.frame_id), frame.data) for frame in frames))


def _staged_as_is(state: State, segment: str, name: str, text: str) -> bool:
    entry = state.entry(segment, name)
    return entry is not None and entry.sum == sha1_hex(text.encode())


def _names(text: str) -> dict[str, Any]:
    """The sensors of a `sensors.json` already staged, by name (read, not checked again)."""
    return {str(sensor.get("name")): sensor for sensor in json.loads(text)
            if isinstance(sensor, dict)}


def _check_frame(layout: Layout, segment: str, frame: FrameLine, sensors: Mapping[str, Any],
                 where: str) -> None:
    at = f"{where}:{frame.line}"
    for sensor, data in frame.data.items():
        if sensor not in sensors:
            raise FusionMismatch(f"{at}: sensor {sensor!r} is not in"
                                 f" {shown_path(segment, SENSORS)}",
                                 "add the sensor to sensors.json first, or fix its name")
        if remote_path_of(sensor, data.file) is None:
            raise FusionMismatch(f"{at}: {escaped(data.file)} is not in the folder of sensor"
                                 f" {sensor!r}", "a sensor's data lives in its folder: move"
                                 f" the file into {sensor_folder(sensor)}/ and fix the line")
        if not os.path.isfile(layout.file(segment, data.file)):
            raise FusionMismatch(f"{at}: {escaped(shown_path(segment, data.file))} is not a"
                                 " file", "put the file there, or fix the line")


def _write_if_changed(layout: Layout, path: Path, text: str, canonical: str) -> None:
    if text != canonical:
        write_atomic(path, canonical.encode(), layout.tmp)
