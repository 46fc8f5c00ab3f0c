"""Fusion datasets through the SDK: sensors, frames, fusion segment and dataset uploads."""

from __future__ import annotations

from typing import Any

from scn_data import LABELS, contents, download, expect, workdir, write
from tensorbay import GAS
from tensorbay.dataset import Data, Frame, FusionDataset, FusionSegment
from tensorbay.exception import ResourceNotExistError, ResponseError
from tensorbay.label import Label
from tensorbay.sensor import Sensor, Sensors
from ulid import from_timestamp

# the sensor JSON of spec 4.3
SENSORS: list[dict[str, Any]] = [
    {
        "name": "Lidar1",
        "type": "LIDAR",
        "extrinsics": {
            "translation": {"x": 1, "y": 2, "z": 3},
            "rotation": {"w": 1.0, "x": 2.0, "y": 3.0, "z": 4.0},
        },
    },
    {"name": "Camera1", "type": "CAMERA"},
    {
        "name": "Camera3",
        "type": "CAMERA",
        "description": "front camera",
        "extrinsics": {
            "translation": {"x": 1, "y": 2, "z": 3},
            "rotation": {"w": 1.0, "x": 0.0, "y": 0.0, "z": 0.0},
        },
        "intrinsics": {
            "cameraMatrix": {"fx": 1, "fy": 2, "cx": 3, "cy": 4, "skew": 5},
            "distortionCoefficients": {"k1": 1.0, "k2": 2.0, "p1": 3.0, "p2": 4.0},
        },
    },
]
BOX = {"BOX2D": LABELS["BOX2D"]}


def sensors() -> Sensors:
    return Sensors.loads(SENSORS)


def fusion_draft(gas: GAS, name: str) -> Any:
    dataset_client = gas.create_dataset(name, is_fusion=True)
    dataset_client.create_draft("draft-1")
    return dataset_client


def make_frame(tmp: str, index: int, sensor_names: tuple[str, ...] = ("Lidar1", "Camera1"),
               frame_id: Any = None) -> Frame:
    frame = Frame(frame_id) if frame_id is not None else Frame()
    for sensor_name in sensor_names:
        name = f"{sensor_name.lower()}_{index}.bin"
        data = Data(write(tmp, name, f"{sensor_name} {index}".encode()), timestamp=index + 0.5)
        if sensor_name.startswith("Camera"):
            data.label = Label.loads(BOX)
        frame[sensor_name] = data
    return frame


def check_frame(remote: Any, local: Frame) -> None:
    assert sorted(remote.keys()) == sorted(local.keys())
    for sensor_name, local_data in local.items():
        remote_data = remote[sensor_name]
        assert remote_data.path == local_data.target_remote_path
        assert contents(remote_data) == contents(local_data)
        assert remote_data.label == local_data.label
        assert remote_data.timestamp == local_data.timestamp


# scenarios -------------------------------------------------------------------------------
def sensors_round_trip(gas: GAS, gas_other: GAS) -> None:
    """Upload, list, replace and delete sensors; versioned with the segment."""
    dataset_client = fusion_draft(gas, "fusion_sensors")
    segment_client = dataset_client.get_or_create_segment("seg")
    assert list(segment_client.get_sensors()) == []
    for sensor in sensors():
        segment_client.upload_sensor(sensor)
    assert segment_client.get_sensors() == sensors()
    raw = segment_client._client.open_api_do(
        "GET", "sensors", dataset_client.dataset_id,
        params={"segmentName": "seg", **dataset_client.status.get_status_info()}).json()
    assert Sensors.loads(raw["sensors"]) == sensors()
    dataset_client.commit("three sensors")
    first = dataset_client.status.commit_id

    dataset_client.create_draft("change sensors")
    segment_client = dataset_client.get_segment("seg")
    moved = Sensor.loads({**SENSORS[0], "extrinsics": {
        "translation": {"x": 9, "y": 8, "z": 7}, "rotation": {"w": 1, "x": 0, "y": 0, "z": 0}
    }})
    segment_client.upload_sensor(moved)  # same name: replaces
    segment_client.delete_sensor("Camera1")
    expect(ResourceNotExistError, segment_client.delete_sensor, "Camera1")
    expected = Sensors.loads([moved.dumps(), SENSORS[2]])
    assert segment_client.get_sensors() == expected
    assert list(segment_client.get_sensors()["Lidar1"].extrinsics.translation) == [9, 8, 7]
    dataset_client.commit("changed")
    assert FusionDataset("fusion_sensors", gas)["seg"].sensors == expected
    assert FusionDataset("fusion_sensors", gas, revision=first)["seg"].sensors == sensors()


