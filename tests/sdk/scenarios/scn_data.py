"""Data items, labels, catalog, notes, statistics, total size and masks through the SDK.

Labels and catalogs are built from the JSON of spec section 4 with the SDK's own loaders, so a
read-back is compared as loaded SDK objects (what the spec requires), not as raw JSON.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from typing import Any

import requests
from common import contents
from tensorbay import GAS
from tensorbay.client.segment import SegmentClient
from tensorbay.dataset import Data, Dataset, Segment
from tensorbay.exception import InvalidParamsError, ResourceNotExistError
from tensorbay.label import (
    Catalog,
    InstanceMask,
    Label,
    PanopticMask,
    SemanticMask,
)

# label JSON of every non-mask type (spec 4.1.1 - 4.1.10)
LABELS: dict[str, Any] = {
    "CLASSIFICATION": {"category": "animal.cat", "attributes": {"gender": "male"}},
    "BOX2D": [
        {
            "box2d": {"xmin": 639.85, "ymin": 175.24, "xmax": 667.59, "ymax": 200.41},
            "category": "01",
            "attributes": {"attribute_1": False, "Vertical angle": -30},
            "instance": "12345",
        },
        {"box2d": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "category": "02"},
    ],
    "BOX3D": [
        {
            "box3d": {
                "translation": {"x": 1.0, "y": 2.0, "z": 3.0},
                "rotation": {"w": 1.0, "x": 0.0, "y": 0.0, "z": 0.0},
                "size": {"x": 4.2, "y": 1.8, "z": 1.5},
            },
            "category": "car",
            "instance": "7",
        }
    ],
    "POLYGON": [
        {"polygon": [{"x": 1, "y": 2}, {"x": 2, "y": 3}, {"x": 1, "y": 3}], "category": "roof"}
    ],
    "MULTI_POLYGON": [
        {
            "multiPolygon": [
                [{"x": 1.0, "y": 2.0}, {"x": 2.0, "y": 3.0}, {"x": 1.0, "y": 3.0}],
                [{"x": 1.0, "y": 4.0}, {"x": 2.0, "y": 3.0}, {"x": 1.0, "y": 8.0}],
            ],
            "category": "cat",
            "attributes": {"gender": "male"},
            "instance": "12345",
        }
    ],
    "RLE": [
        {
            "rle": [272, 2, 4, 4, 2, 9],
            "category": "cat",
            "attributes": {"gender": "male"},
            "instance": "12345",
        }
    ],
    "POLYLINE2D": [
        {
            "polyline2d": [{"x": 1, "y": 2}, {"x": 2, "y": 4}, {"x": 2, "y": 1}],
            "beizerPointTypes": "LCL",
            "category": "lane",
        }
    ],
    "MULTI_POLYLINE2D": [
        {
            "multiPolyline2d": [
                [{"x": 1, "y": 1}, {"x": 1, "y": 2}, {"x": 2, "y": 2}],
                [{"x": 2, "y": 3}, {"x": 3, "y": 5}],
            ],
            "category": "cat",
            "attributes": {"gender": "male"},
            "instance": "12345",
        }
    ],
    "KEYPOINTS2D": [
        {
            "keypoints2d": [{"x": 10, "y": 20, "v": 2}, {"x": 15, "y": 25, "v": 0}],
            "category": "person",
            "instance": "3",
        }
    ],
    "SENTENCE": [
        {
            "sentence": [{"text": "qi1shi2", "begin": 1.0, "end": 2.0}],
            "spell": [{"text": "qi1", "begin": 1.0, "end": 1.5}],
            "phone": [{"text": "q", "begin": 1.0, "end": 1.1}],
            "attributes": {"speaker": "A"},
        }
    ],
}

GENDER = [{"name": "gender", "enum": ["male", "female"]}]

# a catalog covering every type above and the three masks (spec 4.2)
CATALOG: dict[str, Any] = {
    "CLASSIFICATION": {
        "categoryDelimiter": ".",
        "categories": [{"name": "animal.cat"}, {"name": "animal.dog", "description": "dogs"}],
        "attributes": GENDER,
    },
    "BOX2D": {
        "isTracking": True,
        "categories": [{"name": "01"}, {"name": "02"}],
        "attributes": [
            {"name": "attribute_1", "type": "boolean"},
            {"name": "attribute_2", "type": "integer", "minimum": 0, "maximum": 92},
            {"name": "Vertical angle", "enum": [-90, -60, -30, -15, 0, 15, 30, 60, 90]},
        ],
    },
    "BOX3D": {"isTracking": True, "categories": [{"name": "car"}]},
    "POLYGON": {"categories": [{"name": "roof"}]},
    "MULTI_POLYGON": {"isTracking": True, "categories": [{"name": "cat"}], "attributes": GENDER},
    "RLE": {"isTracking": True, "categories": [{"name": "cat"}], "attributes": GENDER},
    "POLYLINE2D": {"isBeizerCurve": True, "categories": [{"name": "lane"}]},
    "MULTI_POLYLINE2D": {
        "isTracking": True, "categories": [{"name": "cat"}], "attributes": GENDER
    },
    "KEYPOINTS2D": {
        "isTracking": True,
        "keypoints": [
            {
                "number": 2,
                "names": ["L_shoulder", "R_shoulder"],
                "skeleton": [[0, 1]],
                "visible": "TERNARY",
                "parentCategories": ["person"],
                "description": "upper body",
            }
        ],
        "categories": [{"name": "person"}],
    },
    "SENTENCE": {
        "isSample": True,
        "sampleRate": 16000,
        "lexicon": [["mean", "m", "iy", "n"]],
        "attributes": [{"name": "speaker", "enum": ["A", "B"]}],
    },
    "SEMANTIC_MASK": {
        "categories": [{"name": "cat", "categoryId": 0}, {"name": "dog", "categoryId": 1}],
        "attributes": [{"name": "occluded", "type": "boolean"}],
    },
    "INSTANCE_MASK": {
        "categories": [{"name": "background", "categoryId": 0}],
        "attributes": [{"name": "occluded", "type": "boolean"}],
    },
    "PANOPTIC_MASK": {
        "categories": [{"name": "cat", "categoryId": 0}, {"name": "dog", "categoryId": 1}],
        "attributes": [{"name": "occluded", "type": "boolean"}],
    },
}

# the statistics example of spec 3.13: one item, three labels with category and enum attribute
STATS_LABEL: dict[str, Any] = {
    kind: LABELS[kind] for kind in ("MULTI_POLYLINE2D", "MULTI_POLYGON", "RLE")
}
_STATS_ENTRY = {
    "attributes": [{"enum": ["male"], "name": "gender", "quantities": [1]}],
    "categories": [
        {
            "attributes": [{"enum": ["male"], "name": "gender", "quantities": [1]}],
            "name": "cat",
            "quantity": 1,
        }
    ],
    "quantity": 1,
}
STATS_EXPECTED = {kind: _STATS_ENTRY for kind in STATS_LABEL}


# helpers ---------------------------------------------------------------------------------
def workdir() -> str:
    """A fresh temporary directory, also made the cwd: the SDK caches masks under the cwd."""
    path = tempfile.mkdtemp(prefix="gasvc-scn-")
    atexit.register(shutil.rmtree, path, True)
    os.chdir(path)
    return path


def write(directory: str, name: str, content: bytes) -> str:
    path = os.path.join(directory, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(content)
    return path


def labeled(directory: str, name: str, content: bytes, label: dict[str, Any] | None = None,
            **kwargs: Any) -> Data:
    data = Data(write(directory, name, content), **kwargs)
    if label:
        data.label = Label.loads(label)
    return data


def catalog() -> Catalog:
    return Catalog.loads(CATALOG)


def new_draft(gas: GAS, name: str, is_fusion: bool = False) -> Any:
    dataset_client = gas.create_dataset(name, is_fusion=is_fusion)
    dataset_client.create_draft("draft-1")
    return dataset_client




def download(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


def paths(segment: Any) -> list[str]:
    return [data.path for data in segment]


def expect(error: type[Exception], call: Any, *args: Any, **kwargs: Any) -> Exception:
    try:
        call(*args, **kwargs)
    except error as raised:
        return raised
    raise AssertionError(f"{getattr(call, '__name__', call)}{args} did not raise {error.__name__}")


def upload_files(segment_client: SegmentClient, directory: str,
                 files: dict[str, bytes]) -> None:
    for name, content in files.items():
        segment_client.upload_file(write(directory, name, content), name)


# scenarios -------------------------------------------------------------------------------
def labels_of_every_type_round_trip(gas: GAS, gas_other: GAS) -> None:
    """upload_data / upload_file with each label type; read back from the draft and a commit."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_labels")
    dataset_client.upload_catalog(catalog())
    segment_client = dataset_client.get_or_create_segment("seg")
    uploaded = {}
    for index, (kind, value) in enumerate(LABELS.items()):
        data = labeled(tmp, f"{kind.lower()}.bin", f"content of {kind}".encode(),
                       {kind: value}, timestamp=1614667532.5 + index)
        segment_client.upload_data(data)
        uploaded[data.target_remote_path] = data
    everything = labeled(tmp, "all.bin", b"all", LABELS)
    segment_client.upload_data(everything)
    uploaded["all.bin"] = everything
    segment_client.upload_file(write(tmp, "plain.txt", b"CONTENT"), "nested/plain.txt")

    def check(remote: list[Any]) -> None:
        assert [data.path for data in remote] == sorted([*uploaded, "nested/plain.txt"])
        for data in remote:
            if data.path == "nested/plain.txt":
                assert contents(data) == b"CONTENT"
                assert not data.label
                continue
            local = uploaded[data.path]
            assert contents(data) == contents(local), data.path
            assert data.label == local.label, data.path
            assert data.label.dumps() == local.label.dumps(), data.path
            assert getattr(data, "timestamp", None) == getattr(local, "timestamp", None)

    check(list(segment_client.list_data()))
    assert dataset_client.get_catalog() == catalog()
    dataset_client.commit("labels")
    remote_dataset = Dataset("data_labels", gas)
    assert remote_dataset.keys() == ("seg",)
    assert remote_dataset.catalog == catalog()
    check(list(remote_dataset["seg"]))
    single = dataset_client.get_segment("seg").get_data("box2d.bin")
    assert single.label == uploaded["box2d.bin"].label
    assert contents(single) == b"content of BOX2D"


