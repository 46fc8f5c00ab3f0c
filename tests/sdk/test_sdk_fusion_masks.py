"""Masks in fusion datasets: what the SDK uploads with a frame's Camera masks, `gas clone` puts
in `@masks/<segment>/<sensor>/<remotePath>.<kind>.png` with label lines pointing at them; an
edited image and info show in status and diff, and `gas push` sends them so the SDK reads the
new info and the server lists the new bytes (scenarios/scn_fusion_masks.py); checkout and pull
move the images."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gascli import Gas
from sdkrunner import SdkRunner
from serverproc import ServerProcess

OCCLUDED = [{"categoryId": 0, "attributes": {"occluded": True}},
            {"categoryId": 1, "attributes": {"occluded": False}}]
#: Camera remotePath → mask type → image text and info (one frame each, in this order)
MASKS: dict[str, dict[str, Any]] = {
    "0000.jpg": {
        "SEMANTIC_MASK": {"bytes": "SEM 0", "info": OCCLUDED},
        "INSTANCE_MASK": {"bytes": "INS 0",
                          "info": [{"instanceId": 1, "attributes": {"occluded": False}}]},
    },
    "0001.jpg": {"SEMANTIC_MASK": {"bytes": "SEM 1", "info": OCCLUDED[:1]}},
}
WORDS = {"SEMANTIC_MASK": "semantic", "INSTANCE_MASK": "instance"}


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def mask_file(item: str, kind: str) -> str:
    return f"@masks/seq/Camera/{item}.{WORDS[kind]}.png"


def lines(work: Path) -> dict[str, dict[str, Any]]:
    text = (work / "seq/metadata.jsonl").read_text()
    return {row["file_name"]: row["label"] for row in map(json.loads, text.splitlines())}


def write_lines(work: Path, labels: dict[str, dict[str, Any]]) -> None:
    (work / "seq/metadata.jsonl").write_text("".join(
        json.dumps({"file_name": path, "label": label}) + "\n" for path, label in labels.items()))


def porcelain(gas: Gas, work: Path) -> list[str]:
    return gas(work, "status", "--porcelain").stdout.strip("\n").splitlines()


def assert_workspace_holds(work: Path, masks: dict[str, dict[str, Any]]) -> None:
    """The mask files and Camera label lines of `work` are exactly `masks`."""
    found = lines(work)
    files = sorted(p.relative_to(work).as_posix() for p in (work / "@masks").rglob("*")
                   if p.is_file())
    assert files == sorted(mask_file(item, kind) for item, kinds in masks.items()
                           for kind in kinds)
    assert sorted(found) == sorted(f"Camera/{item}" for item in masks)
    for item, kinds in masks.items():
        label = found[f"Camera/{item}"]
        assert set(label) == {"CLASSIFICATION", *kinds}, label
        for kind, spec in kinds.items():
            assert (work / mask_file(item, kind)).read_text() == spec["bytes"]
            assert label[kind] == {"path": mask_file(item, kind), "checksum": sha1(spec["bytes"]),
                                   "fileSize": len(spec["bytes"]), "info": spec["info"]}
    assert "url" not in (work / "seq/metadata.jsonl").read_text()


def clone_masked(sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path, name: str
                 ) -> tuple[Gas, Path]:
    sdk.run("scn_fusion_masks", "upload_fusion_masked", DATASET=name, MASKS=json.dumps(MASKS))
    gas = Gas(tmp_path / "home")
    gas.login(server, alice)
    gas(tmp_path, "clone", name, "work")
    return gas, tmp_path / "work"


def test_clone_puts_fusion_masks_in_their_files(sdk: SdkRunner, server: ServerProcess,
                                                alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "fmasks_clone")
    assert_workspace_holds(work, MASKS)
    assert porcelain(gas, work) == []
    assert "nothing to commit" in gas(work, "status").stdout
    sdk.run("scn_fusion_masks", "read_fusion_masks", DATASET="fmasks_clone",
            MASKS=json.dumps(MASKS))


def edited(masks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The masks after the edits `edit_masks` makes."""
    new = json.loads(json.dumps(masks))
    new["0000.jpg"]["SEMANTIC_MASK"]["bytes"] = "SEM 0, edited"
    new["0001.jpg"]["SEMANTIC_MASK"]["info"] = OCCLUDED
    new["0001.jpg"]["INSTANCE_MASK"] = {"bytes": "INS 1",
                                        "info": [{"instanceId": 3, "attributes": {}}]}
    return new


def edit_masks(work: Path) -> None:
    """Edit a mask image and a mask's info, add a mask to a Camera data."""
    (work / mask_file("0000.jpg", "SEMANTIC_MASK")).write_text("SEM 0, edited")
    labels = lines(work)
    labels["Camera/0001.jpg"]["SEMANTIC_MASK"]["info"] = OCCLUDED
    labels["Camera/0001.jpg"]["INSTANCE_MASK"] = {
        "path": mask_file("0001.jpg", "INSTANCE_MASK"),
        "info": [{"instanceId": 3, "attributes": {}}]}
    (work / mask_file("0001.jpg", "INSTANCE_MASK")).write_text("INS 1")
    write_lines(work, labels)


