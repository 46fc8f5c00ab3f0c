"""Fusion workspaces run for real against a plain-HTTP server: `gas init --fusion`, add (frame
ids given), commit, push, clone, status and diff of sensors and frames, checkout, pull."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, failed, write
from rawapi import RawApi, sha1
from serverproc import ServerProcess

LIDAR: dict[str, Any] = {
    "name": "Lidar", "type": "LIDAR",
    "extrinsics": {"translation": {"x": 1, "y": 2, "z": 3},
                   "rotation": {"w": 1, "x": 0, "y": 0, "z": 0}}}
CAMERA: dict[str, Any] = {
    "name": "Camera", "type": "CAMERA",
    "intrinsics": {"cameraMatrix": {"fx": 1, "fy": 2, "cx": 3, "cy": 4}}}
BOX = {"BOX2D": [{"box2d": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "category": "car"}]}


@pytest.fixture(scope="module")
def gas(http_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Gas:
    runner = Gas(tmp_path_factory.mktemp("home"))
    runner.login(http_server, http_server.add_user("alice"))
    return runner


def snapshot(root: Path) -> dict[str, str]:
    """Every file of a working tree (`.gas` aside) by path: its SHA-1 (a `metadata.jsonl`'s
    labels, whichever way they are written)."""
    return {path.relative_to(root).as_posix(): _digest(path)
            for path in sorted(root.rglob("*"))
            if path.is_file() and ".gas" not in path.relative_to(root).parts}


def _digest(path: Path) -> str:
    if path.name == "metadata.jsonl":
        return json.dumps(sorted(lines(path), key=lambda line: str(line["file_name"])),
                          sort_keys=True)
    return hashlib.sha1(path.read_bytes()).hexdigest()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def jsonl(values: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def seeded(gas: Gas, root: Path, name: str) -> Path:
    """A fusion workspace of new dataset `name`, pushed: segment seq with two frames."""
    gas(root, "init", name, "--fusion")
    write(root, {
        "seq/sensors.json": json.dumps([LIDAR, CAMERA]),
        "seq/Lidar/0.bin": "L0", "seq/Camera/0.jpg": "C0",
        "seq/Lidar/1.bin": "L1", "seq/Camera/1.jpg": "C1",
        "seq/frames.jsonl": jsonl([
            {"data": {"Lidar": {"file": "Lidar/0.bin", "timestamp": 0.5},
                      "Camera": "Camera/0.jpg"}},
            {"data": {"Lidar": "Lidar/1.bin", "Camera": "Camera/1.jpg"}}]),
        "seq/metadata.jsonl": jsonl([{"file_name": "Camera/0.jpg", "label": BOX}]),
    })
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push")
    return root


def porcelain(gas: Gas, root: Path) -> str:
    return gas(root, "status", "--porcelain").stdout.rstrip("\n")


def test_init_add_commit_push_clone(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "work", "fus_basic")
    frames = lines(work / "seq/frames.jsonl")
    ids = [frame["frame_id"] for frame in frames]
    assert len(ids) == 2 and ids == sorted(ids) and all(len(i) == 26 for i in ids)
    assert frames[0]["data"] == {"Camera": "Camera/0.jpg",
                                 "Lidar": {"file": "Lidar/0.bin", "timestamp": 0.5}}
    assert json.loads((work / "seq/sensors.json").read_text()) == [CAMERA, LIDAR]
    assert porcelain(gas, work) == ""
    gas(tmp_path, "clone", "fus_basic", "copy")
    assert snapshot(tmp_path / "copy") == snapshot(work)
    assert porcelain(gas, tmp_path / "copy") == ""
    log = gas(tmp_path / "copy", "log", "--oneline").stdout
    assert "first" in log


def edit(root: Path) -> str:
    """Every kind of change to `seeded`'s segment; returns the id of the deleted frame."""
    seq = root / "seq"
    frames = lines(seq / "frames.jsonl")
    deleted = frames.pop(1)
    (seq / "Lidar/1.bin").unlink()
    (seq / "Camera/1.jpg").unlink()
    frames.append({"data": {"Lidar": {"file": "Lidar/2.bin", "timestamp": 2.5},
                            "Camera": "Camera/2.jpg"}})
    write(root, {"seq/Lidar/2.bin": "L2", "seq/Camera/2.jpg": "C2", "seq/Lidar/0.bin": "L0 v2",
                 "seq/frames.jsonl": jsonl(frames),
                 "seq/sensors.json": json.dumps([{**LIDAR, "extrinsics": {
                     **LIDAR["extrinsics"], "translation": {"x": 9, "y": 2, "z": 3}}}, CAMERA]),
                 "seq/metadata.jsonl": jsonl([{"file_name": "Camera/0.jpg", "label": {
                     "BOX2D": [{**BOX["BOX2D"][0], "category": "truck"}]}}])})
    return str(deleted["frame_id"])