def upload_dataset_round_trip(gas: GAS, gas_other: GAS) -> None:
    """gas.upload_dataset of a local Dataset: segments, data, labels, catalog and notes."""
    tmp = workdir()
    local = Dataset("data_upload_dataset")
    catalog_path = write(tmp, "catalog.json", json.dumps(CATALOG).encode())
    local.load_catalog(catalog_path)
    local.notes.is_continuous = True
    local.notes.bin_point_cloud_fields = ["X", "Y", "Z"]
    for segment_name in ("train", "test"):
        segment = local.create_segment(segment_name)
        for index in range(7):
            kind = list(LABELS)[index]
            segment.append(labeled(tmp, f"{segment_name}/file{index}.bin",
                                   f"{segment_name}-{index}".encode(), {kind: LABELS[kind]}))
    gas.create_dataset("data_upload_dataset")
    dataset_client = gas.upload_dataset(local, jobs=4, quiet=True)
    dataset_client.commit("uploaded")

    remote = Dataset("data_upload_dataset", gas)
    assert remote.keys() == ("test", "train")
    assert remote.catalog == catalog()
    assert remote.notes.is_continuous is True
    assert remote.notes.bin_point_cloud_fields == ["X", "Y", "Z"]
    for segment_name in ("train", "test"):
        remote_segment, local_segment = remote[segment_name], local[segment_name]
        assert len(remote_segment) == 7
        for remote_data, local_data in zip(remote_segment, local_segment, strict=True):
            assert remote_data.path == local_data.target_remote_path
            assert contents(remote_data) == contents(local_data)
            assert remote_data.label == local_data.label


