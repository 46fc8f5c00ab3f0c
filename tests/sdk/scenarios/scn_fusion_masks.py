"""Masks in fusion datasets between the SDK and `gas` (tests/sdk/test_sdk_fusion_masks.py runs
the gas side): the SDK uploads frames whose Camera data carry a SEMANTIC_MASK and an
INSTANCE_MASK with info, and reads back what `gas push` sent.

`MASKS` is JSON: {Camera remotePath: {mask type: {"bytes": text, "info": list}}} for segment
`seq`, one frame per Camera data (in that order) with a Lidar data beside it.

The SDK reads a fusion mask's info but cannot open its image: FusionSegmentClient gives the
masks of its frames no URL (only SegmentClient asks `masks/urls`). `read_fusion_masks` reads the
bytes through the URLs the server lists: the mask's `url` in `data/details` and the per-frame
form of `masks/urls`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from scn_data import CATALOG, download, workdir, write
from tensorbay import GAS
from tensorbay.dataset import Data, Frame, FusionDataset
from tensorbay.label import Classification, InstanceMask, Label, SemanticMask
from tensorbay.sensor import Sensors
from ulid import from_timestamp

SEGMENT = "seq"
SENSORS = [{"name": "Lidar", "type": "LIDAR"},
           {"name": "Camera", "type": "CAMERA",
            "intrinsics": {"cameraMatrix": {"fx": 1000, "fy": 1000, "cx": 640, "cy": 360}}}]
KEYS = {"SEMANTIC_MASK": "semantic_mask", "INSTANCE_MASK": "instance_mask"}
ID_KEYS = {"SEMANTIC_MASK": "categoryId", "INSTANCE_MASK": "instanceId"}


def _mask(kind: str, path: str, info: list[dict[str, Any]]) -> Any:
    mask: Any = SemanticMask(path) if kind == "SEMANTIC_MASK" else InstanceMask(path)
    mask.all_attributes = {entry[ID_KEYS[kind]]: entry["attributes"] for entry in info}
    return mask


def upload_fusion_masked(gas: GAS, gas_other: GAS) -> None:
    """Dataset `DATASET`: segment seq, one frame per Camera data of `MASKS`, committed."""
    tmp = workdir()
    local = FusionDataset(os.environ["DATASET"])
    local.catalog.loads({kind: CATALOG[kind] for kind in ("CLASSIFICATION", *KEYS)})
    segment = local.create_segment(SEGMENT)
    for sensor in Sensors.loads(SENSORS):
        segment.sensors.add(sensor)
    for index, (name, masks) in enumerate(json.loads(os.environ["MASKS"]).items()):
        frame = Frame(from_timestamp(1000 + 10 * index))
        frame["Lidar"] = Data(write(tmp, f"lidar/{index}.bin", f"L {index}".encode()),
                              timestamp=100.5 + index)
        camera = Data(write(tmp, f"camera/{name}", f"C {name}".encode()))
        camera.label = Label()
        camera.label.classification = Classification("cat")
        for kind, spec in masks.items():
            image = write(tmp, f"masks/{kind}/{name}.png", spec["bytes"].encode())
            setattr(camera.label, KEYS[kind], _mask(kind, image, spec["info"]))
        frame["Camera"] = camera
        segment.append(frame)
    gas.create_dataset(os.environ["DATASET"], is_fusion=True)
    client = gas.upload_dataset(local, jobs=2, quiet=True)
    client.commit("from the sdk")


def read_fusion_masks(gas: GAS, gas_other: GAS) -> None:
    """The default branch of `DATASET` holds exactly `MASKS`: info through the SDK's frames,
    image bytes through the URLs the server lists. With `FRAMES` (a count), the segment has
    that many frames, every one with its Lidar data; those with no Camera data (gas rm took it
    out) list no mask."""
    workdir()
    expected = json.loads(os.environ["MASKS"])
    dataset = FusionDataset(os.environ["DATASET"], gas)
    frames = list(dataset[SEGMENT])
    assert len(frames) == int(os.environ.get("FRAMES", len(expected))), frames
    assert all("Lidar" in frame for frame in frames), frames
    cameras = [frame["Camera"] for frame in frames if "Camera" in frame]
    assert [data.path for data in cameras] == list(expected), [d.path for d in cameras]
    for data, masks in zip(cameras, expected.values(), strict=True):
        for kind, key in KEYS.items():
            remote = getattr(data.label, key, None)
            assert (remote is None) == (kind not in masks), (data.path, kind)
            if remote is None:
                continue
            wanted = _mask(kind, os.devnull, masks[kind]["info"])
            assert remote.all_attributes == wanted.all_attributes, (data.path, kind)
            try:  # the SDK gives a fusion frame's masks no URL
                remote.open()
            except ValueError as error:
                assert "has no url" in str(error), error
            else:
                raise AssertionError("the SDK opened a fusion mask: read it through the SDK")
    segment = gas.get_dataset(os.environ["DATASET"], is_fusion=True).get_segment(SEGMENT)
    details = segment._list_data_details(0, 128)["dataDetails"]  # pylint: disable=protected-access
    for kind in KEYS:
        by_url = segment._list_mask_urls(kind, 0, 128)["urls"]  # pylint: disable=protected-access
        assert len(by_url) == len(details) == len(frames), (kind, by_url)
        left = iter(expected.items())
        for raw, urls in zip(details, by_url, strict=True):
            listed = {entry["sensorName"]: entry["url"] for entry in urls["urls"]}
            assert urls["frameId"] == raw["frameId"], (urls, raw["frameId"])
            camera = next((data for data in raw["frame"] if data["sensorName"] == "Camera"),
                          None)
            if camera is None:
                assert not listed, (raw["frameId"], listed)
                continue
            name, masks = next(left)
            if kind not in masks:
                assert kind not in camera["label"] and not listed, (name, kind)
                continue
            want = masks[kind]["bytes"].encode()
            assert download(camera["label"][kind]["url"]) == want, (name, kind)
            assert sorted(listed) == ["Camera"], listed
            assert download(listed["Camera"]) == want, (name, kind)


def change_fusion_mask(gas: GAS, gas_other: GAS) -> None:
    """On the default branch of `DATASET`, Camera data `ITEM` gets the masks `CHANGED` (its
    label replaced by upload_label, by remote path), committed "mask from the sdk"."""
    tmp = workdir()
    client = gas.get_dataset(os.environ["DATASET"], is_fusion=True)
    client.create_draft("mask from the sdk")
    name = os.environ["ITEM"]
    data = Data(write(tmp, f"camera/{name}", b"unused"), target_remote_path=name)
    data.label = Label()
    data.label.classification = Classification("cat")
    for kind, spec in json.loads(os.environ["CHANGED"]).items():
        image = write(tmp, f"masks/{kind}/{name}.png", spec["bytes"].encode())
        setattr(data.label, KEYS[kind], _mask(kind, image, spec["info"]))
    client.get_segment(SEGMENT).upload_label(data)
    client.commit("mask from the sdk")
