"""Fusion segments as files: sensors in `sensors.json`, frames in `frames.jsonl`, each sensor's
data in the sensor's folder.

```
train/
  sensors.json        the segment's sensors (spec 4.3), a JSON list sorted by name
  frames.jsonl        one line per frame, in frame order (model/fusion_frames.py)
  metadata.jsonl      labels, keyed by the file's path in the segment, as in a normal segment
  Lidar/0001.bin      sensor Lidar's data whose remote path is "0001.bin"
  Camera/0001.jpg
```

A version records a fusion segment as the server does (frame id → `FrameEntry`s, sensors in
`Segment.sensors`); `workspace_view` turns that into the files above (the data files plus the
two gas files, as items of a normal segment, so status, add, checkout and labels work on them
unchanged), and `build_frames` turns the files back into frames. The two are inverse: the
files of a version, built back, give the same frames.

A sensor's folder is its name, but a name that is a gas file's (`sensors.json`, `frames.jsonl`,
`metadata.jsonl`) or starts with `@` lives in `@` + name, as segment folders do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gasvc.errors import ClientError, InvalidParams
from gasvc.model.canon import escaped, sha1_hex
from gasvc.model.fusion_frames import FRAMES, FrameLine, SensorData, render_frames
from gasvc.model.metadata import METADATA
from gasvc.model.names import check_segment_name
from gasvc.model.names import escaped as quoted
from gasvc.model.sensorfolders import ESCAPE as ESCAPE  # re-exported: callers name them here
from gasvc.model.sensorfolders import GAS_FILES as GAS_FILES
from gasvc.model.sensorfolders import SENSORS as SENSORS
from gasvc.model.sensorfolders import data_file as data_file
from gasvc.model.sensorfolders import folder_sensor as folder_sensor
from gasvc.model.sensorfolders import remote_path_of as remote_path_of
from gasvc.model.sensorfolders import sensor_folder as sensor_folder
from gasvc.model.snapshot import FrameEntry, Item
from gasvc.model.strictjson import JsonRefused, check_depth

SENSOR_TYPES = ("LIDAR", "RADAR", "CAMERA", "FISHEYE_CAMERA")
CAMERAS = ("CAMERA", "FISHEYE_CAMERA")
_SENSOR_HINT = ('sensors.json is a list of sensors: {"name": "Lidar", "type": "LIDAR",'
                ' "description": "...", "extrinsics": {"translation": {"x":, "y":, "z":},'
                ' "rotation": {"w":, "x":, "y":, "z":}}, "intrinsics": {...} (cameras)}')
_FIELDS = {"name", "type", "description", "extrinsics", "intrinsics"}


class SensorsError(ClientError):
    """A `sensors.json` that cannot be read, or a sensor gas cannot keep as a folder."""


class FusionMismatch(ClientError):
    """A fusion segment whose files, `frames.jsonl` and `sensors.json` do not agree."""


# sensor folders (model/sensorfolders.py) ----------------------------------------------------
def sensor_name_problem(name: object) -> str | None:
    """Why a sensor's name cannot be a folder name (None: it can)."""
    if not isinstance(name, str) or not name:
        return "a sensor's name is a non-empty string"
    try:
        check_segment_name(name)
    except InvalidParams as error:
        return error.message.replace("segment name", "sensor name")
    return None






# sensors.json -------------------------------------------------------------------------------
def render_sensors(sensors: Mapping[str, Any]) -> str:
    """Canonical `sensors.json`: the sensors sorted by name, indented, keys sorted."""
    text = json.dumps([sensors[name] for name in sorted(sensors)], indent=2, sort_keys=True,
                      ensure_ascii=False)
    return escaped(text) + "\n"


def parse_sensors(text: str, where: str = SENSORS) -> dict[str, dict[str, Any]]:
    """Sensors by name; a bad sensor raises naming its line."""
    sensors: dict[str, dict[str, Any]] = {}
    for line, value in _list_items(text, where):
        sensor = check_sensor(value, f"{where}:{line}")
        name = sensor["name"]
        if name in sensors:
            raise SensorsError(f"{where}:{line}: sensor {name!r} is listed twice",
                               "a sensor's name is unique in its segment")
        sensors[name] = sensor
    return sensors