def test_fusion_mask_edits_show_and_push_for_the_sdk_to_read(
        sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "fmasks_push")
    edit_masks(work)
    assert porcelain(gas, work) == [
        " M @masks/seq/Camera/0000.jpg.semantic.png",
        " A @masks/seq/Camera/0001.jpg.instance.png", " L seq/Camera/0001.jpg"]
    diff = gas(work, "diff").stdout
    assert diff.splitlines() == [
        "L  seq/Camera/0000.jpg",
        f"    mask: @masks/seq/Camera/0000.jpg.semantic.png: {sha1('SEM 0')[:7]} (5 B) →"
        f" {sha1('SEM 0, edited')[:7]} (13 B)",
        "L  seq/Camera/0001.jpg",
        f"    mask: @masks/seq/Camera/0001.jpg.instance.png: + {sha1('INS 1')[:7]} (5 B)",
        '    + INSTANCE_MASK: {"info": [{"attributes": {}, "instanceId": 3}]}',
        '    + SEMANTIC_MASK.info[1]: {"attributes": {"occluded": false}, "categoryId": 1}'
    ], diff
    gas(work, "add", "-A")
    assert porcelain(gas, work) == [
        "M  @masks/seq/Camera/0000.jpg.semantic.png",
        "A  @masks/seq/Camera/0001.jpg.instance.png",
        "L  seq/Camera/0000.jpg", "L  seq/Camera/0001.jpg"]
    assert gas(work, "diff", "--staged").stdout == diff
    gas(work, "commit", "-m", "fusion masks edited")
    assert porcelain(gas, work) == []
    assert_workspace_holds(work, edited(MASKS))
    gas(work, "push")
    sdk.run("scn_fusion_masks", "read_fusion_masks", DATASET="fmasks_push",
            MASKS=json.dumps(edited(MASKS)))
    gas(tmp_path, "clone", "fmasks_push", "fresh")
    assert_workspace_holds(tmp_path / "fresh", edited(MASKS))
    assert porcelain(gas, tmp_path / "fresh") == []


def test_checkout_and_pull_move_fusion_mask_files(sdk: SdkRunner, server: ServerProcess,
                                                  alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "fmasks_moves")
    edit_masks(work)
    gas(work, "commit", "-a", "-m", "fusion masks edited")
    gas(work, "checkout", "HEAD~1")
    assert_workspace_holds(work, MASKS)
    assert porcelain(gas, work) == []
    gas(work, "checkout", "main")
    assert_workspace_holds(work, edited(MASKS))
    (work / mask_file("0000.jpg", "SEMANTIC_MASK")).write_text("unsaved")
    refused = gas(work, "checkout", "HEAD~1", check=False)
    assert refused.returncode == 1 and mask_file("0000.jpg", "SEMANTIC_MASK") in refused.stderr
    gas(work, "restore", mask_file("0000.jpg", "SEMANTIC_MASK"))
    assert porcelain(gas, work) == []
    gas(work, "push")
    # the SDK replaces a Camera data's masks; pull brings the new images and line
    changed = {"INSTANCE_MASK": {"bytes": "INS 0, from the sdk",
                                 "info": [{"instanceId": 9, "attributes": {"occluded": True}}]}}
    sdk.run("scn_fusion_masks", "change_fusion_mask", DATASET="fmasks_moves", ITEM="0000.jpg",
            CHANGED=json.dumps(changed))
    assert "Fast-forward" in gas(work, "pull").stdout
    assert_workspace_holds(work, {**edited(MASKS), "0000.jpg": changed})
    assert porcelain(gas, work) == []


def frame_lines(work: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (work / "seq/frames.jsonl").read_text().splitlines()]


def test_rm_of_a_camera_data_takes_it_out_of_its_frame_with_its_masks(
        sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    """`gas rm` of a sensor's data with masks: the data leaves its frame (staged and working
    frames.jsonl), its line and its mask images go; the frame keeps its Lidar data, and the SDK
    reads that after the push. `--cached` changes only the index."""
    gas, work = clone_masked(sdk, server, alice, tmp_path, "fmasks_rm")
    before = frame_lines(work)
    assert [sorted(frame["data"]) for frame in before] == [["Camera", "Lidar"]] * 2
    gas(work, "rm", "--cached", "seq/Camera/0001.jpg")
    assert porcelain(gas, work) == ["D  seq/Camera/0001.jpg", "MM seq/frames.jsonl",
                                    "?? seq/Camera/0001.jpg"]
    assert frame_lines(work) == before  # the working files are as they were
    assert_workspace_holds(work, MASKS)
    gas(work, "add", "-A")
    assert porcelain(gas, work) == []
    gas(work, "rm", "seq/Camera/0000.jpg")
    assert not (work / "seq/Camera/0000.jpg").exists()
    assert not list((work / "@masks/seq/Camera").glob("0000.jpg.*"))
    after = frame_lines(work)
    assert after == [{"frame_id": before[0]["frame_id"],
                      "data": {"Lidar": before[0]["data"]["Lidar"]}}, before[1]]
    remaining = {"0001.jpg": MASKS["0001.jpg"]}
    assert_workspace_holds(work, remaining)
    assert porcelain(gas, work) == ["D  seq/Camera/0000.jpg", "M  seq/frames.jsonl"]
    gas(work, "commit", "-m", "no camera in the first frame")
    assert porcelain(gas, work) == []
    gas(work, "push")
    sdk.run("scn_fusion_masks", "read_fusion_masks", DATASET="fmasks_rm",
            MASKS=json.dumps(remaining), FRAMES="2")
    gas(tmp_path, "clone", "fmasks_rm", "fresh")
    assert_workspace_holds(tmp_path / "fresh", remaining)
    assert frame_lines(tmp_path / "fresh") == after
    assert porcelain(gas, tmp_path / "fresh") == []
