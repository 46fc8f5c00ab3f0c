"""Copy and move of segments and data through the unmodified SDK (spec 2.5.4, 2.5.5, 2.9.2,
2.9.3, 3.12): every form, each strategy, across datasets, from commits; labels and masks travel,
files are shared (readable in the target), and a refused `abort` (answered 500, which the SDK
sends four times) changes nothing."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import contents as read
from tensorbay import GAS
from tensorbay.client.dataset import DatasetClient
from tensorbay.dataset import Data, Frame
from tensorbay.exception import InternalServerError, ResponseError
from tensorbay.label import Classification, SemanticMask
from tensorbay.sensor import Sensors

MASK = b"\x89PNG mask bytes"


def raises(error: type[BaseException], call: Callable[[], Any]) -> None:
    try:
        call()
    except error:
        return
    raise AssertionError(f"{call} did not raise {error.__name__}")


def upload(client: DatasetClient, segment: str, files: dict[str, str],
           mask: str | None = None) -> None:
    """Upload files (name → category; content "<name> <category>") into the open draft;
    `mask` names one that gets a semantic mask too."""
    root = Path(tempfile.mkdtemp(prefix="scn_copymove_"))
    target = client.get_or_create_segment(segment)
    for name, category in files.items():
        path = root / name
        path.write_bytes(f"{name} {category}".encode())
        data = Data(str(path), target_remote_path=name)
        data.label.classification = Classification(category)
        if name == mask:
            image = root / "mask.png"
            image.write_bytes(MASK)
            data.label.semantic_mask = SemanticMask(str(image))
        target.upload_data(data)




def content(client: DatasetClient, segment: str) -> dict[str, str]:
    """name → category of a segment, each file read (its bytes end with its category)."""
    found = {}
    for data in client.get_segment(segment).list_data():
        category = data.label.classification.category
        assert read(data).endswith(f" {category}".encode()), data.path
        found[data.path] = category
    return found


def names(count: int, category: str, start: int = 0) -> dict[str, str]:
    return {f"hello{i}.txt": category for i in range(start, start + count)}


def fresh(gas: GAS, name: str) -> DatasetClient:
    client = gas.create_dataset(name)
    client.create_draft("draft")
    return client


# segments ----------------------------------------------------------------------------------
def copy_segment_in_draft(gas: GAS, gas_other: GAS) -> None:
    client = fresh(gas, "cm_seg_copy")
    upload(client, "Segment1", names(5, "a"), mask="hello0.txt")
    copied = client.copy_segment("Segment1", "Segment2")
    assert copied.name == "Segment2"
    assert content(client, "Segment2") == names(5, "a")
    (first, *_) = client.get_segment("Segment2").list_data()
    assert read(first.label.semantic_mask) == MASK  # masks travel
    upload(client, "Segment3", names(2, "b"))
    raises(InternalServerError, lambda: client.copy_segment("Segment1", "Segment3"))
    assert content(client, "Segment3") == names(2, "b")  # abort (and its retries): nothing
    client.copy_segment("Segment1", "Segment3", strategy="skip")
    assert content(client, "Segment3") == names(2, "b")
    client.copy_segment("Segment1", "Segment3", strategy="override")
    assert content(client, "Segment3") == names(5, "a")
    assert sorted(s for s in client.list_segment_names()) == ["Segment1", "Segment2", "Segment3"]


def move_segment_in_draft(gas: GAS, gas_other: GAS) -> None:
    client = fresh(gas, "cm_seg_move")
    upload(client, "Segment1", names(3, "a"))
    upload(client, "Segment2", names(2, "b"))
    raises(InternalServerError, lambda: client.move_segment("Segment1", "Segment2"))
    assert sorted(client.list_segment_names()) == ["Segment1", "Segment2"]
    client.move_segment("Segment1", "Segment2", strategy="skip")
    assert content(client, "Segment2") == names(2, "b")
    assert "Segment1" in client.list_segment_names()  # skip keeps the source
    client.move_segment("Segment1", "Segment2", strategy="override")
    assert list(client.list_segment_names()) == ["Segment2"]
    assert content(client, "Segment2") == names(3, "a")
    client.move_segment("Segment2", "renamed")
    assert list(client.list_segment_names()) == ["renamed"]
    assert content(client, "renamed") == names(3, "a")


def copy_segment_between_datasets_from_commit(gas: GAS, gas_other: GAS) -> None:
    source = fresh(gas, "cm_seg_src")
    upload(source, "Segment1", names(10, "src"), mask="hello3.txt")
    source.commit("ten")
    source.create_draft("later")  # a later draft of the source: the commit is what is read
    upload(source, "Segment1", {"late.txt": "src"})
    source.checkout(revision="main")
    target = fresh(gas, "cm_seg_dst")
    upload(target, "Segment1", names(5, "dst"))
    target.copy_segment("Segment1", source_client=source, strategy="skip")
    assert content(target, "Segment1") == names(5, "dst")
    raises(InternalServerError,
           lambda: target.copy_segment("Segment1", source_client=source))
    target.copy_segment("Segment1", source_client=source, strategy="override")
    found = content(target, "Segment1")
    assert found == names(10, "src")  # replaced wholesale: 10, not 10 + 5
    masked = target.get_segment("Segment1").get_data("hello3.txt")
    assert read(masked.label.semantic_mask) == MASK  # granted to the target: readable
    # the copied files are the target's now: a callback may name one without uploading it
    body = b"hello1.txt src"
    target._client.open_api_do("PUT", "multi/callback", target.dataset_id, json={
        "segmentName": "Segment1", "draftNumber": target.status.draft_number,
        "objects": [{"remotePath": "granted.txt", "checksum": hashlib.sha1(body).hexdigest(),
                     "fileSize": len(body)}]})
    assert read(target.get_segment("Segment1").get_data("granted.txt")) == body
    target.copy_segment("Segment1", "copy2", source_client=source)
    target.commit("copied")
    assert content(target, "copy2") == names(10, "src")


def copy_segment_from_public_dataset_of_another_user(gas: GAS, gas_other: GAS) -> None:
    source = fresh(gas, "cm_public_src")
    upload(source, "Segment1", names(2, "pub"))
    source.commit("shared")
    gas.update_dataset("cm_public_src", is_public=True)
    theirs = gas_other.get_dataset("cm_public_src")
    mine = fresh(gas_other, "cm_public_dst")
    mine.copy_segment("Segment1", source_client=theirs)
    assert content(mine, "Segment1") == names(2, "pub")


# data --------------------------------------------------------------------------------------
def copy_data_forms(gas: GAS, gas_other: GAS) -> None:
    client = fresh(gas, "cm_data_copy")
    upload(client, "Segment1", names(3, "a"), mask="hello0.txt")
    segment = client.get_segment("Segment1")
    segment.copy_data("hello0.txt", "copy0.txt")
    got = segment.get_data("copy0.txt")
    assert got.label.classification.category == "a"
    assert read(got) == b"hello0.txt a" and read(got.label.semantic_mask) == MASK
    raises(InternalServerError, lambda: segment.copy_data(["hello1.txt"], ["hello2.txt"]))
    segment.copy_data(["hello0.txt"], ["copy0.txt"])  # the same item again: nothing to do
    segment.copy_data(["hello1.txt"], ["hello2.txt"], strategy="skip")
    assert read(segment.get_data("hello2.txt")) == b"hello2.txt a"
    segment.copy_data(["hello1.txt"], ["hello2.txt"], strategy="override")
    assert read(segment.get_data("hello2.txt")) == b"hello1.txt a"
    other = client.get_or_create_segment("Segment2")
    other.copy_data(["hello0.txt", "hello1.txt"], source_client=segment)
    assert sorted(other.list_data_paths()) == ["hello0.txt", "hello1.txt"]


def copy_data_between_datasets_from_commits(gas: GAS, gas_other: GAS) -> None:
    source = fresh(gas, "cm_data_src")
    upload(source, "Segment1", names(20, "src"), mask="hello5.txt")
    source.commit("twenty")
    target = fresh(gas, "cm_data_dst")
    upload(target, "Segment1", names(2, "dst"))
    segment = target.get_segment("Segment1")
    from_commit = source.get_segment("Segment1")
    many = [f"hello{i}.txt" for i in range(20)]
    raises(InternalServerError, lambda: segment.copy_data(many, source_client=from_commit))
    assert len(segment.list_data_paths()) == 2
    segment.copy_data(many, source_client=from_commit, strategy="skip")
    assert content(target, "Segment1") == {**names(20, "src"), **names(2, "dst")}
    segment.copy_data(many, source_client=from_commit, strategy="override")
    assert content(target, "Segment1") == names(20, "src")
    assert read(segment.get_data("hello5.txt").label.semantic_mask) == MASK
    # the copied files and masks are the target's now: a callback may name them
    for body in (b"hello7.txt src", MASK):
        target._client.open_api_do("PUT", "multi/callback", target.dataset_id, json={
            "segmentName": "Segment1", "draftNumber": target.status.draft_number,
            "objects": [{"remotePath": "granted.txt", "fileSize": len(body),
                         "checksum": hashlib.sha1(body).hexdigest()}]})
    segment.delete_data("granted.txt")
    target.commit("copied")
    target.create_draft("more")
    segment = target.get_segment("Segment1")
    segment.copy_data("hello0.txt", "extra.txt", source_client=from_commit)
    assert len(segment.list_data_paths()) == 21


def move_data_forms(gas: GAS, gas_other: GAS) -> None:
    client = fresh(gas, "cm_data_move")
    upload(client, "Segment1", names(3, "a"))
    segment = client.get_segment("Segment1")
    segment.move_data("hello0.txt", "renamed.txt")
    assert sorted(segment.list_data_paths()) == ["hello1.txt", "hello2.txt", "renamed.txt"]
    assert read(segment.get_data("renamed.txt")) == b"hello0.txt a"
    raises(InternalServerError, lambda: segment.move_data("hello1.txt", "hello2.txt"))
    assert sorted(segment.list_data_paths()) == ["hello1.txt", "hello2.txt", "renamed.txt"]
    segment.move_data("hello1.txt", "hello2.txt", strategy="skip")  # target kept, source gone
    assert sorted(segment.list_data_paths()) == ["hello2.txt", "renamed.txt"]
    assert read(segment.get_data("hello2.txt")) == b"hello2.txt a"
    segment.move_data("renamed.txt", "hello2.txt", strategy="override")
    assert list(segment.list_data_paths()) == ["hello2.txt"]
    assert read(segment.get_data("hello2.txt")) == b"hello0.txt a"
    other = client.get_or_create_segment("Segment2")
    other.move_data("hello2.txt", source_client=segment)
    assert list(other.list_data_paths()) == ["hello2.txt"]
    assert list(segment.list_data_paths()) == []


# fusion ------------------------------------------------------------------------------------
def fusion_frames(client: Any, segment: str) -> list[dict[str, bytes]]:
    """Each frame of a fusion segment as sensor → file bytes."""
    return [{sensor: read(data) for sensor, data in frame.items()}
            for frame in client.get_segment(segment).list_frames()]


def fusion_segments(gas: GAS, gas_other: GAS) -> None:
    """Fusion segments travel with their sensors and frames: copied in a draft, moved, and
    copied from a commit of another fusion dataset; a normal dataset is no fusion source."""
    sensors = Sensors.loads([{"name": "CAM", "type": "CAMERA"},
                             {"name": "LIDAR", "type": "LIDAR"}])
    source = gas.create_dataset("cm_fusion_src", is_fusion=True)
    source.create_draft("frames")
    root = Path(tempfile.mkdtemp(prefix="scn_copymove_"))
    segment = source.get_or_create_segment("seg")
    for sensor in sensors:
        segment.upload_sensor(sensor)
    for index in range(2):
        frame = Frame()
        for name in ("CAM", "LIDAR"):
            (root / f"{name}{index}.bin").write_bytes(f"{name} {index}".encode())
            frame[name] = Data(str(root / f"{name}{index}.bin"))
        segment.upload_frame(frame, timestamp=index + 1)
    expected = [{"CAM": f"CAM {i}".encode(), "LIDAR": f"LIDAR {i}".encode()} for i in range(2)]
    source.copy_segment("seg", "copy")
    assert fusion_frames(source, "copy") == expected
    assert sorted(s.name for s in source.get_segment("copy").get_sensors()) == ["CAM", "LIDAR"]
    source.move_segment("copy", "moved")
    assert sorted(source.list_segment_names()) == ["moved", "seg"]
    assert fusion_frames(source, "moved") == expected
    source.commit("frames")
    target = gas.create_dataset("cm_fusion_dst", is_fusion=True)
    target.create_draft("copy")
    target.copy_segment("seg", "from_commit", source_client=source)
    assert fusion_frames(target, "from_commit") == expected
    normal = fresh(gas, "cm_fusion_normal")
    raises(ResponseError, lambda: normal.copy_segment("seg", source_client=source))
    assert list(normal.list_segment_names()) == []
