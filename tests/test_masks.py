"""Masks are files (model/masks.py): the line form ↔ stored form of a label round-trips exactly,
the mask image path rule is one-to-one and never inside a segment folder, and bad mask lines,
missing images and stray mask paths are refused at `gas add` with a hint, nothing staged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, committed_offline, failed
from hypothesis import given
from hypothesis import strategies as st
from test_properties import PATH, SETTINGS, TEXT, same

from gasvc.model.canon import canonical_json, escaped
from gasvc.model.masks import (
    KINDS,
    MASKS_DIR,
    BadMask,
    line_label,
    mask_path,
    parse_mask_path,
    stored_from_read,
    stored_label,
)
from gasvc.model.metadata import parse, render, render_known
from gasvc.workspace.store.layout import folder_segment, segment_folder
from gasvc.workspace.worktree.pathspec import parse_pathspec

SHA = st.text("0123456789abcdef", min_size=40, max_size=40)
SIZE = st.integers(0, 2**40)
INFO = st.lists(st.dictionaries(TEXT, st.integers() | TEXT | st.booleans(), max_size=3),
                max_size=3)
FOLDER = st.sampled_from(["train", "default", "@default", "@@x", "masks", "@@masks"])


@st.composite
def stored_labels(draw: st.DrawFn) -> dict[str, Any]:
    """A stored label: some masks (checksum, size, maybe info; panoptic always with info) and
    maybe a classification."""
    label: dict[str, Any] = {}
    for kind in draw(st.lists(st.sampled_from(list(KINDS)), unique=True)):
        mask: dict[str, Any] = {"checksum": draw(SHA), "fileSize": draw(SIZE)}
        if kind == "PANOPTIC_MASK" or draw(st.booleans()):
            mask["info"] = draw(INFO)
        label[kind] = mask
    if draw(st.booleans()):
        label["CLASSIFICATION"] = {"category": draw(TEXT)}
    return label


@SETTINGS
@given(stored_labels(), FOLDER, PATH)
def test_stored_to_line_to_stored_is_the_identity(label: dict[str, Any], folder: str,
                                                    path: str) -> None:
    line = line_label(label, folder, path)
    assert same(stored_label(line, folder, path), label)
    for kind in KINDS.keys() & label.keys():
        assert line[kind]["path"] == mask_path(folder, path, kind)


@SETTINGS
@given(st.dictionaries(PATH, stored_labels(), max_size=4), FOLDER)
def test_metadata_lines_with_masks_round_trip(labels: dict[str, dict[str, Any]],
                                              folder: str) -> None:
    text = render(labels.items(), folder)
    read = {path: line.label for path, line in parse(text, "m.jsonl", folder).items()}
    assert same(read, {path: label for path, label in labels.items() if label})
    assert render(read.items(), folder) == text


@SETTINGS
@given(st.dictionaries(PATH, stored_labels(), max_size=4), FOLDER)
def test_lines_from_known_label_json_are_the_lines_of_whole_values(
        labels: dict[str, dict[str, Any]], folder: str) -> None:
    """A clone hands `render_known` each label's canonical JSON; the lines are those of
    encoding each line whole, masks (written in their line form) or not."""
    whole = "".join(escaped(canonical_json({"file_name": path, "label": line_label(
        label, folder, path)}).decode()) + "\n" for path, label in sorted(labels.items())
        if label)
    known = [(path, label, canonical_json(label)) for path, label in labels.items()]
    assert render_known(known, folder) == whole
    assert render(labels.items(), folder) == whole


@SETTINGS
@given(FOLDER, PATH, st.sampled_from(list(KINDS)))
def test_the_mask_path_rule_is_one_to_one(folder: str, path: str, kind: str) -> None:
    shown = mask_path(folder, path, kind)
    assert parse_mask_path(shown) == (folder, path, kind)
    assert shown.startswith(MASKS_DIR + "/") and folder_segment(MASKS_DIR) is None


def test_mask_folders_never_hold_a_segment() -> None:
    assert segment_folder("masks") == "masks"
    assert segment_folder("@masks") == "@@masks"
    assert folder_segment("@masks") is None and folder_segment("@@masks") == "@masks"
    assert parse_mask_path("@masks/train/a.jpg.png") is None
    assert parse_mask_path("@masks/train/.semantic.png") is None
    assert parse_mask_path("train/a.jpg.semantic.png") is None


def test_a_mask_path_names_its_item() -> None:
    spec = parse_pathspec("@masks/@default/x/a.jpg.instance.png")
    assert (spec.segment, spec.prefix, spec.mask) == ("default", "x/a.jpg", "INSTANCE_MASK")
    assert spec.shown == "@masks/@default/x/a.jpg.instance.png"
    assert parse_pathspec("@masks/train").labels


def test_stored_form_from_a_listing() -> None:
    sha = "a" * 40
    read = {"SEMANTIC_MASK": {"remotePath": "a.png", "url": "u1", "checksum": sha,
                              "fileSize": 3},
            "PANOPTIC_MASK": {"remotePath": "a.png", "url": "u2", "info": []},
            "CLASSIFICATION": {"category": "cat"}}
    stored, unknown = stored_from_read(read)
    assert stored == {"SEMANTIC_MASK": {"checksum": sha, "fileSize": 3},
                      "PANOPTIC_MASK": {"info": []}, "CLASSIFICATION": {"category": "cat"}}
    assert unknown == {"PANOPTIC_MASK": "u2"}
    with pytest.raises(BadMask):
        stored_from_read({"SEMANTIC_MASK": {"checksum": "nope", "fileSize": 1}})


BAD_MASKS = {
    "wrong path": ({"path": "@masks/train/b.jpg.semantic.png"},
                   "names '@masks/train/b.jpg.semantic.png'; its image is"),
    "path outside @masks": ({"path": "train/a.png"}, "names 'train/a.png'; its image is"),
    "no path given": ({"info": []}, "names no file; its image is"),
    "not an object": ("a.png", "must be an object"),
    "unknown key": ({"path": "@masks/train/a.jpg.semantic.png", "url": "http://x"},
                    "which a mask cannot hold"),
    "bad checksum": ({"path": "@masks/train/a.jpg.semantic.png", "checksum": "x"},
                     "has the checksum 'x'"),
    "bad info": ({"path": "@masks/train/a.jpg.semantic.png", "info": {"a": 1}},
                 "info must be a list of objects"),
}


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """An offline workspace with `train/a.jpg` committed, and its semantic mask image there."""
    return committed_offline(gas, tmp_path / "ws", {
        "train/a.jpg": "A", "@masks/train/a.jpg.semantic.png": "MASK"})


def set_label(root: Path, label: dict[str, Any]) -> None:
    (root / "train/metadata.jsonl").write_text(
        json.dumps({"file_name": "a.jpg", "label": label}) + "\n")


def porcelain(gas: Gas, root: Path) -> list[str]:
    return gas(root, "status", "--porcelain").stdout.strip("\n").splitlines()


@pytest.mark.parametrize("case", BAD_MASKS)
def test_a_bad_mask_line_is_refused_with_a_hint(gas: Gas, root: Path, case: str) -> None:
    mask, message = BAD_MASKS[case]
    set_label(root, {"SEMANTIC_MASK": mask})
    for command in (("add", "-A"), ("status",), ("diff",)):
        result = gas(root, *command, check=False)
        failed(result, "train/metadata.jsonl:1: SEMANTIC_MASK of 'a.jpg'")
        assert message in result.stderr and "hint:" in result.stderr
    if "path" in case:  # the hint names the image's path
        assert "set \"path\": \"@masks/train/a.jpg.semantic.png\"" in result.stderr
    set_label(root, {})
    assert porcelain(gas, root) == ["?? @masks/train/a.jpg.semantic.png"]


def test_a_missing_mask_image_is_refused_at_add(gas: Gas, root: Path) -> None:
    (root / "@masks/train/a.jpg.semantic.png").unlink()
    set_label(root, {"SEMANTIC_MASK": {"path": "@masks/train/a.jpg.semantic.png"}})
    assert porcelain(gas, root) == [" D @masks/train/a.jpg.semantic.png", " L train/a.jpg"]
    result = gas(root, "add", "-A", check=False)
    failed(result, "train/metadata.jsonl:1: the SEMANTIC_MASK of 'a.jpg' is the image"
           " '@masks/train/a.jpg.semantic.png', which is not a file")
    assert "hint: put the mask image at @masks/train/a.jpg.semantic.png" in result.stderr
    assert porcelain(gas, root) == [" D @masks/train/a.jpg.semantic.png", " L train/a.jpg"]


def test_adding_a_mask_by_its_image_path(gas: Gas, root: Path) -> None:
    image = "@masks/train/a.jpg.semantic.png"
    refused = gas(root, "add", image, check=False)
    failed(refused, f"no label line points at {image}")
    assert f'hint: add {{"SEMANTIC_MASK": {{"path": "{image}"}}}} to the label' in refused.stderr
    set_label(root, {"SEMANTIC_MASK": {"path": image, "info": []}})
    assert porcelain(gas, root) == [f" A {image}", " L train/a.jpg"]
    gas(root, "add", image)
    assert porcelain(gas, root) == [f"A  {image}", "L  train/a.jpg"]
    line = json.loads((root / "train/metadata.jsonl").read_text())["label"]["SEMANTIC_MASK"]
    assert line == {"path": image, "info": [], "fileSize": 4,
                    "checksum": hashlib.sha1(b"MASK").hexdigest()}
    gas(root, "commit", "-m", "mask")
    (root / image).write_text("MASK, edited")
    assert porcelain(gas, root) == [f" M {image}"]
    gas(root, "commit", "-a", "-m", "mask edited")
    assert porcelain(gas, root) == []
    gas(root, "checkout", "HEAD~1")
    assert (root / image).read_text() == "MASK" and porcelain(gas, root) == []
    gas(root, "checkout", "HEAD~1")
    assert not (root / image).exists() and porcelain(gas, root) == []


@pytest.mark.parametrize("path", ["@masks/train/a.jpg.png", "@masks",
                                  "@masks/train/a.jpg.semantic.png/x"])
def test_a_path_in_masks_that_is_no_mask_image_is_refused(gas: Gas, root: Path,
                                                          path: str) -> None:
    result = gas(root, "add", path, check=False)
    failed(result, f"{path!r} is no mask image's path")
    assert "hint: a mask image is @masks/<segment folder>/<file path>" in result.stderr


def test_restore_gives_back_the_staged_mask_image_with_its_label(gas: Gas, root: Path) -> None:
    image = "@masks/train/a.jpg.semantic.png"
    set_label(root, {"SEMANTIC_MASK": {"path": image}})
    gas(root, "commit", "-a", "-m", "mask")
    (root / image).write_text("MASK, edited")
    gas(root, "add", image)
    assert porcelain(gas, root) == [f"M  {image}", "L  train/a.jpg"]
    gas(root, "restore", "--staged", image)
    assert porcelain(gas, root) == [" L train/a.jpg"]  # the line records the edited image
    gas(root, "restore", "train/a.jpg")
    assert (root / image).read_text() == "MASK" and porcelain(gas, root) == []


def test_rm_takes_an_items_masks_and_a_mask_alone_leaves_its_item(gas: Gas, root: Path) -> None:
    """gas rm (worktree/remove.py). Before: `rm --cached` left the images listed as untracked
    (status trusted the label file's stat, so the untracked item's line was not read), and
    `rm IMAGE` removed the whole item."""
    image = "@masks/train/a.jpg.semantic.png"
    set_label(root, {"SEMANTIC_MASK": {"path": image}})
    gas(root, "commit", "-a", "-m", "mask")
    assert porcelain(gas, root) == [] and porcelain(gas, root) == []  # the stat is trusted
    gas(root, "rm", "--cached", "train/a.jpg")
    assert porcelain(gas, root) == ["D  train/a.jpg", "?? train/a.jpg"]
    assert (root / image).read_text() == "MASK"
    gas(root, "add", "train/a.jpg")
    assert porcelain(gas, root) == []
    gas(root, "rm", image)
    assert not (root / image).exists() and (root / "train/a.jpg").read_text() == "A"
    assert (root / "train/metadata.jsonl").read_text() == ""
    assert porcelain(gas, root) == [f"D  {image}", "L  train/a.jpg"]
    gas(root, "commit", "-m", "no mask")
    (root / image).write_text("MASK")
    set_label(root, {"SEMANTIC_MASK": {"path": image}})
    failed(gas(root, "rm", image, check=False), f"{image} is no staged mask")
    refused = gas(root, "rm", "train/a.jpg", check=False)
    failed(refused, f"these files have changes that are not staged: {image}")
    assert (root / image).exists() and (root / "train/a.jpg").exists()
    gas(root, "rm", "-f", "train/a.jpg")
    assert not (root / image).exists() and not (root / "train/a.jpg").exists()
    assert porcelain(gas, root) == ["D  train/a.jpg"]