def ordering_is_code_point_order(gas: GAS, gas_other: GAS) -> None:
    """goodbye0..4 before hello0..4; hello10.txt between hello1.txt and hello2.txt."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_order")
    segment_client = dataset_client.get_or_create_segment("seg")
    names = [f"hello{i}.txt" for i in (4, 10, 3, 2, 1, 0)]
    names += [f"goodbye{i}.txt" for i in (3, 1, 4, 0, 2)]
    # code points, not UTF-16 units: U+FF5A sorts before U+1F600
    names += ["Zebra.txt", "a/b.txt", "a.txt", "_x.txt", "\U0001f600.txt", "\uff5a.txt",
              "\u00e9.txt", "\u65e5/\u672c.txt"]
    upload_files(segment_client, tmp, {name: name.encode() for name in names})
    expected = [
        "Zebra.txt", "_x.txt", "a.txt", "a/b.txt",
        "goodbye0.txt", "goodbye1.txt", "goodbye2.txt", "goodbye3.txt", "goodbye4.txt",
        "hello0.txt", "hello1.txt", "hello10.txt", "hello2.txt", "hello3.txt", "hello4.txt",
        "\u00e9.txt", "\u65e5/\u672c.txt", "\uff5a.txt", "\U0001f600.txt",
    ]
    assert list(segment_client.list_data_paths()) == expected
    remote = list(segment_client.list_data())
    assert [data.path for data in remote] == expected
    assert [contents(data) for data in remote] == [name.encode() for name in expected]
    urls = list(segment_client.list_urls())
    assert [download(url) for url in urls] == [name.encode() for name in expected]
    dataset_client.commit("order")
    assert paths(Dataset("data_order", gas)["seg"]) == expected


def overwrite_replaces_file_and_drops_label(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = new_draft(gas, "data_overwrite")
    dataset_client.upload_catalog(catalog())
    segment_client = dataset_client.get_or_create_segment("seg")
    for index in range(5):
        segment_client.upload_data(labeled(tmp, f"hello{index}.txt", b"CONTENT",
                                           {"BOX2D": LABELS["BOX2D"]}, timestamp=1.0))
    dataset_client.commit("first")
    first = dataset_client.status.commit_id
    dataset_client.create_draft("second")
    segment_client = dataset_client.get_segment("seg")
    for index in range(5):
        segment_client.upload_data(Data(write(tmp, f"new{index}.txt", b"NEW CONTENT"),
                                        target_remote_path=f"hello{index}.txt"))
    remote = list(segment_client.list_data())
    assert [data.path for data in remote] == [f"hello{index}.txt" for index in range(5)]
    for data in remote:
        assert contents(data) == b"NEW CONTENT"
        assert not data.label
        assert not hasattr(data, "timestamp")
    # the commit before is untouched
    old = Dataset("data_overwrite", gas, revision=first)
    for data in old["seg"]:
        assert contents(data) == b"CONTENT"
        assert data.label == Label.loads({"BOX2D": LABELS["BOX2D"]})


def upload_label_replaces_labels(gas: GAS, gas_other: GAS) -> None:
    """upload_label replaces (never merges); an unknown remote path is ResourceNotExist."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_upload_label")
    dataset_client.upload_catalog(catalog())
    segment_client = dataset_client.get_or_create_segment("seg")
    first = {"BOX2D": LABELS["BOX2D"], "CLASSIFICATION": LABELS["CLASSIFICATION"]}
    for index in range(3):
        segment_client.upload_data(labeled(tmp, f"hello{index}.txt", b"CONTENT", first))
    second = {"POLYGON": LABELS["POLYGON"]}
    relabeled = []
    for index in range(2):
        data = Data(os.path.join(tmp, f"hello{index}.txt"))
        data.label = Label.loads(second)
        relabeled.append(data)
    segment_client.upload_label(relabeled)
    remote = list(segment_client.list_data())
    assert [data.label for data in remote] == [
        Label.loads(second), Label.loads(second), Label.loads(first)
    ]
    assert [contents(data) for data in remote] == [b"CONTENT"] * 3

    ghost = Data(os.path.join(tmp, "hello0.txt"), target_remote_path="ghost.txt")
    ghost.label = Label.loads(second)
    expect(ResourceNotExistError, segment_client.upload_label, ghost)
    assert list(segment_client.list_data_paths()) == [f"hello{i}.txt" for i in range(3)]