def _list_items(text: str, where: str) -> Iterable[tuple[int, Any]]:
    """(line, value) of each element of a JSON list, read one at a time so errors have lines."""
    def fail(pos: int, what: str) -> SensorsError:
        return SensorsError(f"{where}:{text.count(chr(10), 0, pos) + 1}: {what}", _SENSOR_HINT)

    pos = _skip(text, 0)
    if not text.startswith("[", pos):
        raise fail(pos, "not a JSON list of sensors")
    pos = _skip(text, pos + 1)
    items: list[tuple[int, Any]] = []
    while items or not text.startswith("]", pos):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as error:
            raise fail(error.pos, f"not valid JSON ({error.msg})") from None
        except (JsonRefused, ValueError) as error:
            raise fail(pos, f"not valid JSON ({error})") from None
        items.append((text.count("\n", 0, pos) + 1, value))
        pos = _skip(text, end)
        if text.startswith("]", pos):
            break
        if not text.startswith(",", pos):
            raise fail(pos, "not valid JSON (expected ',' or ']' after a sensor)")
        pos = _skip(text, pos + 1)
    if text[pos + 1:].strip():
        raise fail(pos + 1, "text after the list of sensors")
    return items


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:20]} is too large")
    return value


#: Standard JSON only: NaN, Infinity and numbers too large for a double are refused.
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def check_sensor(value: Any, where: str) -> dict[str, Any]:
    """A sensor as spec 4.3 has it (name, type, description, extrinsics, intrinsics)."""
    if not isinstance(value, dict):
        raise SensorsError(f"{where}: a sensor must be a JSON object", _SENSOR_HINT)
    try:
        check_depth(value, json.dumps(value))
    except JsonRefused as error:
        raise SensorsError(f"{where}: {error}", _SENSOR_HINT) from None
    name = value.get("name")
    problem = sensor_name_problem(name)
    if problem is not None:
        raise SensorsError(f"{where}: {problem}", "a sensor's name is its data's folder: no"
                           " '/', '\\', control characters, '.' or '..'")
    unknown = sorted(value.keys() - _FIELDS)
    if unknown:
        raise SensorsError(f"{where}: sensor {name!r} has an unknown field {unknown[0]!r}",
                           f"a sensor has the fields {', '.join(sorted(_FIELDS))}")
    kind = value.get("type")
    if kind not in SENSOR_TYPES:
        raise SensorsError(f"{where}: sensor {name!r} has the type {kind!r}",
                           f"a sensor's type is one of {', '.join(SENSOR_TYPES)}")
    if not isinstance(value.get("description", ""), str):
        raise SensorsError(f"{where}: the description of sensor {name!r} must be a string")
    if "extrinsics" in value:
        _check_extrinsics(value["extrinsics"], f"{where}: sensor {name!r}")
    if "intrinsics" in value:
        if kind not in CAMERAS:
            raise SensorsError(f"{where}: sensor {name!r} ({kind}) has intrinsics",
                               "only cameras (CAMERA, FISHEYE_CAMERA) have intrinsics")
        _check_intrinsics(value["intrinsics"], f"{where}: sensor {name!r}")
    return value


def _numbers(value: Any, required: Iterable[str], optional: Iterable[str], where: str) -> None:
    """An object of numbers with these keys."""
    allowed = {*required, *optional}
    if not isinstance(value, dict):
        raise SensorsError(f"{where} must be an object", _SENSOR_HINT)
    missing = [key for key in required if key not in value]
    unknown = sorted(value.keys() - allowed)
    if missing or unknown:
        what = f"lacks {missing[0]!r}" if missing else f"has an unknown key {unknown[0]!r}"
        raise SensorsError(f"{where} {what}", f"it has {', '.join(sorted(allowed))}")
    for key, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise SensorsError(f"{where}: {key} must be a number, not {number!r}")


def _check_extrinsics(value: Any, where: str) -> None:
    if not isinstance(value, dict) or sorted(value) != ["rotation", "translation"]:
        raise SensorsError(f"{where}: extrinsics must be {{\"translation\": ..., \"rotation\":"
                           " ...}", _SENSOR_HINT)
    _numbers(value["translation"], "xyz", (), f"{where}: extrinsics.translation")
    _numbers(value["rotation"], "wxyz", (), f"{where}: extrinsics.rotation")