def test_status_diff_commit_checkout_of_each_change(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "work", "fus_changes")
    before = snapshot(work)
    deleted = edit(work)
    assert sorted(porcelain(gas, work).splitlines()) == [
        " D seq/Camera/1.jpg", " D seq/Lidar/1.bin", " L seq/Camera/0.jpg",
        " M seq/Lidar/0.bin", " M seq/frames.jsonl", " M seq/sensors.json",
        "?? seq/Camera/2.jpg", "?? seq/Lidar/2.bin"]
    text = gas(work, "diff").stdout
    assert "sensor Lidar.extrinsics.translation.x: 1 → 9" in text
    assert f"- frame {deleted}" in text
    assert '+ frame (new, line 2): {"Camera": {"file": "Camera/2.jpg"}' in text
    assert "BOX2D[0].category: car → truck" in text
    gas(work, "add", "-A")
    added = lines(work / "seq/frames.jsonl")[1]["frame_id"]
    staged = gas(work, "diff", "--staged").stdout
    assert f'+ frame {added}: {{"Camera": {{"file": "Camera/2.jpg"}}' in staged
    assert f"- frame {deleted}" in staged
    assert "sensor Lidar.extrinsics.translation.x: 1 → 9" in staged
    diff_json = json.loads(gas(work, "diff", "--staged", "--json").stdout)
    sensors = next(i for i in diff_json["items"] if i["remotePath"] == "sensors.json")
    assert sensors["content"] == [{"op": "~", "path": "sensor Lidar.extrinsics.translation.x",
                                   "old": 1, "new": 9}]
    box2d = next(t for t in diff_json["labelStat"]["segments"][0]["labelTypes"]
                 if t["labelType"] == "BOX2D")  # the sensors' data labels are counted
    assert (box2d["before"], box2d["after"]) == (1, 1)
    assert [(c["category"], c["delta"]) for c in box2d["categories"]] == [("car", -1),
                                                                          ("truck", 1)]
    gas(work, "commit", "-m", "second")
    assert porcelain(gas, work) == ""
    shown = gas(work, "show").stdout
    assert f"+ frame {added}" in shown and "sensor Lidar.extrinsics" in shown
    after = snapshot(work)
    gas(work, "checkout", "HEAD~1")
    assert snapshot(work) == before
    assert porcelain(gas, work) == ""
    gas(work, "checkout", "main")
    assert snapshot(work) == after
    gas(work, "push")
    gas(tmp_path, "clone", "fus_changes", "copy")
    assert snapshot(tmp_path / "copy") == after


def staged(gas: Gas, root: Path) -> list[str]:
    """The porcelain lines of staged changes."""
    return [line for line in gas(root, "status", "--porcelain").stdout.splitlines()
            if line[:1] not in (" ", "?", "")]