def frames_sorted_by_frame_id(gas: GAS, gas_other: GAS) -> None:
    """upload_frame in reverse order (by timestamp and by explicit ULID) lists sorted."""
    tmp = workdir()
    dataset_client = fusion_draft(gas, "fusion_frames")
    segment_client = dataset_client.get_or_create_segment("seg")
    for sensor in sensors():
        segment_client.upload_sensor(sensor)
    local = {}
    for index in reversed(range(5)):
        frame = make_frame(tmp, index)
        segment_client.upload_frame(frame, timestamp=index + 1)
        local[index + 1] = frame
    remote = list(segment_client.list_frames())
    assert len(remote) == 5
    assert [frame.frame_id.timestamp().timestamp for frame in remote] == [1, 2, 3, 4, 5]
    assert [frame.frame_id.str for frame in remote] == sorted(f.frame_id.str for f in remote)
    for frame in remote:
        check_frame(frame, local[int(frame.frame_id.timestamp().timestamp)])

    # explicit frame ids, uploaded in reverse; one frame's sensors arrive in two calls
    other = dataset_client.get_or_create_segment("explicit")
    for sensor in sensors():
        other.upload_sensor(sensor)
    ids = [from_timestamp(1000 + index) for index in range(4)]
    frames = [make_frame(tmp, 100 + index, frame_id=ids[index]) for index in range(4)]
    for frame in reversed(frames):
        other.upload_frame(frame)
    extra = make_frame(tmp, 200, ("Camera3",), frame_id=ids[2])
    other.upload_frame(extra)
    frames[2]["Camera3"] = extra["Camera3"]
    remote = list(other.list_frames())
    assert [frame.frame_id for frame in remote] == ids
    for remote_frame, local_frame in zip(remote, frames, strict=True):
        check_frame(remote_frame, local_frame)
    # re-sending (frameId, sensorName) replaces that sensor's data only
    replaced = make_frame(tmp, 300, ("Lidar1",), frame_id=ids[0])
    other.upload_frame(replaced)
    frames[0]["Lidar1"] = replaced["Lidar1"]
    remote = list(other.list_frames())
    assert [frame.frame_id for frame in remote] == ids
    check_frame(remote[0], frames[0])
    urls = list(other.list_urls())
    assert [sorted(url) for url in urls] == [sorted(frame.keys()) for frame in frames]

    dataset_client.commit("frames")
    remote_dataset = FusionDataset("fusion_frames", gas)
    assert remote_dataset.keys() == ("explicit", "seg")
    assert [frame.frame_id for frame in remote_dataset["explicit"]] == ids


