"""Fusion datasets: `gas clone` reads what the SDK uploads, `gas push` writes what it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gascli import Gas
from sdkrunner import SdkRunner
from serverproc import ServerProcess

BOX = {"BOX2D": [{"box2d": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "category": "new"}]}


def gas_for(server: ServerProcess, key: str, home: Path) -> Gas:
    runner = Gas(home)
    runner.login(server, key)
    return runner


def dump(sdk: SdkRunner, tmp: Path, dataset: str, revision: str = "") -> dict[str, Any]:
    """What the SDK reads of the dataset (scn_fusion_sync.dump_fusion)."""
    out = tmp / "dump.json"
    sdk.run("scn_fusion_sync", "dump_fusion", DATASET=dataset, OUT=str(out), REVISION=revision)
    found: dict[str, Any] = json.loads(out.read_text())
    return found


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_lines(path: Path, values: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(value) + "\n" for value in values))


def test_sdk_fusion_round_trip(sdk: SdkRunner, server: ServerProcess, alice: str,
                               tmp_path: Path) -> None:
    """SDK upload → gas clone (files, sensors, frames, labels) → edit a file, relabel, add
    and delete a frame, change a sensor → commit → push → the SDK reads back the edit."""
    sdk.run("scn_fusion_sync", "upload_fusion", DATASET="fusion_rt")
    before = dump(sdk, tmp_path, "fusion_rt")
    gas = gas_for(server, alice, tmp_path / "home")
    gas(tmp_path, "clone", "fusion_rt", "work")
    work = tmp_path / "work"
    status = json.loads(gas(work, "status", "--json").stdout)
    assert not status["staged"] and not status["unstaged"] and not status["untracked"], status
    first = status["head"]
    seq1, seq2 = work / "seq1", work / "seq2"
    # the layout: per-sensor folders (Camera and Fisheye both have 0000.jpg), gas files
    frames = lines(seq1 / "frames.jsonl")
    assert [frame["frame_id"] for frame in frames] == [f[0] for f in before["seq1"]["frames"]]
    assert frames[0]["data"] == {"Camera": "Camera/0000.jpg",
                                 "Fisheye": {"file": "Fisheye/0000.jpg", "timestamp": 7},
                                 "Lidar": {"file": "Lidar/0000.bin", "timestamp": 100.5}}
    assert (seq1 / "Camera/0000.jpg").read_text() == "C seq1 0"
    assert (seq1 / "Fisheye/0000.jpg").read_text() == "F seq1 0"
    assert json.loads((seq1 / "sensors.json").read_text()) == before["seq1"]["sensors"]
    labels = {line["file_name"]: line["label"] for line in lines(seq1 / "metadata.jsonl")}
    assert sorted(labels) == ["Camera/0000.jpg", "Camera/0001.jpg", "Camera/0002.jpg",
                              "Lidar/0000.bin", "Lidar/0001.bin", "Lidar/0002.bin"]

    # edit a file, relabel a sensor's data, delete a frame, add a frame, move a sensor
    (seq1 / "Camera/0002.jpg").write_text("C seq1 2 edited")
    labels["Lidar/0000.bin"] = BOX
    del frames[1]
    (seq1 / "Lidar/0001.bin").unlink()
    (seq1 / "Camera/0001.jpg").unlink()
    write_lines(seq1 / "frames.jsonl", frames)
    write_lines(seq1 / "metadata.jsonl", [{"file_name": path, "label": label}
                                          for path, label in labels.items()])
    (seq2 / "Lidar/0009.bin").write_text("L new")
    (seq2 / "Camera/0009.jpg").write_text("C new")
    with (seq2 / "frames.jsonl").open("a") as out:
        out.write(json.dumps({"data": {"Lidar": {"file": "Lidar/0009.bin", "timestamp": 9.5},
                                       "Camera": "Camera/0009.jpg"}}) + "\n")
    with (seq2 / "metadata.jsonl").open("a") as out:
        out.write(json.dumps({"file_name": "Camera/0009.jpg", "label": BOX}) + "\n")
    sensors = json.loads((seq2 / "sensors.json").read_text())
    sensors[2]["extrinsics"]["translation"]["x"] = 9
    (seq2 / "sensors.json").write_text(json.dumps(sensors))
    gas(work, "add", "-A")
    new_frames = lines(seq2 / "frames.jsonl")
    assert len(new_frames) == 3 and new_frames[:2] == lines(seq2 / "frames.jsonl")[:2]
    new_id = new_frames[2]["frame_id"]
    assert new_id > before["seq2"]["frames"][-1][0]
    gas(work, "commit", "-m", "edit from gas")
    assert "nothing to commit, working tree clean" in gas(work, "status").stdout
    gas(work, "push")

    expected = json.loads(json.dumps(before))
    frames1 = expected["seq1"]["frames"]
    frames1[2][1]["Camera"][1] = "C seq1 2 edited"
    frames1[0][1]["Lidar"][2] = BOX
    del frames1[1]
    expected["seq2"]["frames"].append([new_id, {
        "Lidar": ["0009.bin", "L new", None, 9.5], "Camera": ["0009.jpg", "C new", BOX, None]}])
    expected["seq2"]["sensors"][2]["extrinsics"]["translation"]["x"] = 9
    assert dump(sdk, tmp_path, "fusion_rt") == expected
    assert dump(sdk, tmp_path, "fusion_rt", revision=first) == before


def test_sdk_edits_come_in_with_gas_pull(sdk: SdkRunner, server: ServerProcess, alice: str,
                                         tmp_path: Path) -> None:
    sdk.run("scn_fusion_sync", "upload_fusion", DATASET="fusion_pull")
    gas = gas_for(server, alice, tmp_path / "home")
    gas(tmp_path, "clone", "fusion_pull", "work")
    work = tmp_path / "work"
    sdk.run("scn_fusion_sync", "relabel_and_add", DATASET="fusion_pull")
    assert "Fast-forward" in gas(work, "pull").stdout
    frames = lines(work / "seq2/frames.jsonl")
    assert len(frames) == 3
    assert frames[2]["data"]["Lidar"] == {"file": "Lidar/0005.bin", "timestamp": 105.5}
    assert (work / "seq2/Lidar/0005.bin").read_text() == "L seq2 5"
    assert (work / "seq2/Fisheye/0005.jpg").exists() is False
    labels = {line["file_name"]: line["label"] for line in lines(work / "seq1/metadata.jsonl")}
    assert labels["Lidar/0000.bin"] == {"BOX2D": [dump(sdk, tmp_path, "fusion_pull")[
        "seq1"]["frames"][0][1]["Lidar"][2]["BOX2D"][0]]}
    assert gas(work, "status", "--porcelain").stdout.strip() == ""
    gas(tmp_path, "clone", "fusion_pull", "fresh")
    for name in ("seq1/frames.jsonl", "seq2/frames.jsonl", "seq2/sensors.json",
                 "seq2/Camera/0005.jpg"):
        assert (tmp_path / "fresh" / name).read_bytes() == (work / name).read_bytes()