@pytest.mark.parametrize("files, message", [
    ({"seq/frames.jsonl": '{"data": {"Lidar": "Lidar/nope.bin"}}\n'},
     "seq/frames.jsonl:3: 'seq/Lidar/nope.bin' is not a file"),
    ({"seq/frames.jsonl": '{"data": {"Radar": "Radar/x.bin"}}\n'},
     "seq/frames.jsonl:3: sensor 'Radar' is not in seq/sensors.json"),
    ({"seq/Camera/9.jpg": "C9", "seq/frames.jsonl": '{"data": {"Lidar": "Camera/9.jpg"}}\n'},
     "seq/frames.jsonl:3: 'Camera/9.jpg' is not in the folder of sensor 'Lidar'"),
    ({"seq/frames.jsonl": "{not json\n"}, "seq/frames.jsonl:3: not valid JSON"),
    ({"seq/frames.jsonl": "DUPLICATE"}, "seq/frames.jsonl:3: frame "),
    ({"seq/frames.jsonl": '{"frame_id": "nope", "data": {"Lidar": "Lidar/0.bin"}}\n'},
     "frame_id 'nope' is not a ULID"),
    ({"seq/sensors.json": '[{"name": "Lidar", "type": "LIDAR"},\n]'},
     "seq/sensors.json:2: not valid JSON"),
    ({"seq/sensors.json": '[{"name": "Lidar", "type": "SONAR"}]'},
     "seq/sensors.json:1: sensor 'Lidar' has the type 'SONAR'"),
    ({"seq/sensors.json": '[\n {"name": "Lidar", "type": "LIDAR"},\n {"name": "a/b", '
                          '"type": "LIDAR"}]'}, "seq/sensors.json:3: invalid sensor name"),
    ({"seq/sensors.json": '[{"name": "Lidar", "type": "LIDAR", "intrinsics": {}}]'},
     "sensor 'Lidar' (LIDAR) has intrinsics"),
])
def test_bad_gas_files_are_refused_with_lines(gas: Gas, tmp_path: Path,
                                              files: dict[str, str], message: str) -> None:
    work = seeded(gas, tmp_path / "work", f"fus_bad_{abs(hash(message)) % 10**8}")
    frames = (work / "seq/frames.jsonl").read_text()
    for name, text in files.items():
        if text == "DUPLICATE":
            text = frames.splitlines()[0] + "\n"
        path = work / name
        path.write_text(frames + text if name.endswith("frames.jsonl") else text)
    written = snapshot(work)
    failed(gas(work, "add", "-A", check=False), message)
    assert staged(gas, work) == []
    assert snapshot(work) == written  # not rewritten


def test_a_file_in_no_frame_is_refused_at_commit(gas: Gas, tmp_path: Path) -> None:
    work = seeded(gas, tmp_path / "work", "fus_stray")
    write(work, {"seq/Lidar/stray.bin": "S"})
    gas(work, "add", "-A")
    failed(gas(work, "commit", "-m", "x", check=False),
           "'seq/Lidar/stray.bin' is in no frame of seq/frames.jsonl")
    assert "first" in gas(work, "log", "--oneline").stdout
    assert "A  seq/Lidar/stray.bin" in porcelain(gas, work)


def add_frame(root: Path, index: int) -> None:
    """Append a new frame (Lidar only) to `seeded`'s segment."""
    with (root / "seq/frames.jsonl").open("a") as out:
        out.write(json.dumps({"data": {"Lidar": f"Lidar/{index}.bin"}}) + "\n")
    write(root, {f"seq/Lidar/{index}.bin": f"L{index}"})


def test_pull_fast_forward_and_replay(gas: Gas, tmp_path: Path) -> None:
    one = seeded(gas, tmp_path / "one", "fus_pull")
    gas(tmp_path, "clone", "fus_pull", "two")
    two = tmp_path / "two"
    add_frame(one, 5)
    failed(gas(one, "commit", "-a", "-m", "five", check=False),  # -a: tracked files only
           "seq/frames.jsonl:3: 'seq/Lidar/5.bin' is not a staged file")
    gas(one, "add", "-A")
    gas(one, "commit", "-m", "five")
    gas(one, "push")
    gas(two, "pull")
    assert snapshot(two) == snapshot(one)
    assert porcelain(gas, two) == ""
    # diverged: two relabels and changes a sensor, one adds a frame; two's pull replays
    add_frame(one, 6)
    gas(one, "add", "-A")
    gas(one, "commit", "-m", "six")
    gas(one, "push")
    sensors = json.loads((two / "seq/sensors.json").read_text())
    sensors[0]["intrinsics"]["cameraMatrix"]["fx"] = 7
    write(two, {"seq/sensors.json": json.dumps(sensors),
                "seq/metadata.jsonl": jsonl([{"file_name": "Lidar/5.bin", "label": BOX}])})
    gas(two, "add", "-A")
    gas(two, "commit", "-m", "relabel")
    gas(two, "pull")
    assert (two / "seq/Lidar/6.bin").read_text() == "L6"
    assert json.loads((two / "seq/sensors.json").read_text())[0]["intrinsics"][
        "cameraMatrix"]["fx"] == 7
    assert [line["file_name"] for line in lines(two / "seq/metadata.jsonl")] == ["Lidar/5.bin"]
    assert porcelain(gas, two) == ""
    gas(two, "push")
    gas(one, "pull")
    assert snapshot(one) == snapshot(two)


