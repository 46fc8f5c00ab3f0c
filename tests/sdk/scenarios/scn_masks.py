"""Masks between the SDK and `gas`: the SDK uploads masked data for `gas clone`, reads back what
`gas push` sent, and changes a mask for `gas pull` (tests/sdk/test_sdk_masks.py runs the gas side).

`MASKS` is JSON: {remotePath: {mask type: {"bytes": text, "info": list or null}}}, every item of
segment `train` (an item without masks has {}); `info` null means the mask has none.
"""

from __future__ import annotations

import json
import os
from typing import Any

from scn_data import CATALOG, contents, workdir, write
from tensorbay import GAS
from tensorbay.dataset import Data, Dataset
from tensorbay.label import Classification, InstanceMask, Label, PanopticMask, SemanticMask

SEGMENT = "train"
KEYS = {"SEMANTIC_MASK": "semantic_mask", "INSTANCE_MASK": "instance_mask",
        "PANOPTIC_MASK": "panoptic_mask"}


def _mask(kind: str, path: str, spec: dict[str, Any]) -> Any:
    """A local SDK mask of `kind` with the image bytes and info of `spec`."""
    info = spec.get("info")
    if kind == "SEMANTIC_MASK":
        mask: Any = SemanticMask(path)
        if info is not None:
            mask.all_attributes = {i["categoryId"]: i["attributes"] for i in info}
    elif kind == "INSTANCE_MASK":
        mask = InstanceMask(path)
        if info is not None:
            mask.all_attributes = {i["instanceId"]: i["attributes"] for i in info}
    else:
        mask = PanopticMask(path)
        mask.all_category_ids = {i["instanceId"]: i["categoryId"] for i in info or []}
        if info and "attributes" in info[0]:
            mask.all_attributes = {i["instanceId"]: i["attributes"] for i in info}
    return mask


def _label(tmp: str, name: str, masks: dict[str, Any]) -> Label:
    label = Label()
    label.classification = Classification("cat")
    for kind, spec in masks.items():
        image = write(tmp, f"masks/{kind}/{name}.png", spec["bytes"].encode())
        setattr(label, KEYS[kind], _mask(kind, image, spec))
    return label


def upload_masked(gas: GAS, gas_other: GAS) -> None:
    """Dataset `DATASET`: segment train with `MASKS`' items, committed "from the sdk"."""
    tmp = workdir()
    local = Dataset(os.environ["DATASET"])
    local.catalog.loads({kind: CATALOG[kind] for kind in ("CLASSIFICATION", *KEYS)})
    segment = local.create_segment(SEGMENT)
    for name, masks in json.loads(os.environ["MASKS"]).items():
        data = Data(write(tmp, f"data/{name}", f"data {name}".encode()), target_remote_path=name)
        data.label = _label(tmp, name, masks)
        segment.append(data)
    gas.create_dataset(os.environ["DATASET"])
    client = gas.upload_dataset(local, jobs=2, quiet=True)
    client.commit("from the sdk")


def read_masks(gas: GAS, gas_other: GAS) -> None:
    """The default branch of `DATASET` holds exactly `MASKS`: the images' bytes and info."""
    workdir()
    expected = json.loads(os.environ["MASKS"])
    dataset = Dataset(os.environ["DATASET"], gas)
    found = {data.path: data for data in dataset[SEGMENT]}
    assert sorted(found) == sorted(expected), (sorted(found), sorted(expected))
    for name, masks in expected.items():
        label = found[name].label
        for kind, key in KEYS.items():
            remote = getattr(label, key, None)
            assert (remote is None) == (kind not in masks), (name, kind)
            if remote is None:
                continue
            spec = masks[kind]
            assert contents(remote).decode() == spec["bytes"], (name, kind)
            wanted = _mask(kind, os.devnull, spec)
            assert (getattr(remote, "all_attributes", None)
                    == getattr(wanted, "all_attributes", None)), (name, kind)
            if kind == "PANOPTIC_MASK":
                assert remote.all_category_ids == wanted.all_category_ids, name


def change_mask(gas: GAS, gas_other: GAS) -> None:
    """On the default branch of `DATASET`, item `ITEM` gets the masks `CHANGED` (its label
    replaced by upload_label), committed "mask from the sdk"."""
    tmp = workdir()
    dataset_client = gas.get_dataset(os.environ["DATASET"])
    dataset_client.create_draft("mask from the sdk")
    segment = dataset_client.get_segment(SEGMENT)
    name = os.environ["ITEM"]
    data = Data(write(tmp, f"data/{name}", b"unused"), target_remote_path=name)
    data.label = _label(tmp, name, json.loads(os.environ["CHANGED"]))
    segment.upload_label(data)
    dataset_client.commit("mask from the sdk")