def upload_to_unknown_sensor_fails(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = fusion_draft(gas, "fusion_unknown_sensor")
    segment_client = dataset_client.get_or_create_segment("seg")
    segment_client.upload_sensor(sensors()["Lidar1"])
    expect(ResponseError, segment_client.upload_frame,
           make_frame(tmp, 0, ("Lidar1", "Camera1")), timestamp=1)
    assert list(segment_client.list_frames()) == []
    segment_client.upload_frame(make_frame(tmp, 1, ("Lidar1",)), timestamp=2)
    assert len(segment_client.list_frames()) == 1


def fusion_dataset_upload_round_trip(gas: GAS, gas_other: GAS) -> None:
    """gas.upload_dataset of a FusionDataset: sensors, frames (generated ids), labels."""
    tmp = workdir()
    local = FusionDataset("fusion_upload")
    local.notes.is_continuous = True
    for number, (segment_name, count) in enumerate((("s1", 4), ("s2", 2))):
        segment = local.create_segment(segment_name)
        for sensor in sensors():
            segment.sensors.add(sensor)
        for index in range(count):
            segment.append(make_frame(tmp, 100 * number + index,
                                      ("Lidar1", "Camera1", "Camera3")))
    gas.create_dataset("fusion_upload", is_fusion=True)
    dataset_client = gas.upload_dataset(local, jobs=4, quiet=True)
    dataset_client.commit("uploaded")

    remote = FusionDataset("fusion_upload", gas)
    assert remote.keys() == ("s1", "s2")
    assert remote.notes.is_continuous is True
    for segment_name in ("s1", "s2"):
        remote_segment, local_segment = remote[segment_name], local[segment_name]
        assert remote_segment.sensors == sensors()
        assert len(remote_segment) == len(local_segment)
        pairs = zip(remote_segment, local_segment, strict=True)
        for index, (remote_frame, local_frame) in enumerate(pairs):
            assert remote_frame.frame_id.timestamp().timestamp == 10 * index + 10
            check_frame(remote_frame, local_frame)
    # an unchanged re-upload with skip_uploaded_files changes nothing
    dataset_client.create_draft("again")
    gas.upload_dataset(local, jobs=2, skip_uploaded_files=True, quiet=True)
    assert len(dataset_client.get_segment("s1").list_frames()) == 4
    assert [frame.frame_id for frame in dataset_client.get_segment("s1").list_frames()] == [
        frame.frame_id for frame in remote["s1"]
    ]


def delete_frame(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = fusion_draft(gas, "fusion_delete_frame")
    segment_client = dataset_client.get_or_create_segment("seg")
    for sensor in sensors():
        segment_client.upload_sensor(sensor)
    ids = [from_timestamp(index + 1) for index in range(3)]
    for index, frame_id in enumerate(ids):
        segment_client.upload_frame(make_frame(tmp, index, frame_id=frame_id))
    dataset_client.commit("three frames")
    first = dataset_client.status.commit_id

    dataset_client.create_draft("delete one")
    segment_client = dataset_client.get_segment("seg")
    segment_client.delete_frame(ids[1])
    remote = list(segment_client.list_frames())
    assert [frame.frame_id for frame in remote] == [ids[0], ids[2]]
    check_frame(remote[1], make_frame(tmp, 2))
    expect(ResourceNotExistError, segment_client.delete_frame, ids[1])
    dataset_client.commit("two frames")
    assert [f.frame_id for f in FusionDataset("fusion_delete_frame", gas)["seg"]] == [
        ids[0], ids[2]
    ]
    assert len(FusionDataset("fusion_delete_frame", gas, revision=first)["seg"]) == 3


def frames_paging(gas: GAS, gas_other: GAS) -> None:
    """130 frames: data/details and data/urls pages stay aligned across the 128 boundary."""
    tmp = workdir()
    local = FusionSegment("seg")
    local.sensors.add(sensors()["Lidar1"])
    for index in range(130):
        local.append(make_frame(tmp, index, ("Lidar1",)))
    dataset_client = fusion_draft(gas, "fusion_paging")
    segment_client = dataset_client.upload_segment(local, jobs=8, quiet=True)
    frames = segment_client.list_frames()
    assert len(frames) == 130
    for index in (129, 128, 127, 0):
        assert frames[index].frame_id.timestamp().timestamp == 10 * index + 10
        check_frame(frames[index], local[index])
    urls = segment_client.list_urls()
    assert len(urls) == 130 and list(urls[129]) == ["Lidar1"]
    assert download(urls[129]["Lidar1"]) == b"Lidar1 129"


def upload_label_in_fusion_segment(gas: GAS, gas_other: GAS) -> None:
    """upload_label (inherited by FusionSegmentClient) relabels data by remote path."""
    tmp = workdir()
    dataset_client = fusion_draft(gas, "fusion_upload_label")
    segment_client = dataset_client.get_or_create_segment("seg")
    for sensor in sensors():
        segment_client.upload_sensor(sensor)
    ids = [from_timestamp(index + 1) for index in range(2)]
    frames = [make_frame(tmp, index, ("Lidar1", "Camera1"), frame_id=ids[index])
              for index in range(2)]
    for frame in frames:
        segment_client.upload_frame(frame)
    relabel = Data(frames[1]["Camera1"].path)
    relabel.label = Label.loads({"POLYGON": LABELS["POLYGON"]})
    lidar = Data(frames[0]["Lidar1"].path)
    lidar.label = Label.loads(BOX)
    segment_client.upload_label([relabel, lidar])
    frames[1]["Camera1"].label = relabel.label
    frames[0]["Lidar1"].label = lidar.label
    remote = list(segment_client.list_frames())
    for remote_frame, local_frame in zip(remote, frames, strict=True):
        check_frame(remote_frame, local_frame)
    ghost = Data(frames[0]["Lidar1"].path, target_remote_path="ghost.bin")
    ghost.label = Label.loads(BOX)
    expect(ResourceNotExistError, segment_client.upload_label, ghost)