def test_pull_conflict_on_one_frame(gas: Gas, tmp_path: Path) -> None:
    one = seeded(gas, tmp_path / "one", "fus_conflict")
    gas(tmp_path, "clone", "fus_conflict", "two")
    two = tmp_path / "two"
    for root, content in ((one, "mine"), (two, "theirs")):
        write(root, {"seq/Lidar/1.bin": content})
        gas(root, "commit", "-a", "-m", content)
    gas(one, "push")
    before = snapshot(two)
    result = gas(two, "pull", check=False)
    failed(result, "seq/Lidar/1.bin")
    assert snapshot(two) == before
    gas(two, "pull", "--theirs")
    assert (two / "seq/Lidar/1.bin").read_text() == "mine"


def test_sensors_whose_names_are_gas_files_live_in_escaped_folders(gas: Gas,
                                                                    tmp_path: Path) -> None:
    work = tmp_path / "work"
    gas(work, "init", "fus_escaped", "--fusion")
    write(work, {
        "seq/sensors.json": json.dumps([{"name": "frames.jsonl", "type": "LIDAR"},
                                        {"name": "@odd", "type": "RADAR"}]),
        "seq/@frames.jsonl/0.bin": "F", "seq/@@odd/0.bin": "O",
        "seq/frames.jsonl": jsonl([{"data": {"frames.jsonl": "frames.jsonl/0.bin"}}]),
    })
    failed(gas(work, "add", "-A", check=False),
           "'frames.jsonl/0.bin' is not in the folder of sensor 'frames.jsonl'")
    write(work, {"seq/frames.jsonl": jsonl([{"data": {"frames.jsonl": "@frames.jsonl/0.bin",
                                                      "@odd": "@@odd/0.bin"}}])})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "escaped")
    gas(work, "push")
    gas(tmp_path, "clone", "fus_escaped", "copy")
    assert snapshot(tmp_path / "copy") == snapshot(work)
    assert (tmp_path / "copy/seq/@@odd/0.bin").read_text() == "O"


@pytest.fixture(scope="module")
def api(http_server: ServerProcess) -> RawApi:
    return RawApi(http_server.api, http_server.add_user("mallory"), http_server.verify)


def _served(api: RawApi, name: str, sensors: list[str], data: list[tuple[str, str, str]]
            ) -> None:
    """A committed fusion dataset of one segment, made through the API: `data` is (frame id,
    sensor, remote path) of files with made-up content."""
    dataset = api.create_dataset(name, fusion=True, is_public=True)
    draft = api.create_draft(dataset)
    api.create_segment(dataset, draft, "seq")
    for sensor in sensors:
        api.call("POST", f"datasets/{dataset}/sensors",
                 json={"name": sensor, "type": "LIDAR", "segmentName": "seq",
                       "draftNumber": draft})
    for frame_id, sensor, path in data:
        content = f"{frame_id} {sensor} {path}".encode()
        api.upload_blob(api.policy(dataset, draft, "seq"), content)
        response = api.callback(dataset, draft, "seq", [{
            "frameId": frame_id, "sensorName": sensor, "remotePath": path,
            "checksum": sha1(content), "fileSize": len(content)}])
        assert response.status_code == 200, response.text
    api.commit(dataset, draft)


ULIDS = ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAW"]


@pytest.mark.parametrize("sensors, data, message", [
    (["a/b"], [], "the server lists a sensor gas refuses in segment 'seq': invalid sensor name"),
    (["Lidar"], [(ULIDS[0], "Lidar", "0.bin"), (ULIDS[1], "Lidar", "0.bin")],
     "the server lists two data of sensor 'Lidar' at '0.bin' in segment 'seq'"),
    (["Lidar"], [(ULIDS[0], "Lidar", "x"), (ULIDS[1], "Lidar", "x/y")],
     "inside a folder of the same name"),
    (["Lidar"], [(ULIDS[0], "Lidar", "x/y"), (ULIDS[1], "Lidar", "x")],
     "inside a folder of the same name"),
])
def test_clone_refuses_what_a_workspace_cannot_hold(
        gas: Gas, api: RawApi, http_server: ServerProcess, tmp_path: Path, sensors: list[str],
        data: list[tuple[str, str, str]], message: str) -> None:
    name = f"fus_refused_{len(data)}_{len(sensors[0])}_{len(data[-1][2]) if data else 0}"
    _served(api, name, sensors, data)
    failed(gas(tmp_path, "clone", name, "copy", check=False), message)
    assert not (tmp_path / "copy").exists()


