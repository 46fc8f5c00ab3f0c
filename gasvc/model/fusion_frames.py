"""`frames.jsonl`: the frames of a fusion segment, one line per frame, in frame order.

A line is ``{"frame_id": "<ULID>", "data": {"<sensor>": "<file>", ...}}``; a sensor's data that
has a timestamp is ``{"file": "<file>", "timestamp": 1.5}`` instead of the bare path. `<file>` is
the file's path in the segment: the sensor's folder, then the data's remote path
(``Lidar/0001.bin``). Frames are ordered by id (the server's order), and gas writes the file
that way, canonically (one line per frame, keys in a fixed order), so diffs stay small.

A line without `frame_id` is a new frame: `assign_ids` gives it a ULID that sorts where the line
is (after the frame before it, before the one after it), so an appended frame comes last.
Lines end at "\\n" only.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gasvc.errors import ClientError, InvalidParams
from gasvc.model.canon import escaped
from gasvc.model.names import check_remote_path
from gasvc.model.names import escaped as quoted
from gasvc.model.sensorfolders import FRAMES as FRAMES
from gasvc.model.strictjson import JsonRefused, load_json

#: The frame ids the server takes: ULIDs (Crockford base 32), or legacy UUID strings.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LINE_HINT = ('each line is {"frame_id": "<ULID>", "data": {"<sensor>": "<sensor folder>/'
              '<file>", ...}}; leave frame_id out for a new frame')


class FramesError(ClientError):
    """A `frames.jsonl` line that cannot be read or does not fit the segment."""


@dataclass(frozen=True)
class SensorData:
    """One sensor's data in a frame: its file's path in the segment, and its timestamp."""

    file: str
    timestamp: int | float | None = None


@dataclass(frozen=True)
class FrameLine:
    """A frame as written in `frames.jsonl`; `line` is its line number (0: not from a file)."""

    frame_id: str | None
    data: dict[str, SensorData]
    line: int = 0


def is_frame_id(value: object) -> bool:
    """A ULID (26 Crockford characters) or a legacy UUID, as the server takes them."""
    if not isinstance(value, str):
        return False
    if len(value) == 26:
        return all(char in _CROCKFORD for char in value) and value[0] <= "7"
    hexes = value.replace("-", "")
    return 32 <= len(value) <= 36 and len(hexes) == 32 and all(
        char in "0123456789abcdefABCDEF" for char in hexes)


# ULIDs --------------------------------------------------------------------------------------
def ulid_text(value: int) -> str:
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def ulid_value(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + _CROCKFORD.index(char)
    return value


def new_ulid(now_ms: int) -> str:
    """A fresh ULID of time `now_ms` (milliseconds) and 80 random bits."""
    return ulid_text((now_ms << 80) | secrets.randbits(80))


def _is_ulid(text: str | None) -> bool:
    return text is not None and len(text) == 26


def id_between(before: str | None, after: str | None, now_ms: int) -> str | None:
    """A ULID sorting after `before` and before `after` (None: no bound); a fresh one of time
    `now_ms` when that fits. None when there is no room (or a bound is a legacy UUID)."""
    if (before is not None and not _is_ulid(before)) or (after is not None
                                                         and not _is_ulid(after)):
        return None
    low = ulid_value(before) if before else -1
    high = ulid_value(after) if after else 1 << 128
    fresh = ulid_value(new_ulid(now_ms))
    if low < fresh < high:
        return ulid_text(fresh)
    if high - low < 2:
        return None
    if after is None:  # the clock is behind the last frame: just after it
        return ulid_text(low + 1 + secrets.randbelow(min(high - low - 1, 1 << 80)))
    return ulid_text((low + high) // 2)


# reading ------------------------------------------------------------------------------------
def parse_frames(text: str, where: str = FRAMES) -> list[FrameLine]:
    """The frames of a `frames.jsonl`, in line order; a bad line raises with its number.
    Checks each line alone, and that frame ids and files are not repeated."""
    frames: list[FrameLine] = []
    ids: dict[str, int] = {}
    files: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        frame = parse_line(raw, f"{where}:{number}", number)
        if frame.frame_id is not None:
            if frame.frame_id in ids:
                raise FramesError(f"{where}:{number}: frame {frame.frame_id} is already on line"
                                  f" {ids[frame.frame_id]}",
                                  "a frame id names one frame: remove one of the lines, or"
                                  " leave frame_id out of a new frame")
            ids[frame.frame_id] = number
        for data in frame.data.values():
            if data.file in files:
                raise FramesError(f"{where}:{number}: {quoted(data.file)} is already in"
                                  f" the frame on line {files[data.file]}",
                                  "a file is the data of one sensor in one frame: copy it"
                                  " under another name for another frame")
            files[data.file] = number
        frames.append(frame)
    return frames


def parse_line(raw: str, where: str, number: int = 0) -> FrameLine:
    try:
        value = load_json(raw, wrapped=2)
    except JsonRefused as error:
        raise FramesError(f"{where}: {error}", _LINE_HINT) from None
    if not isinstance(value, dict):
        raise FramesError(f"{where}: a line must be a JSON object", _LINE_HINT)
    unknown = sorted(value.keys() - {"frame_id", "data"})
    if unknown:
        raise FramesError(f"{where}: unknown field {unknown[0]!r}", _LINE_HINT)
    frame_id = value.get("frame_id")
    if frame_id is not None and not is_frame_id(frame_id):
        raise FramesError(f"{where}: frame_id {frame_id!r} is not a ULID",
                          "a frame id is 26 characters of Crockford base 32 (as the SDK"
                          " makes them); leave frame_id out and gas makes one")
    data = value.get("data")
    if not isinstance(data, dict) or not data:
        raise FramesError(f"{where}: data must be an object with one file per sensor, and"
                          " a frame holds at least one", _LINE_HINT)
    return FrameLine(frame_id, {sensor: _sensor_data(sensor, item, where)
                                for sensor, item in data.items()}, number)


def _sensor_data(sensor: str, item: Any, where: str) -> SensorData:
    if isinstance(item, str):
        item = {"file": item}
    if not isinstance(item, dict) or not isinstance(item.get("file"), str):
        raise FramesError(f"{where}: the data of sensor {sensor!r} must be a file path, or"
                          ' {"file": PATH, "timestamp": NUMBER}', _LINE_HINT)
    unknown = sorted(item.keys() - {"file", "timestamp"})
    if unknown:
        raise FramesError(f"{where}: unknown field {unknown[0]!r} in the data of sensor"
                          f" {sensor!r}", 'a sensor\'s data is {"file": PATH, "timestamp":'
                          " NUMBER} (the timestamp may be left out)")
    timestamp = item.get("timestamp")
    if timestamp is not None and (isinstance(timestamp, bool)
                                  or not isinstance(timestamp, (int, float))
                                  or not math.isfinite(timestamp)):
        raise FramesError(f"{where}: the timestamp of sensor {sensor!r} must be a number",
                          "write seconds as a number, such as 1614667532.5")
    try:
        path = check_remote_path(item["file"])
    except InvalidParams as error:
        raise FramesError(f"{where}: sensor {sensor!r}: {error.message}", error.hint) from None
    return SensorData(path, timestamp)


# writing ------------------------------------------------------------------------------------
def render_line(frame_id: str | None, data: Mapping[str, SensorData]) -> str:
    """One canonical line (without its newline): frame_id first (none for a new frame),
    sensors sorted by name."""
    out: dict[str, Any] = {}
    for sensor in sorted(data):
        item = data[sensor]
        out[sensor] = item.file if item.timestamp is None else {
            "file": item.file, "timestamp": item.timestamp}
    line = {"data": out} if frame_id is None else {"frame_id": frame_id, "data": out}
    return escaped(json.dumps(line, separators=(",", ":"), ensure_ascii=False))


def without_files(text: str, files: Collection[str], where: str = FRAMES) -> str | None:
    """`frames.jsonl` text without the data of `files` (`gas rm`): a line naming one is written
    again without it, or dropped when no data is left; every other line is kept as it is.
    None when no line names one of them; a line that cannot be read raises."""
    lines: list[str | None] = [*text.split("\n")]
    changed = False
    for index, raw in enumerate(lines):
        if raw is None or not raw.strip():
            continue
        frame = parse_line(raw, f"{where}:{index + 1}", index + 1)
        kept = {sensor: data for sensor, data in frame.data.items() if data.file not in files}
        if len(kept) < len(frame.data):
            lines[index], changed = render_line(frame.frame_id, kept) if kept else None, True
    return "\n".join(line for line in lines if line is not None) if changed else None


def render_frames(frames: Iterable[tuple[str, Mapping[str, SensorData]]]) -> str:
    """Canonical `frames.jsonl` text of (frame id, data) pairs, in frame id order."""
    return "".join(render_line(frame_id, data) + "\n" for frame_id, data in sorted(
        frames, key=lambda frame: frame[0]))


def assign_ids(frames: list[FrameLine], now_ms: int, where: str = FRAMES) -> list[FrameLine]:
    """The frames, each new one (no id) given an id that sorts where its line is; sorted by
    id. A new line between two frames whose ids leave no room is an error."""
    out: list[FrameLine] = []
    for index, frame in enumerate(frames):
        if frame.frame_id is not None:
            out.append(frame)
            continue
        before = max((f.frame_id for f in out if f.frame_id), default=None)
        later = [f.frame_id for f in frames[index + 1:] if f.frame_id is not None
                 and (before is None or f.frame_id > before)]
        made = id_between(before, min(later) if later else None, now_ms)
        if made is None:
            raise FramesError(f"{where}:{frame.line}: no frame id fits between the frames"
                              " around this new line", "give it a frame_id yourself, or move"
                              " the line to the end of the file")
        out.append(replace(frame, frame_id=made))
    return sorted(out, key=lambda frame: str(frame.frame_id))
