"""Masks are files: what the SDK uploads with masks, `gas clone` puts in `@masks/` with label
lines pointing at them; edits of mask images and info show in status and diff and `gas push`
sends them, so the SDK reads the new bytes and info back; masks added and removed; checkout
between commits with different masks; `gas pull` of a mask change the SDK made."""

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
#: segment train as the SDK uploads it: remotePath → mask type → image text and info
MASKS: dict[str, dict[str, Any]] = {
    "a.jpg": {
        "SEMANTIC_MASK": {"bytes": "SEM a", "info": OCCLUDED},
        "INSTANCE_MASK": {"bytes": "INS a",
                          "info": [{"instanceId": 1, "attributes": {"occluded": False}}]},
        "PANOPTIC_MASK": {"bytes": "PAN a", "info": [
            {"instanceId": 100, "categoryId": 0, "attributes": {"occluded": True}},
            {"instanceId": 101, "categoryId": 1, "attributes": {"occluded": False}}]},
    },
    "sub/b.jpg": {"SEMANTIC_MASK": {"bytes": "SEM b", "info": None}},
    "c.jpg": {"PANOPTIC_MASK": {"bytes": "PAN c", "info": [
        {"instanceId": 7, "categoryId": 1}]}},
    "plain.jpg": {},
}
WORDS = {"SEMANTIC_MASK": "semantic", "INSTANCE_MASK": "instance", "PANOPTIC_MASK": "panoptic"}


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def mask_file(item: str, kind: str) -> str:
    return f"@masks/train/{item}.{WORDS[kind]}.png"


def lines(work: Path) -> dict[str, dict[str, Any]]:
    text = (work / "train/metadata.jsonl").read_text()
    return {row["file_name"]: row["label"] for row in map(json.loads, text.splitlines())}


def write_lines(work: Path, labels: dict[str, dict[str, Any]]) -> None:
    (work / "train/metadata.jsonl").write_text("".join(
        json.dumps({"file_name": path, "label": label}) + "\n" for path, label in labels.items()))


def porcelain(gas: Gas, work: Path) -> list[str]:
    return gas(work, "status", "--porcelain").stdout.strip("\n").splitlines()


def assert_workspace_holds(work: Path, masks: dict[str, dict[str, Any]]) -> None:
    """The mask files and label lines of `work` are exactly `masks`."""
    found = lines(work)
    files = sorted(p.relative_to(work).as_posix() for p in (work / "@masks").rglob("*")
                   if p.is_file())
    assert files == sorted(mask_file(item, kind) for item, kinds in masks.items()
                           for kind in kinds)
    for item, kinds in masks.items():
        for kind, spec in kinds.items():
            assert (work / mask_file(item, kind)).read_text() == spec["bytes"]
            line = found[item][kind]
            assert line["path"] == mask_file(item, kind)
            assert (line["checksum"], line["fileSize"]) == (sha1(spec["bytes"]),
                                                            len(spec["bytes"]))
            assert line.get("info") == (spec["info"] if spec["info"] is not None or
                                        kind == "PANOPTIC_MASK" else None) or (
                kind == "PANOPTIC_MASK" and spec["info"] is None and line["info"] == [])
        assert not set(found.get(item, {})) - {"CLASSIFICATION", *kinds}
    assert "url" not in (work / "train/metadata.jsonl").read_text()


def clone_masked(sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path, name: str
                 ) -> tuple[Gas, Path]:
    sdk.run("scn_masks", "upload_masked", DATASET=name, MASKS=json.dumps(MASKS))
    gas = Gas(tmp_path / "home")
    gas.login(server, alice)
    gas(tmp_path, "clone", name, "work")
    return gas, tmp_path / "work"


def test_clone_puts_masks_in_their_files(sdk: SdkRunner, server: ServerProcess, alice: str,
                                         tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "masks_clone")
    assert_workspace_holds(work, MASKS)
    assert porcelain(gas, work) == []
    assert "nothing to commit" in gas(work, "status").stdout


