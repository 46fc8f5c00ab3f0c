"""The files of a fusion segment (model/fusion.py, model/fusion_frames.py): sensor folders,
sensors.json, frames.jsonl, frame ids, and versions ↔ files as inverse functions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gasvc.model.fusion import (
    SENSORS,
    FusionMismatch,
    SensorsError,
    build_frames,
    folder_sensor,
    parse_sensors,
    render_sensors,
    sensor_folder,
    workspace_view,
)
from gasvc.model.fusion_frames import (
    FRAMES,
    FrameLine,
    FramesError,
    SensorData,
    assign_ids,
    id_between,
    is_frame_id,
    new_ulid,
    parse_frames,
    ulid_text,
    ulid_value,
    without_files,
)
from gasvc.model.snapshot import FrameEntry, Item

NOW = 1_700_000_000_000
A, B = "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAX"


def test_ulids() -> None:
    made = new_ulid(NOW)
    assert is_frame_id(made) and ulid_value(made) >> 80 == NOW
    assert ulid_text(ulid_value(A)) == A
    assert is_frame_id("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert not is_frame_id("01arz3ndektsv4rrffq69g5fav") and not is_frame_id("8" + A[1:])


def test_an_id_between_two_frames() -> None:
    between = id_between(A, B, NOW)
    assert between is not None and A < between < B
    assert id_between(A, ulid_text(ulid_value(A) + 1), NOW) is None  # no room
    fresh = id_between(A, None, NOW)
    assert fresh is not None and fresh > A and ulid_value(fresh) >> 80 == NOW
    future = ulid_text((NOW + 10_000) << 80)
    after = id_between(future, None, NOW)  # the clock is behind the last frame
    assert after is not None and after > future
    assert id_between("0f8fad5b-d9cb-469f-a165-70867728950e", None, NOW) is None


def test_new_frames_get_ids_where_their_lines_are() -> None:
    frames = [FrameLine(None, {"S": SensorData("S/0")}, 1),
              FrameLine(A, {"S": SensorData("S/1")}, 2),
              FrameLine(None, {"S": SensorData("S/2")}, 3),
              FrameLine(B, {"S": SensorData("S/3")}, 4),
              FrameLine(None, {"S": SensorData("S/4")}, 5)]
    given_ids = assign_ids(frames, NOW)
    assert [f.data["S"].file for f in given_ids] == ["S/0", "S/1", "S/2", "S/3", "S/4"]
    ids = [str(f.frame_id) for f in given_ids]
    assert ids == sorted(ids) and ids[1] == A and ids[3] == B
    tight = [FrameLine(A, {}, 1), FrameLine(None, {}, 2),
             FrameLine(ulid_text(ulid_value(A) + 1), {}, 3)]
    with pytest.raises(FramesError, match=re.escape("frames.jsonl:2: no frame id fits")):
        assign_ids(tight, NOW)


@pytest.mark.parametrize("text, message", [
    ('{"data": {}}', "frames.jsonl:1: data must be an object"),
    ('{"data": {"S": "S/a"}, "id": 1}', "frames.jsonl:1: unknown field 'id'"),
    ('{"data": {"S": {"file": "S/a", "timestamp": "1"}}}', "timestamp of sensor 'S' must be"),
    ('{"data": {"S": {"file": "S/a", "time": 1}}}', "unknown field 'time' in the data"),
    ('{"data": {"S": "../a"}}', "sensor 'S': invalid remote path"),
    ('{"data": {"S": "S/a"}}\n{"data": {"T": "S/a"}}', "frames.jsonl:2: 'S/a' is already in"),
    ('[1]', "frames.jsonl:1: a line must be a JSON object"),
    ('{"data": {"S": {"file": "S/a", "timestamp": NaN}}}', "frames.jsonl:1: NaN"),
])
def test_bad_frame_lines(text: str, message: str) -> None:
    with pytest.raises(FramesError, match=re.escape(message)):
        parse_frames(text)


def test_sensors_file() -> None:
    sensors = {"Lidar": {"name": "Lidar", "type": "LIDAR"},
               "Cam": {"name": "Cam", "type": "CAMERA", "intrinsics": {
                   "cameraMatrix": {"fx": 1, "fy": 1, "cx": 0, "cy": 0},
                   "distortionCoefficients": {"k1": 0.1, "p1": 0.2}}}}
    text = render_sensors(sensors)
    assert [s["name"] for s in json.loads(text)] == ["Cam", "Lidar"]
    assert parse_sensors(text) == sensors
    assert parse_sensors("[]") == {}


@pytest.mark.parametrize("text, message", [
    ("{}", "sensors.json:1: not a JSON list"),
    ('[\n{"name": "A", "type": "LIDAR"}\n{"name": "B"}]', "sensors.json:3: not valid JSON"),
    ('[{"name": "A", "type": "LIDAR"},\n {"name": "A", "type": "RADAR"}]',
     "sensors.json:2: sensor 'A' is listed twice"),
    ('[{"name": "", "type": "LIDAR"}]', "a sensor's name is a non-empty string"),
    ('[{"name": "..", "type": "LIDAR"}]', "invalid sensor name"),
    ('[{"name": "A", "type": "LIDAR", "pose": 1}]', "unknown field 'pose'"),
    ('[{"name": "A", "type": "LIDAR", "extrinsics": {"translation": {"x": 1, "y": 2}, '
     '"rotation": {"w": 1, "x": 0, "y": 0, "z": 0}}}]', "extrinsics.translation lacks 'z'"),
    ('[{"name": "A", "type": "CAMERA", "intrinsics": {"cameraMatrix": {"fx": 1, "fy": 1, '
     '"cx": 0, "cy": "0"}}}]', "cy must be a number"),
    ('[{"name": "A", "type": "CAMERA", "intrinsics": {"cameraMatrix": {"fx": 1, "fy": 1, '
     '"cx": 0, "cy": 0}, "distortionCoefficients": {"q1": 1}}}]', "unknown key 'q1'"),
    ("[] []", "text after the list"),
])
def test_bad_sensors(text: str, message: str) -> None:
    with pytest.raises(SensorsError, match=re.escape(message)):
        parse_sensors(text)


@given(st.text(min_size=1, max_size=12).filter(lambda name: "/" not in name))
def test_sensor_folders_are_a_bijection(name: str) -> None:
    folder = sensor_folder(name)
    assert folder_sensor(folder) == name
    assert folder not in (SENSORS, FRAMES, "metadata.jsonl")


def test_gas_file_names_are_no_sensor_folder() -> None:
    assert [folder_sensor(name) for name in (SENSORS, FRAMES, "@x")] == [None, None, None]
    assert sensor_folder("@x") == "@@x" and sensor_folder(SENSORS) == "@" + SENSORS


def _entry(sensor: str, path: str, label: str | None, timestamp: Any) -> FrameEntry:
    checksum = f"{abs(hash((sensor, path))):040x}"[-40:]
    return FrameEntry(sensor, path, checksum, len(path), timestamp, label)


SENSOR_NAMES = st.sampled_from(["Lidar", "Cam", "frames.jsonl", "@x"])
FRAME = st.dictionaries(SENSOR_NAMES, st.tuples(
    st.sampled_from(["a.bin", "b/c.bin", "d e.jpg"]), st.none() | st.just("f" * 40),
    st.none() | st.floats(0, 1e6) | st.integers(0, 10**6)), min_size=1)


@settings(max_examples=60)
@given(st.lists(FRAME, max_size=6))
def test_files_of_a_version_build_back_the_same_frames(raw: list[dict[str, Any]]) -> None:
    sensors = {name: {"name": name, "type": "LIDAR"} for name in
               ("Lidar", "Cam", "frames.jsonl", "@x")}
    frames = []
    for index, data in enumerate(raw):
        entries = [_entry(sensor, f"{index}/{path}", label, timestamp)
                   for sensor, (path, label, timestamp) in sorted(data.items())]
        frames.append((ulid_text((NOW + index) << 80), entries))
    view = workspace_view(sensors, frames)
    lines = parse_frames(view.frames)
    assert build_frames(parse_sensors(view.sensors), lines, view.files, "seq/") == frames
    assert view.files[SENSORS].label is None


def test_files_and_frames_must_agree() -> None:
    sensors = {"Lidar": {"name": "Lidar", "type": "LIDAR"}}
    files = {"Lidar/a": Item("a" * 40, 1), "Lidar/b": Item("b" * 40, 1),
             SENSORS: Item("c" * 40, 1), FRAMES: Item("d" * 40, 1)}
    one = [FrameLine(A, {"Lidar": SensorData("Lidar/a")}, 1)]
    with pytest.raises(FusionMismatch, match="'seq/Lidar/b' is in no frame"):
        build_frames(sensors, one, files, "seq/")
    ghost = [*one, FrameLine(B, {"Lidar": SensorData("Lidar/c")}, 2)]
    staged = re.escape("frames.jsonl:2: 'seq/Lidar/c' is not a staged")
    with pytest.raises(FusionMismatch, match=staged):
        build_frames(sensors, ghost, files, "seq/")
    labelled = {**files, SENSORS: Item("c" * 40, 1, None, "e" * 40)}
    both = [*one, FrameLine(B, {"Lidar": SensorData("Lidar/b")}, 2)]
    with pytest.raises(FusionMismatch, match=re.escape("labels seq/sensors.json")):
        build_frames(sensors, both, labelled, "seq/")


def test_without_files_takes_data_out_of_their_frames() -> None:
    """`gas rm` of fusion data (worktree/fusion_rm.py): a line naming a removed file is
    written again without it, or dropped when nothing is left; other lines stay as written."""
    first, second = ulid_text(1 << 80), ulid_text(2 << 80)
    text = (f'{{"frame_id": "{first}", "data": {{"Lidar": {{"file": "Lidar/0.bin",'
            ' "timestamp": 1.5}, "Camera": "Camera/0.jpg"}}\n'
            f'{{"frame_id":"{second}","data":{{"Camera":"Camera/1.jpg"}}}}\n'
            '\n{"data": {"Camera": "Camera/2.jpg", "Lidar": "Lidar/2.bin"}}\n'
            '  {"data": {"Lidar": "Lidar/3.bin"}}\n')
    new = without_files(text, {"Camera/0.jpg", "Camera/1.jpg", "Camera/2.jpg"})
    assert new == (f'{{"frame_id":"{first}","data":{{"Lidar":{{"file":"Lidar/0.bin",'
                   '"timestamp":1.5}}}\n'
                   '\n{"data":{"Lidar":"Lidar/2.bin"}}\n'
                   '  {"data": {"Lidar": "Lidar/3.bin"}}\n')
    assert [frame.frame_id for frame in parse_frames(new)] == [first, None, None]
    assert without_files(text, {"Lidar/9.bin"}) is None
    with pytest.raises(FramesError, match=r"frames\.jsonl:2"):
        without_files('{"data": {"Lidar": "a.bin"}}\nnot json\n', {"a.bin"})
