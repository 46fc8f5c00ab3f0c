"""Basic search through the unmodified SDK (spec 2.13.1, 2.13.7, 2.13.8, 3.16): filters on a
commit, the result read through the normal read endpoints, and made into a dataset."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from common import contents as read
from scn_jobs import finished
from tensorbay import GAS
from tensorbay.client.dataset import DatasetClient
from tensorbay.dataset import Data, Frame
from tensorbay.exception import NameConflictError, ResourceNotExistError, ResponseError
from tensorbay.label import Classification, LabeledBox2D, SemanticMask
from tensorbay.sensor import Sensors

MASK = b"\x89PNG search mask"
SENSORS = Sensors.loads([{"name": "CAM_FRONT", "type": "CAMERA"},
                         {"name": "CAM_BACK_RIGHT", "type": "CAMERA"}])
NAMES = ["CAM_FRONT", "CAM_BACK_RIGHT"]




def normal_dataset(gas: GAS, name: str) -> DatasetClient:
    """Segment train: a.jpg (box cat, occluded), b.jpg (box dog), c.jpg (no label, 100 bytes),
    m.png (classification + mask); segment test: d.jpg (box cat). Committed on main."""
    client = gas.create_dataset(name)
    client.create_draft("data")
    root = Path(tempfile.mkdtemp(prefix="scn_search_"))
    boxes = {"a.jpg": ("cat", True), "b.jpg": ("dog", False), "d.jpg": ("cat", False)}
    for segment, files in (("train", ["a.jpg", "b.jpg", "c.jpg", "m.png"]), ("test", ["d.jpg"])):
        target = client.get_or_create_segment(segment)
        for file in files:
            path = root / file
            path.write_bytes(b"x" * 100 if file == "c.jpg" else f"file {file}".encode())
            data = Data(str(path), target_remote_path=file)
            if file in boxes:
                category, occluded = boxes[file]
                data.label.box2d = [LabeledBox2D(1, 2, 3, 4, category=category,
                                                 attributes={"occluded": occluded})]
            if file == "m.png":
                mask = root / "mask.png"
                mask.write_bytes(MASK)
                data.label.classification = Classification("cat")
                data.label.semantic_mask = SemanticMask(str(mask))
            target.upload_data(data)
    client.commit("data")
    return client


def search(client: DatasetClient, filters: list[tuple[Any, ...]], conjunction: str = "and",
           unit: str = "file") -> Any:
    job = client.basic_search.create_job(conjunction=conjunction, filters=filters, unit=unit)
    assert job.title.startswith("search(") and job.status == "QUEUING"
    job = finished(job)
    assert job.status == "SUCCESS", job.error_message
    return job


def files(result: Any) -> dict[str, list[str]]:
    return {name: [d.path for d in result.list_data(name)]
            for name in result.list_segment_names()}


def search_normal(gas: GAS, gas_other: GAS) -> None:
    client = normal_dataset(gas, "search_normal")
    by_category = search(client, [("category", "in", ["cat"], "BOX2D")]).result
    assert files(by_category) == {"test": ["d.jpg"], "train": ["a.jpg"]}
    (found,) = by_category.list_data("train")
    assert found.label.box2d[0].category == "cat" and read(found) == b"file a.jpg"
    stats = by_category.get_label_statistics().dumps()
    assert stats["BOX2D"]["quantity"] == 1 + 1, stats
    both = search(client, [("category", "in", ["cat"], "BOX2D"),
                           ("segment", "in", ["train"])]).result
    assert files(both) == {"train": ["a.jpg"]}
    either = search(client, [("keyword", "like", "b.j"), ("size", "=", 100)], "or").result
    assert files(either) == {"train": ["b.jpg", "c.jpg"]}
    attribute = search(client, [("attribute", "in", {"occluded": [True]}, "BOX2D")]).result
    assert files(attribute) == {"train": ["a.jpg"]}
    unlabeled = search(client, [("withLabel", "=", False)]).result
    assert files(unlabeled) == {"train": ["c.jpg"]}
    masked = search(client, [("keyword", "=", "m.png")]).result
    (found,) = masked.list_data("train")
    assert read(found.label.semantic_mask) == MASK
    nothing = search(client, [("keyword", "=", "absent")]).result
    assert files(nothing) == {}
    # the dataset is unchanged: the result is no branch's commit
    assert [c.title for c in client.list_commits()] == ["data"]
    assert len(client.basic_search.list_jobs(status="SUCCESS")) == 7


def search_to_dataset(gas: GAS, gas_other: GAS) -> None:
    client = normal_dataset(gas, "search_source")
    job = search(client, [("category", "in", ["cat"], "BOX2D")])
    job.create_dataset("search_made", alias="made")
    made = gas.get_dataset("search_made")
    assert sorted(made.list_segment_names()) == ["test", "train"]
    (found,) = made.get_segment("train").list_data()
    assert found.path == "a.jpg" and read(found) == b"file a.jpg"
    made.create_draft("more")  # a normal dataset: written like any other
    made.get_segment("train").delete_data("a.jpg")
    made.commit("removed")
    try:
        job.create_dataset("search_made")
        raise AssertionError("a second dataset of the same name must be refused")
    except NameConflictError:
        pass


def search_keeps_latest_five(gas: GAS, gas_other: GAS) -> None:
    """A dataset keeps the results of its latest five searches (spec 3.16): a sixth search
    makes the first's result unreadable, and no dataset can be made of it; the jobs stay."""
    client = normal_dataset(gas, "search_five")
    paths = {"a.jpg": "train", "b.jpg": "train", "c.jpg": "train", "m.png": "train",
             "d.jpg": "test"}
    jobs = [search(client, [("keyword", "=", path)]) for path in list(paths)[:5]]
    assert files(jobs[0].result) == {"train": ["a.jpg"]}  # five results: all kept
    jobs.append(search(client, [("keyword", "=", "a.jpg")]))
    for read_old in (lambda: files(jobs[0].result),
                     lambda: jobs[0].create_dataset("search_five_old")):
        try:
            read_old()
            raise AssertionError("the sixth search must drop the first one's result")
        except ResourceNotExistError as error:
            assert "latest five searches" in str(error), error
    assert [files(job.result) for job in jobs[1:]] == [
        {paths[path]: [path]} for path in [*list(paths)[1:5], "a.jpg"]]
    jobs[1].create_dataset("search_five_kept")
    (found,) = gas.get_dataset("search_five_kept").get_segment("train").list_data()
    assert found.path == "b.jpg" and read(found) == b"file b.jpg"
    assert [job.job_id for job in client.basic_search.list_jobs(status="SUCCESS")] == [
        job.job_id for job in reversed(jobs)]


