"""Fusion datasets between the SDK and `gas`: the SDK uploads, gas clones, pushes; the SDK reads.

The test (tests/sdk/test_sdk_fusion_sync.py) runs the `gas` side; these functions only speak
SDK. `dump_fusion` writes what the SDK reads as JSON to `OUT`:
{segment: {"sensors": [sensor JSON], "frames": [[frame id, {sensor: [remotePath, content,
label JSON or null, timestamp or null]}]]}}, frames in the SDK's order.
"""

from __future__ import annotations

import json
import os
from typing import Any

from scn_data import LABELS, contents, workdir, write
from tensorbay import GAS
from tensorbay.dataset import Data, Frame, FusionDataset
from tensorbay.label import Label
from tensorbay.sensor import Sensors
from ulid import from_timestamp

SENSORS: list[dict[str, Any]] = [
    {
        "name": "Lidar",
        "type": "LIDAR",
        "description": "roof lidar",
        "extrinsics": {
            "translation": {"x": 1, "y": 2, "z": 3},
            "rotation": {"w": 1.0, "x": 0.0, "y": 0.0, "z": 0.0},
        },
    },
    {
        "name": "Camera",
        "type": "CAMERA",
        "extrinsics": {
            "translation": {"x": 0.5, "y": 0, "z": 1.5},
            "rotation": {"w": 0.5, "x": 0.5, "y": 0.5, "z": 0.5},
        },
        "intrinsics": {
            "cameraMatrix": {"fx": 1000, "fy": 1000, "cx": 640, "cy": 360, "skew": 0.5},
            "distortionCoefficients": {"k1": 0.1, "k2": 0.01, "p1": 0.001, "p2": 0.002},
        },
    },
    {
        "name": "Fisheye",
        "type": "FISHEYE_CAMERA",
        "intrinsics": {
            "cameraMatrix": {"fx": 300, "fy": 300, "cx": 320, "cy": 240},
            "distortionCoefficients": {"k1": 0.5, "k2": 0.2, "k3": 0.1, "k4": 0.05},
        },
    },
]
BOX3D = {"BOX3D": LABELS["BOX3D"]}
BOX2D = {"BOX2D": LABELS["BOX2D"]}


def _frame(tmp: str, segment: str, index: int) -> Frame:
    """Lidar (BOX3D, timestamped) and Camera (BOX2D) always, Fisheye on even frames."""
    frame = Frame(from_timestamp(1000 + 10 * index))
    lidar = Data(write(tmp, f"{segment}/lidar/{index:04d}.bin", f"L {segment} {index}".encode()),
                 timestamp=100.5 + index)
    lidar.label = Label.loads(BOX3D)
    frame["Lidar"] = lidar
    camera = Data(write(tmp, f"{segment}/camera/{index:04d}.jpg",
                        f"C {segment} {index}".encode()))
    camera.label = Label.loads(BOX2D)
    frame["Camera"] = camera
    if index % 2 == 0:
        frame["Fisheye"] = Data(write(tmp, f"{segment}/fisheye/{index:04d}.jpg",
                                      f"F {segment} {index}".encode()), timestamp=7 + index)
    return frame


def upload_fusion(gas: GAS, gas_other: GAS) -> None:
    """Dataset `DATASET`: segments seq1 (3 frames) and seq2 (2 frames), three sensors."""
    tmp = workdir()
    local = FusionDataset(os.environ["DATASET"])
    for segment_name, count in (("seq1", 3), ("seq2", 2)):
        segment = local.create_segment(segment_name)
        for sensor in Sensors.loads(SENSORS):
            segment.sensors.add(sensor)
        for index in range(count):
            segment.append(_frame(tmp, segment_name, index))
    gas.create_dataset(os.environ["DATASET"], is_fusion=True)
    client = gas.upload_dataset(local, jobs=2, quiet=True)
    client.commit("from the sdk")


def _data(data: Any) -> list[Any]:
    label = data.label.dumps() or None
    return [data.path, contents(data).decode(), label, getattr(data, "timestamp", None)]


def dump_fusion(gas: GAS, gas_other: GAS) -> None:
    """Write what the SDK reads of `DATASET` (at `REVISION`, if set) to `OUT` as JSON."""
    revision = os.environ.get("REVISION") or None
    dataset = FusionDataset(os.environ["DATASET"], gas, revision=revision)
    found: dict[str, Any] = {}
    for segment in dataset:
        found[segment.name] = {
            "sensors": sorted(segment.sensors.dumps(), key=lambda sensor: sensor["name"]),
            "frames": [[frame.frame_id.str, {name: _data(data) for name, data in frame.items()}]
                       for frame in segment],
        }
    with open(os.environ["OUT"], "w", encoding="utf-8") as out:
        json.dump(found, out)


def relabel_and_add(gas: GAS, gas_other: GAS) -> None:
    """In a new commit: relabel seq1's first Lidar data, add a frame to seq2 (for gas pull)."""
    tmp = workdir()
    client = gas.get_dataset(os.environ["DATASET"], is_fusion=True)
    client.create_draft("sdk edit")
    segment = client.get_segment("seq2")
    segment.upload_frame(_frame(tmp, "seq2", 5))
    first = client.get_segment("seq1")
    lidar = next(iter(first.list_frames()))["Lidar"]
    relabel = Data(write(tmp, "relabel/0000.bin", b"unused"), target_remote_path=lidar.path)
    relabel.label = Label.loads({"BOX2D": LABELS["BOX2D"][:1]})
    first.upload_label(relabel)
    client.commit("sdk edit")