def _check_intrinsics(value: Any, where: str) -> None:
    if not isinstance(value, dict) or "cameraMatrix" not in value or not (
            value.keys() <= {"cameraMatrix", "distortionCoefficients"}):
        raise SensorsError(f"{where}: intrinsics must be {{\"cameraMatrix\": ...,"
                           " \"distortionCoefficients\": ...}} (the second may be left out)",
                           _SENSOR_HINT)
    _numbers(value["cameraMatrix"], ("fx", "fy", "cx", "cy"), ("skew",),
             f"{where}: intrinsics.cameraMatrix")
    coefficients = value.get("distortionCoefficients", {})
    keys = [key for key in coefficients if isinstance(key, str) and key[:1] in "kp"
            and key[1:].isdigit()] if isinstance(coefficients, dict) else []
    _numbers(coefficients, (), keys, f"{where}: intrinsics.distortionCoefficients")


# versions ↔ files ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkspaceView:
    """A fusion segment as the workspace holds it: every file (data and gas files) as an item,
    and the text of the two gas files."""

    files: dict[str, Item]
    sensors: str
    frames: str

    def texts(self) -> dict[str, bytes]:
        """Checksum → bytes of the gas files."""
        return {self.files[SENSORS].checksum: self.sensors.encode(),
                self.files[FRAMES].checksum: self.frames.encode()}


def workspace_view(sensors: Mapping[str, Any],
                   frames: Iterable[tuple[str, list[FrameEntry]]]) -> WorkspaceView:
    """The files of a fusion segment with these sensors and frames (in frame id order)."""
    files: dict[str, Item] = {}
    lines: list[tuple[str, dict[str, SensorData]]] = []
    for frame_id, entries in frames:
        data = {}
        for entry in entries:
            path = data_file(entry.sensor, entry.path)
            files[path] = Item(entry.checksum, entry.size, None, entry.label)
            data[entry.sensor] = SensorData(path, entry.timestamp)
        lines.append((frame_id, data))
    sensors_text, frames_text = render_sensors(sensors), render_frames(lines)
    for name, text in ((SENSORS, sensors_text), (FRAMES, frames_text)):
        data_bytes = text.encode()
        files[name] = Item(sha1_hex(data_bytes), len(data_bytes), None, None)
    return WorkspaceView(files, sensors_text, frames_text)


def build_frames(sensors: Mapping[str, Any], frames: list[FrameLine],
                 files: Mapping[str, Item], where: str) -> list[tuple[str, list[FrameEntry]]]:
    """The frames (id order) of a segment whose staged files are `files` (path → item, the gas
    files included); every data file must be in one frame, every frame's file staged.
    `where` is the segment's folder as users see it ("train/")."""
    used: set[str] = set()
    out: list[tuple[str, list[FrameEntry]]] = []
    for frame in frames:
        assert frame.frame_id is not None  # ids are given at `gas add`
        entries = []
        for sensor, data in sorted(frame.data.items()):
            at = f"{where}{FRAMES}:{frame.line}" if frame.line else f"{where}{FRAMES}"
            remote = _checked_entry(sensor, data, sensors, files, at, where)
            item = files[data.file]
            entries.append(FrameEntry(sensor, remote, item.checksum, item.size, data.timestamp,
                                      item.label))
            used.add(data.file)
        out.append((frame.frame_id, entries))
    for path, item in files.items():
        if path in GAS_FILES:
            if item.label:
                raise FusionMismatch(f"{where}{METADATA} labels {where}{path}, which is gas's"
                                     " file, not data", "remove that line")
        elif path not in used:
            raise FusionMismatch(f"{quoted(where + path)} is in no frame of {where}{FRAMES}",
                                 "name it in a frame's line (or add a line for a new frame),"
                                 " or remove the file with `gas rm`")
    return sorted(out)


def _checked_entry(sensor: str, data: SensorData, sensors: Mapping[str, Any],
                   files: Mapping[str, Item], at: str, where: str) -> str:
    """The remote path of one sensor's data in a frame, once it fits the segment."""
    if sensor not in sensors:
        raise FusionMismatch(f"{at}: sensor {sensor!r} is not in {where}{SENSORS}",
                             "add the sensor to sensors.json, or fix its name")
    remote = remote_path_of(sensor, data.file)
    if remote is None:
        raise FusionMismatch(f"{at}: {quoted(data.file)} is not in the folder of sensor"
                             f" {sensor!r} ({sensor_folder(sensor)}/)",
                             "a sensor's data lives in its folder: move the file there")
    if data.file not in files:
        raise FusionMismatch(f"{at}: {quoted(where + data.file)} is not a staged file",
                             f"add it with `gas add {where}{data.file}`, or fix the line")
    return remote