def search_refused(gas: GAS, gas_other: GAS) -> None:
    client = normal_dataset(gas, "search_refused")
    bad = [([("size", "between", 3)], "and", "file"),
           ([("category", "in", ["cat"], None)], "and", "file"),
           ([("keyword", "=", "a")], "and", "frame")]
    for filters, conjunction, unit in bad:
        try:
            client.basic_search.create_job(conjunction=conjunction, filters=filters, unit=unit)
            raise AssertionError(f"{filters} {unit} must be refused")
        except ResponseError as error:  # InvalidParamsValue, RequestParamsMissing
            assert "must be refused" not in str(error), error
    assert len(client.basic_search.list_jobs()) == 0


def search_fusion(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("search_fusion", is_fusion=True)
    client.create_draft("frames")
    root = Path(tempfile.mkdtemp(prefix="scn_search_"))
    for segment in ("test", "train"):
        target = client.get_or_create_segment(segment)
        for sensor in SENSORS:
            target.upload_sensor(sensor)
        for index in range(2):
            frame = Frame()
            for sensor in NAMES:
                name = f"{segment}_{sensor}_{index}.jpg"
                (root / name).write_bytes(name.encode())
                frame[sensor] = Data(str(root / name))
            target.upload_frame(frame, timestamp=index + 1)
    client.commit("frames")
    filters = [("segment", "in", ["test"]), ("sensor", "in", ["CAM_BACK_RIGHT"]),
               ("keyword", "like", "_0.jpg")]
    by_file = search(client, filters).result
    assert list(by_file.list_segment_names()) == ["test"]
    (frame,) = by_file.list_frames("test")
    assert list(frame.keys()) == ["CAM_BACK_RIGHT"]
    assert read(frame["CAM_BACK_RIGHT"]) == b"test_CAM_BACK_RIGHT_0.jpg"
    assert sorted(s.name for s in by_file.get_sensors("test")) == sorted(NAMES)
    by_frame = search(client, filters, unit="frame").result
    (frame,) = by_frame.list_frames("test")
    assert sorted(frame.keys()) == sorted(NAMES)
    try:
        client.basic_search.get_job("absent")
        raise AssertionError("an absent job must be refused")
    except ResourceNotExistError:
        pass