def delete_data(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = new_draft(gas, "data_delete")
    segment_client = dataset_client.get_or_create_segment("seg")
    upload_files(segment_client, tmp, {f"hello{i}.txt": f"content{i}".encode() for i in range(5)})
    dataset_client.commit("five")
    first = dataset_client.status.commit_id
    dataset_client.create_draft("delete two")
    segment_client = dataset_client.get_segment("seg")
    segment_client.delete_data("hello1.txt")
    segment_client.delete_data("hello3.txt")
    remote = list(segment_client.list_data())
    assert [data.path for data in remote] == ["hello0.txt", "hello2.txt", "hello4.txt"]
    assert [contents(data) for data in remote] == [b"content0", b"content2", b"content4"]
    expect(ResourceNotExistError, segment_client.get_data, "hello1.txt")
    expect(ResourceNotExistError, segment_client.delete_data, "hello1.txt")
    dataset_client.commit("three")
    assert paths(Dataset("data_delete", gas)["seg"]) == ["hello0.txt", "hello2.txt", "hello4.txt"]
    assert len(Dataset("data_delete", gas, revision=first)["seg"]) == 5


def list_paging_over_300_items(gas: GAS, gas_other: GAS) -> None:
    """Pages (0,128) (128,128) (256,44), also when the first access is at index 256."""
    tmp = workdir()
    local = Segment("seg")
    names = [f"item{index:04d}.txt" for index in range(300)]
    for name in reversed(names):
        local.append(Data(write(tmp, name, name.encode())))
    dataset_client = new_draft(gas, "data_paging")
    dataset_client.upload_segment(local, jobs=8, quiet=True)
    segment_client = dataset_client.get_segment("seg")

    lazy = segment_client.list_data_paths()
    assert lazy[299] == names[299] and lazy[256] == names[256]
    assert len(lazy) == 300
    assert list(lazy) == names
    data = segment_client.list_data()
    for index in (299, 256, 255, 128, 127, 0):
        assert data[index].path == names[index]
        assert contents(data[index]) == names[index].encode()
    assert [item.path for item in data] == names
    urls = segment_client.list_urls()
    assert len(urls) == 300
    assert download(urls[256]) == names[256].encode()
    # labels go in batches of 128 objects
    relabeled = []
    for index, name in enumerate(names):
        item = Data(os.path.join(tmp, name))
        item.label = Label.loads({"CLASSIFICATION": {"category": f"c{index}"}})
        relabeled.append(item)
    segment_client.upload_label(relabeled)
    data = segment_client.list_data()
    for index in (0, 127, 128, 255, 256, 299):
        assert data[index].label.classification.category == f"c{index}"
    dataset_client.commit("300")
    remote = Dataset("data_paging", gas)["seg"]
    assert len(remote) == 300
    assert [item.path for item in remote] == names


def skip_uploaded_files(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = new_draft(gas, "data_skip")
    first = Segment("seg")
    for index in range(5):
        first.append(Data(write(tmp, f"old/hello{index}.txt", b"OLD"),
                          target_remote_path=f"hello{index}.txt"))
    dataset_client.upload_segment(first, quiet=True)
    second = Segment("seg")
    for index in range(8):
        second.append(Data(write(tmp, f"new/hello{index}.txt", b"NEW"),
                           target_remote_path=f"hello{index}.txt"))
    dataset_client.upload_segment(second, jobs=2, skip_uploaded_files=True, quiet=True)
    remote = list(dataset_client.get_segment("seg").list_data())
    assert [data.path for data in remote] == [f"hello{index}.txt" for index in range(8)]
    assert [contents(data) for data in remote] == [b"OLD"] * 5 + [b"NEW"] * 3


def catalog_round_trip_and_versions(gas: GAS, gas_other: GAS) -> None:
    dataset_client = new_draft(gas, "data_catalog")
    assert dataset_client.get_catalog() == Catalog()
    dataset_client.upload_catalog(catalog())
    assert dataset_client.get_catalog() == catalog()
    raw = dataset_client._client.open_api_do(
        "GET", "labels/catalogs", dataset_client.dataset_id,
        params=dataset_client.status.get_status_info()).json()
    assert Catalog.loads(raw["catalog"]) == catalog()
    assert raw["catalog"] == catalog().dumps()
    expect(InvalidParamsError, dataset_client.upload_catalog, Catalog())
    assert dataset_client.get_catalog() == catalog()
    dataset_client.commit("with catalog")
    first = dataset_client.status.commit_id
    assert dataset_client.get_catalog() == catalog()

    dataset_client.create_draft("inherits")
    assert dataset_client.get_catalog() == catalog()
    smaller = Catalog.loads({"BOX2D": CATALOG["BOX2D"]})
    dataset_client.upload_catalog(smaller)  # replaces the whole catalog
    assert dataset_client.get_catalog() == smaller
    dataset_client.commit("smaller")
    assert Dataset("data_catalog", gas).catalog == smaller
    assert Dataset("data_catalog", gas, revision=first).catalog == catalog()


def _notes(notes: Any) -> tuple[bool, list[str] | None]:
    return notes.is_continuous, notes.bin_point_cloud_fields


def notes_are_versioned(gas: GAS, gas_other: GAS) -> None:
    dataset_client = new_draft(gas, "data_notes")
    assert _notes(dataset_client.get_notes()) == (False, None)
    fields = ["X", "Y", "Z", "Intensity", "Ring"]
    dataset_client.update_notes(is_continuous=True, bin_point_cloud_fields=fields)
    assert _notes(dataset_client.get_notes()) == (True, fields)
    dataset_client.commit("notes")
    first = dataset_client.status.commit_id
    assert _notes(dataset_client.get_notes()) == (True, fields)

    dataset_client.create_draft("partial")
    assert _notes(dataset_client.get_notes()) == (True, fields)
    dataset_client.update_notes(is_continuous=False)  # binPointCloudFields kept
    assert _notes(dataset_client.get_notes()) == (False, fields)
    dataset_client.update_notes(bin_point_cloud_fields=None)
    assert _notes(dataset_client.get_notes()) == (False, None)
    dataset_client.commit("cleared")
    assert _notes(Dataset("data_notes", gas).notes) == (False, None)
    assert _notes(Dataset("data_notes", gas, revision=first).notes) == (True, fields)


def label_statistics_exact(gas: GAS, gas_other: GAS) -> None:
    """Spec 3.13's example, then counts over several items and categories."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_statistics")
    assert dataset_client.get_label_statistics().dumps() == {}
    dataset_client.upload_catalog(catalog())
    segment_client = dataset_client.get_or_create_segment("seg")
    segment_client.upload_data(labeled(tmp, "hello0.txt", b"CONTENT", STATS_LABEL))
    segment_client.upload_file(write(tmp, "unlabeled.txt", b"x"), "unlabeled.txt")
    assert dataset_client.get_label_statistics().dumps() == STATS_EXPECTED
    dataset_client.commit("stats")
    assert dataset_client.get_label_statistics().dumps() == STATS_EXPECTED

    dataset_client.create_draft("more")
    segment_client = dataset_client.get_segment("seg")
    boxes = [
        {"box2d": {"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1}, "category": "01",
         "attributes": {"attribute_1": flag, "attribute_2": 3}}
        for flag in (True, False, True)
    ]
    boxes.append({"box2d": {"xmin": 0, "ymin": 0, "xmax": 2, "ymax": 2}, "category": "02"})
    segment_client.upload_data(labeled(tmp, "hello1.txt", b"C1", {"BOX2D": boxes[:2]}))
    segment_client.upload_data(labeled(tmp, "hello2.txt", b"C2", {
        "BOX2D": boxes[2:], "CLASSIFICATION": {"category": "animal.dog"}
    }))
    statistics = dataset_client.get_label_statistics().dumps()
    assert statistics["BOX2D"] == {
        "quantity": 4,
        "attributes": [{"name": "attribute_1", "enum": [True, False], "quantities": [2, 1]}],
        "categories": [
            {"name": "01", "quantity": 3, "attributes": [
                {"name": "attribute_1", "enum": [True, False], "quantities": [2, 1]}
            ]},
            {"name": "02", "quantity": 1},
        ],
    }
    assert statistics["CLASSIFICATION"] == {
        "quantity": 1, "categories": [{"name": "animal.dog", "quantity": 1}]
    }
    assert {kind: statistics[kind] for kind in STATS_LABEL} == STATS_EXPECTED
    # the commit's figures did not change
    commit_client = gas.get_dataset("data_statistics")
    assert commit_client.get_label_statistics().dumps() == STATS_EXPECTED


def total_size(gas: GAS, gas_other: GAS) -> None:
    tmp = workdir()
    dataset_client = new_draft(gas, "data_total_size")
    segment_client = dataset_client.get_or_create_segment("seg")
    segment_client.upload_file(write(tmp, "hello.txt", b"CONTENT"), "hello.txt")
    dataset_client.commit("seven bytes")
    first = dataset_client.status.commit_id
    assert dataset_client.get_total_size() == 7

    dataset_client.create_draft("more")
    segment_client = dataset_client.get_segment("seg")
    segment_client.upload_file(write(tmp, "big.bin", b"x" * 1000), "big.bin")
    # the same content again: storage is counted once
    segment_client.upload_file(write(tmp, "copy.txt", b"CONTENT"), "copy.txt")
    other = dataset_client.get_or_create_segment("other")
    other.upload_file(write(tmp, "third.txt", b"abc"), "third.txt")
    dataset_client.commit("more")
    assert dataset_client.get_total_size() == 1010
    dataset_client.checkout(first)
    assert dataset_client.get_total_size() == 7


def _masked(tmp: str, name: str, kinds: tuple[str, ...]) -> Data:
    data = Data(write(tmp, name, f"data {name}".encode()), target_remote_path=name)
    stem = os.path.splitext(name)[0]
    label = Label.loads({"CLASSIFICATION": {"category": "animal.cat"}})
    if "semantic" in kinds:
        mask = SemanticMask(write(tmp, f"masks/semantic/{stem}.png", f"SEM {stem}".encode()))
        mask.all_attributes = {0: {"occluded": True}, 1: {"occluded": False}}
        label.semantic_mask = mask
    if "instance" in kinds:
        instance = InstanceMask(write(tmp, f"masks/instance/{stem}.png",
                                      f"INS {stem}".encode()))
        instance.all_attributes = {1: {"occluded": False}}
        label.instance_mask = instance
    if "panoptic" in kinds:
        panoptic = PanopticMask(write(tmp, f"masks/panoptic/{stem}.png",
                                      f"PAN {stem}".encode()))
        panoptic.all_category_ids = {100: 0, 101: 1}
        if stem != "hello2":
            panoptic.all_attributes = {100: {"occluded": True}, 101: {"occluded": False}}
        label.panoptic_mask = panoptic
    data.label = label
    return data


def _check_mask(remote: Any, local: Any, data_path: str) -> None:
    assert remote.path == os.path.splitext(data_path)[0] + ".png", remote.path
    assert contents(remote) == contents(local)
    assert getattr(remote, "all_attributes", None) == getattr(local, "all_attributes", None)


def masks_round_trip(gas: GAS, gas_other: GAS) -> None:
    """Semantic/instance/panoptic masks uploaded with the data and by upload_label."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_masks")
    dataset_client.upload_catalog(catalog())
    segment_client = dataset_client.get_or_create_segment("seg")
    kinds = {
        "hello0.txt": ("semantic", "instance", "panoptic"),
        "hello1.txt": ("semantic",),
        "hello2.txt": ("panoptic",),
        "sub/hello3.jpg": ("instance",),
    }
    uploaded = {}
    for name, mask_kinds in kinds.items():
        data = _masked(tmp, name, mask_kinds)
        segment_client.upload_data(data)
        uploaded[name] = data
    segment_client.upload_file(write(tmp, "plain.txt", b"data plain.txt"), "plain.txt")
    # masks added by upload_label onto an existing item
    late = _masked(tmp, "plain.txt", ("semantic", "panoptic"))
    segment_client.upload_label(late)
    uploaded["plain.txt"] = late

    def check(remote_data: list[Any]) -> None:
        assert [data.path for data in remote_data] == sorted(uploaded)
        for data in remote_data:
            local = uploaded[data.path]
            assert contents(data) == contents(local)
            assert data.label.classification == local.label.classification
            for key in ("semantic_mask", "instance_mask", "panoptic_mask"):
                local_mask = getattr(local.label, key, None)
                remote_mask = getattr(data.label, key, None)
                assert (remote_mask is None) == (local_mask is None), (data.path, key)
                if local_mask is not None:
                    _check_mask(remote_mask, local_mask, data.path)
            if hasattr(local.label, "panoptic_mask"):
                assert (data.label.panoptic_mask.all_category_ids
                        == local.label.panoptic_mask.all_category_ids)

    check(list(segment_client.list_data()))
    order = sorted(uploaded)
    for mask_type, key in (("SEMANTIC_MASK", "semantic_mask"), ("INSTANCE_MASK", "instance_mask"),
                           ("PANOPTIC_MASK", "panoptic_mask")):
        urls = list(segment_client.list_mask_urls(mask_type))
        assert len(urls) == len(order)
        for url, name in zip(urls, order, strict=True):
            mask = getattr(uploaded[name].label, key, None)
            assert (url is None) == (mask is None), (mask_type, name)
    single = segment_client.get_data("hello0.txt")
    _check_mask(single.label.semantic_mask, uploaded["hello0.txt"].label.semantic_mask,
                "hello0.txt")
    raw = dataset_client._client.open_api_do("GET", "data/details", dataset_client.dataset_id,
                                             params={"segmentName": "seg", "offset": 0,
                                                     "limit": 128,
                                                     **dataset_client.status.get_status_info()})
    items = {item["remotePath"]: item for item in raw.json()["dataDetails"]}
    assert items["hello2.txt"]["label"]["PANOPTIC_MASK"]["info"] == [
        {"instanceId": 100, "categoryId": 0}, {"instanceId": 101, "categoryId": 1}
    ]
    assert items["sub/hello3.jpg"]["label"]["INSTANCE_MASK"]["remotePath"] == "sub/hello3.png"
    # single-item forms, used by the SDK to refresh expired URLs
    status = dataset_client.status.get_status_info()
    for mask_type, key in (("SEMANTIC_MASK", "semantic_mask"), ("PANOPTIC_MASK", "panoptic_mask")):
        single_urls = dataset_client._client.open_api_do(
            "GET", "masks/urls", dataset_client.dataset_id,
            params={"segmentName": "seg", "maskType": mask_type, "remotePath": "hello0.txt",
                    **status}).json()["urls"]
        assert download(single_urls[0]["url"]) == contents(
            getattr(uploaded["hello0.txt"].label, key))
    single_urls = dataset_client._client.open_api_do(
        "GET", "data/urls", dataset_client.dataset_id,
        params={"segmentName": "seg", "remotePath": "sub/hello3.jpg", **status}).json()["urls"]
    assert download(single_urls[0]["url"]) == b"data sub/hello3.jpg"
    dataset_client.commit("masks")
    check(list(Dataset("data_masks", gas)["seg"]))

    # a label without masks replaces one with masks: the masks are gone
    dataset_client.create_draft("drop masks")
    segment_client = dataset_client.get_segment("seg")
    relabel = Data(os.path.join(tmp, "hello0.txt"))
    relabel.label = Label.loads({"CLASSIFICATION": {"category": "animal.dog"}})
    segment_client.upload_label(relabel)
    uploaded["hello0.txt"] = relabel
    check(list(segment_client.list_data()))
    assert segment_client.list_mask_urls("SEMANTIC_MASK")[0] is None


def root_commit_reads_as_empty(gas: GAS, gas_other: GAS) -> None:
    """A dataset without commits answers reads at the ROOT commit as an empty version."""
    dataset_client = gas.create_dataset("data_root")
    assert dataset_client.status.commit_id == "0" * 32
    assert list(dataset_client.list_segment_names()) == []
    assert dataset_client.get_catalog() == Catalog()
    assert _notes(dataset_client.get_notes()) == (False, None)
    assert dataset_client.get_label_statistics().dumps() == {}
    assert dataset_client.get_total_size() == 0
    assert len(Dataset("data_root", gas)) == 0


def invalid_uploads_are_rejected(gas: GAS, gas_other: GAS) -> None:
    """Bad remote paths, unknown blobs and wrong sizes: InvalidParams, nothing registered."""
    tmp = workdir()
    dataset_client = new_draft(gas, "data_invalid")
    segment_client = dataset_client.get_or_create_segment("seg")
    local = write(tmp, "hello.txt", b"CONTENT")
    for bad in ("../hello.txt", "/hello.txt", "a\\b.txt", "a//b.txt", "./a.txt"):
        expect(InvalidParamsError, segment_client.upload_file, local, bad)
    segment_client.upload_file(local, "hello.txt")
    checksum = Data(local).get_checksum()

    def callback(obj: dict[str, Any]) -> None:
        dataset_client._client.open_api_do("PUT", "multi/callback", dataset_client.dataset_id,
                                           json={"segmentName": "seg", "objects": [obj],
                                                 **dataset_client.status.get_status_info()})

    expect(InvalidParamsError, callback,
           {"checksum": "0" * 40, "fileSize": 7, "remotePath": "ghost.txt"})
    expect(InvalidParamsError, callback,
           {"checksum": checksum, "fileSize": 8, "remotePath": "wrong-size.txt"})
    callback({"checksum": checksum, "fileSize": 7, "remotePath": "same-blob.txt"})
    remote = list(segment_client.list_data())
    assert [data.path for data in remote] == ["hello.txt", "same-blob.txt"]
    assert [contents(data) for data in remote] == [b"CONTENT", b"CONTENT"]