def edited(masks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The masks after the edits `edit_masks` makes."""
    new = json.loads(json.dumps(masks))
    new["a.jpg"]["SEMANTIC_MASK"]["bytes"] = "SEM a, edited"
    new["c.jpg"]["PANOPTIC_MASK"]["info"] = [{"instanceId": 7, "categoryId": 0},
                                             {"instanceId": 8, "categoryId": 1}]
    new["plain.jpg"]["INSTANCE_MASK"] = {
        "bytes": "INS plain", "info": [{"instanceId": 3, "attributes": {"occluded": True}}]}
    del new["sub/b.jpg"]["SEMANTIC_MASK"]
    return new


def edit_masks(work: Path) -> None:
    """Edit a mask image and a mask's info, add a mask to an item that had none, remove one."""
    (work / mask_file("a.jpg", "SEMANTIC_MASK")).write_text("SEM a, edited")
    labels = lines(work)
    labels["c.jpg"]["PANOPTIC_MASK"]["info"] = edited(MASKS)["c.jpg"]["PANOPTIC_MASK"]["info"]
    labels["plain.jpg"]["INSTANCE_MASK"] = {
        "path": mask_file("plain.jpg", "INSTANCE_MASK"),
        "info": [{"instanceId": 3, "attributes": {"occluded": True}}]}
    (work / mask_file("plain.jpg", "INSTANCE_MASK")).write_text("INS plain")
    del labels["sub/b.jpg"]["SEMANTIC_MASK"]
    (work / mask_file("sub/b.jpg", "SEMANTIC_MASK")).unlink()
    write_lines(work, labels)


def test_mask_edits_show_and_push_for_the_sdk_to_read(sdk: SdkRunner, server: ServerProcess,
                                                      alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "masks_push")
    edit_masks(work)
    assert porcelain(gas, work) == [
        " M @masks/train/a.jpg.semantic.png", " A @masks/train/plain.jpg.instance.png",
        " L train/c.jpg", " L train/plain.jpg", " L train/sub/b.jpg"]
    diff = gas(work, "diff").stdout
    assert diff.splitlines() == [
        "L  train/a.jpg",
        f"    mask: @masks/train/a.jpg.semantic.png: {sha1('SEM a')[:7]} (5 B) →"
        f" {sha1('SEM a, edited')[:7]} (13 B)",
        "L  train/c.jpg",
        "    PANOPTIC_MASK.info[0].categoryId: 1 → 0",
        '    + PANOPTIC_MASK.info[1]: {"categoryId": 1, "instanceId": 8}',
        "L  train/plain.jpg",
        f"    mask: @masks/train/plain.jpg.instance.png: + {sha1('INS plain')[:7]} (9 B)",
        '    + INSTANCE_MASK: {"info": [{"attributes": {"occluded": true}, "instanceId": 3}]}',
        "L  train/sub/b.jpg",
        f"    mask: @masks/train/sub/b.jpg.semantic.png: - {sha1('SEM b')[:7]} (5 B)",
        "    - SEMANTIC_MASK"], diff
    changes = json.loads(gas(work, "diff", "--json").stdout)["items"]
    assert changes[0]["masks"] == [{
        "type": "SEMANTIC_MASK", "path": "@masks/train/a.jpg.semantic.png", "status": "M",
        "old": {"checksum": sha1("SEM a"), "size": 5},
        "new": {"checksum": sha1("SEM a, edited"), "size": 13}}]
    gas(work, "add", "-A")
    assert porcelain(gas, work) == [
        "M  @masks/train/a.jpg.semantic.png", "A  @masks/train/plain.jpg.instance.png",
        "D  @masks/train/sub/b.jpg.semantic.png", "L  train/a.jpg", "L  train/c.jpg",
        "L  train/plain.jpg", "L  train/sub/b.jpg"]
    assert gas(work, "diff", "--staged").stdout == diff  # what add staged: the same
    assert lines(work)["a.jpg"]["SEMANTIC_MASK"]["checksum"] == sha1("SEM a, edited")
    gas(work, "commit", "-m", "masks edited")
    assert porcelain(gas, work) == []
    gas(work, "push")
    sdk.run("scn_masks", "read_masks", DATASET="masks_push", MASKS=json.dumps(edited(MASKS)))


def test_checkout_restore_and_pull_move_mask_files(sdk: SdkRunner, server: ServerProcess,
                                                   alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "masks_moves")
    edit_masks(work)
    gas(work, "commit", "-a", "-m", "masks edited")
    gas(work, "checkout", "HEAD~1")
    assert_workspace_holds(work, MASKS)
    assert porcelain(gas, work) == []
    gas(work, "checkout", "main")
    assert_workspace_holds(work, edited(MASKS))
    assert porcelain(gas, work) == []
    # a changed or untracked image where a checkout writes one is a conflict
    (work / mask_file("a.jpg", "SEMANTIC_MASK")).write_text("unsaved")
    refused = gas(work, "checkout", "HEAD~1", check=False)
    assert refused.returncode == 1 and "@masks/train/a.jpg.semantic.png" in refused.stderr
    assert (work / mask_file("a.jpg", "SEMANTIC_MASK")).read_text() == "unsaved"
    gas(work, "restore", "@masks/train/a.jpg.semantic.png")
    assert (work / mask_file("a.jpg", "SEMANTIC_MASK")).read_text() == "SEM a, edited"
    (work / "@masks/train/sub").mkdir()
    (work / mask_file("sub/b.jpg", "SEMANTIC_MASK")).write_text("stray")
    assert porcelain(gas, work) == ["?? @masks/train/sub/b.jpg.semantic.png"]
    refused = gas(work, "checkout", "HEAD~1", check=False)
    assert refused.returncode == 1 and "@masks/train/sub/b.jpg.semantic.png" in refused.stderr
    (work / mask_file("sub/b.jpg", "SEMANTIC_MASK")).unlink()
    assert porcelain(gas, work) == []
    # the SDK changes a mask; pull brings the new image and line
    gas(work, "push")
    changed = {"SEMANTIC_MASK": {"bytes": "SEM c, from the sdk", "info": OCCLUDED}}
    sdk.run("scn_masks", "change_mask", DATASET="masks_moves", ITEM="c.jpg",
            CHANGED=json.dumps(changed))
    gas(work, "pull")
    assert_workspace_holds(work, {**edited(MASKS), "c.jpg": changed})
    assert porcelain(gas, work) == []
    # gas rm removes an item's mask images with it (status lists the item alone)
    gas(work, "rm", "train/a.jpg")
    assert not list((work / "@masks/train").glob("a.jpg.*"))
    assert porcelain(gas, work) == ["D  train/a.jpg"]


def test_rm_of_items_and_of_a_mask_pushes_for_the_sdk_to_read(
        sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    """`gas rm ITEM` takes the item's line and mask images with it; `--cached` only the index
    (the images go with their untracked item, not listed); `gas rm IMAGE` removes that mask
    from its item's label, the item kept. The SDK reads what the push sent."""
    gas, work = clone_masked(sdk, server, alice, tmp_path, "masks_rm")
    assert porcelain(gas, work) == []  # metadata.jsonl's stat now trusted by status
    gas(work, "rm", "--cached", "train/c.jpg")
    assert porcelain(gas, work) == ["D  train/c.jpg", "?? train/c.jpg"]
    assert_workspace_holds(work, MASKS)
    gas(work, "add", "train/c.jpg")
    assert porcelain(gas, work) == []
    # an image the line names but no label staged is a change not staged: refused
    labels = lines(work)
    labels["a.jpg"]["SEMANTIC_MASK"] = {"path": mask_file("a.jpg", "SEMANTIC_MASK")}
    labels["plain.jpg"] = {"INSTANCE_MASK": {"path": mask_file("plain.jpg", "INSTANCE_MASK")}}
    write_lines(work, labels)
    (work / mask_file("plain.jpg", "INSTANCE_MASK")).write_text("INS plain, never staged")
    refused = gas(work, "rm", "train/plain.jpg", check=False)
    assert refused.returncode == 1, refused
    assert f"not staged: {mask_file('plain.jpg', 'INSTANCE_MASK')}" in refused.stderr
    assert (work / "train/plain.jpg").exists()
    gas(work, "rm", "-f", "train/plain.jpg", "train/a.jpg")
    assert not list((work / "@masks/train").glob("plain.jpg.*"))
    assert not list((work / "@masks/train").glob("a.jpg.*"))
    assert porcelain(gas, work) == ["D  train/a.jpg", "D  train/plain.jpg"]
    # a mask named alone: the item stays, its label loses the mask
    image = mask_file("sub/b.jpg", "SEMANTIC_MASK")
    gas(work, "rm", image)
    assert not (work / image).exists() and (work / "train/sub/b.jpg").exists()
    assert lines(work)["sub/b.jpg"] == {"CLASSIFICATION": {"category": "cat"}}
    assert porcelain(gas, work) == [f"D  {image}", "D  train/a.jpg", "D  train/plain.jpg",
                                    "L  train/sub/b.jpg"]
    refused = gas(work, "rm", image, check=False)
    assert refused.returncode == 128 and f"{image} is no staged mask" in refused.stderr
    remaining = {"sub/b.jpg": {}, "c.jpg": MASKS["c.jpg"]}
    assert_workspace_holds(work, remaining)
    gas(work, "commit", "-m", "removed")
    assert porcelain(gas, work) == []
    gas(work, "push")
    sdk.run("scn_masks", "read_masks", DATASET="masks_rm", MASKS=json.dumps(remaining))
    gas(tmp_path, "clone", "masks_rm", "fresh")
    assert_workspace_holds(tmp_path / "fresh", remaining)
    assert porcelain(gas, tmp_path / "fresh") == []


def test_rm_cached_of_a_mask_changes_only_the_staged_label(
        sdk: SdkRunner, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    gas, work = clone_masked(sdk, server, alice, tmp_path, "masks_rm_cached")
    image = mask_file("a.jpg", "INSTANCE_MASK")
    gas(work, "rm", "--cached", image)
    assert (work / image).read_text() == "INS a"
    assert_workspace_holds(work, MASKS)  # the line still names it
    assert porcelain(gas, work) == [f"D  {image}", "LL train/a.jpg"]
    gas(work, "add", "train/a.jpg")
    assert porcelain(gas, work) == []