def test_checkout_of_many_segments(gas: Gas, tmp_path: Path) -> None:
    """More segments than views kept in memory: every gas file is still written."""
    work = tmp_path / "work"
    gas(work, "init", "fus_many", "--no-remote", "--fusion")
    for index in range(12):
        write(work, {f"s{index}/sensors.json": json.dumps([LIDAR]), f"s{index}/Lidar/a.bin": "A",
                     f"s{index}/frames.jsonl": jsonl([{"data": {"Lidar": "Lidar/a.bin"}}])})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "first")
    first = snapshot(work)
    for index in range(12):
        with (work / f"s{index}/frames.jsonl").open("a") as out:
            out.write(json.dumps({"data": {"Lidar": "Lidar/b.bin"}}) + "\n")
        write(work, {f"s{index}/Lidar/b.bin": "B",
                     f"s{index}/sensors.json": json.dumps([{**LIDAR, "description": "d"}])})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "second")
    second = snapshot(work)
    gas(work, "checkout", "HEAD~1")
    assert snapshot(work) == first
    gas(work, "checkout", "main")
    assert snapshot(work) == second
    assert porcelain(gas, work) == ""


def test_kinds_of_dataset_and_workspace_must_match(gas: Gas, http_server: ServerProcess,
                                                   tmp_path: Path) -> None:
    gas(tmp_path, "dataset", "create", "kind_normal")
    failed(gas(tmp_path / "a", "init", "kind_normal", "--fusion", check=False),
           "dataset 'kind_normal' exists, and is a normal dataset, not a fusion one")
    assert not (tmp_path / "a/.gas").exists()
    gas(tmp_path, "dataset", "create", "kind_fusion", "--fusion")
    said = gas(tmp_path / "b", "init", "kind_fusion").stdout
    assert "Initialized empty gas fusion workspace" in said
    # a fusion workspace pointed at a normal dataset pushes nothing
    work = tmp_path / "b"
    write(work, {"seq/sensors.json": "[]", "seq/frames.jsonl": ""})
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "empty segment")
    gas(work, "remote", "set", http_server.url, "kind_normal")
    failed(gas(work, "push", check=False),
           "the remote dataset is a normal dataset, this workspace a fusion one")
    gas(work, "remote", "set", http_server.url, "kind_fusion")
    gas(work, "push")
    gas(tmp_path, "clone", "kind_fusion", "copy")
    assert (tmp_path / "copy/seq/sensors.json").read_text() == "[]\n"
    assert (tmp_path / "copy/seq/frames.jsonl").read_text() == ""


def test_interrupted_fusion_push_resumes(gas: Gas, http_server: ServerProcess,
                                         tmp_path: Path) -> None:
    """Killed after its first DeleteFrame, a push run again ends as an uninterrupted one: a
    frame that lost a sensor's data is deleted and sent again whole, under its id."""
    from test_workspace_sync_resume import AccessLog, kill_after

    work = seeded(gas, tmp_path / "work", "fus_resume")
    frames = lines(work / "seq/frames.jsonl")
    del frames[0]["data"]["Camera"]
    del frames[1]
    (work / "seq/Camera/0.jpg").unlink()
    (work / "seq/Lidar/1.bin").unlink()
    (work / "seq/Camera/1.jpg").unlink()
    frames += [{"data": {"Lidar": f"Lidar/n{index}.bin"}} for index in range(40)]
    write(work, {f"seq/Lidar/n{index}.bin": f"N{index}" for index in range(40)})
    write(work, {"seq/frames.jsonl": jsonl(frames)})
    (work / "seq/metadata.jsonl").unlink()  # Camera/0.jpg's label goes with it
    gas(work, "add", "-A")
    gas(work, "commit", "-m", "second")
    kill_after(gas, work, ["push", "--jobs", "1"], AccessLog(http_server),
               r"DELETE \S+/frames")
    assert json.loads(gas(work, "status", "--json").stdout)["ahead"] == 1  # not pushed yet
    gas(work, "push")
    gas(tmp_path, "clone", "fus_resume", "copy")
    assert snapshot(tmp_path / "copy") == snapshot(work)
    assert len(lines(tmp_path / "copy/seq/frames.jsonl")) == 41
