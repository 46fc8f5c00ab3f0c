"""A `metadata.jsonl` line is judged by its decoded JSON, never by its spelling: a mask type's
key written with escapes (`"SEMANTIC\\u005fMASK"`), keys in another order, spaces, any string
spelled with \\u escapes all read as the label they decode to. The fast paths that compare a
line's text by hash without parsing it (worktree/metafile.py), the recorded lines of a segment
(labeldelta.py) and what `gas add` records (addlabels.py) fall back to reading a line in full
when its text may name a mask (model/masks.may_name_mask).

The real `gas` command with fixed spellings of each mask type, then a hypothesis property on
the library: any spelling of the same labels gives the same status and the same `gas add` as
the canonical one (the index, the lines written, what status says after)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gascli import Gas, committed_offline, write
from hypothesis import given, settings
from hypothesis import strategies as st
from statusworld import Library, index_rows
from test_properties import EXPLORE, SETTINGS

from gasvc.model.masks import KINDS, may_name_mask
from gasvc.model.metadata import parse
from gasvc.workspace.worktree.metafile import label_refs

WORDS = {"SEMANTIC_MASK": "semantic", "INSTANCE_MASK": "instance", "PANOPTIC_MASK": "panoptic"}
INFO = {"SEMANTIC_MASK": [{"categoryId": 0, "attributes": {"occluded": True}}],
        "INSTANCE_MASK": [{"instanceId": 1, "attributes": {}}],
        "PANOPTIC_MASK": [{"instanceId": 1, "categoryId": 2}]}


def image(item: str, kind: str) -> str:
    return f"@masks/train/{item}.{WORDS[kind]}.png"


def mask(item: str, kind: str, recorded: bytes | None = None) -> dict[str, Any]:
    """A mask in the line form; with the checksum and size of `recorded` (as gas add writes)."""
    found: dict[str, Any] = {"path": image(item, kind), "info": INFO[kind]}
    if recorded is not None:
        found.update(checksum=hashlib.sha1(recorded).hexdigest(), fileSize=len(recorded))
    return found


def canonical(path: str, label: dict[str, Any]) -> str:
    """The line as gas writes it."""
    return json.dumps({"file_name": path, "label": label}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def escape_keys(line: str) -> str:
    """The line with each mask type's key spelled with escapes: its "_" as \\u005f, its last
    letter as \\u004B (upper-case hex): JSON that decodes to the same line."""
    for kind in KINDS:
        line = line.replace(f'"{kind}"', '"' + kind[:-5] + "\\u005fMAS\\u004B" + '"')
    return line


def porcelain(gas: Gas, root: Path) -> list[str]:
    return gas(root, "status", "--porcelain").stdout.strip("\n").splitlines()


# the real command, fixed spellings ----------------------------------------------------------
@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """An offline workspace with train/a.jpg and train/b.jpg (labelled) committed."""
    labels = canonical("b.jpg", {"CLASSIFICATION": {"category": "dog"}}) + "\n"
    return committed_offline(gas, tmp_path / "ws", {
        "train/a.jpg": "A", "train/b.jpg": "B", "train/metadata.jsonl": labels})


def set_lines(root: Path, *lines: str) -> None:
    (root / "train/metadata.jsonl").write_text("".join(line + "\n" for line in lines))


B_LINE = canonical("b.jpg", {"CLASSIFICATION": {"category": "dog"}})


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_mask_key_spelled_with_escapes_is_a_mask(gas: Gas, root: Path, kind: str) -> None:
    """Before: the line's text lacked `_MASK"`, so its label was read as one without masks:
    the image showed as untracked and `gas add` staged the line form (with "path") as the
    label."""
    write(root, {image("a.jpg", kind): "MASK"})
    line = escape_keys(canonical("a.jpg", {kind: mask("a.jpg", kind)}))
    assert kind not in line and not line.count('_MASK"')
    set_lines(root, line, B_LINE)
    assert porcelain(gas, root) == [f" A {image('a.jpg', kind)}", " L train/a.jpg"]
    gas(root, "add", "-A")
    assert porcelain(gas, root) == [f"A  {image('a.jpg', kind)}", "L  train/a.jpg"]
    labels = {path: found.label for path, found in parse(
        (root / "train/metadata.jsonl").read_text(), "m", "train").items()}
    assert labels["a.jpg"] == {kind: {k: v for k, v in mask("a.jpg", kind, b"MASK").items()
                                      if k != "path"}}
    gas(root, "commit", "-m", "mask")
    assert porcelain(gas, root) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_recorded_line_spelled_with_escapes_keeps_its_mask(gas: Gas, root: Path,
                                                             kind: str) -> None:
    """A committed mask line spelled again with escapes (same label, image recorded) is the
    same label; once `gas add` records the lines, editing another line must not hide the mask
    (before: the escaped line was recorded as naming no mask, and the next status, reading
    only the changed line, listed the image as untracked)."""
    write(root, {image("a.jpg", kind): "MASK"})
    set_lines(root, canonical("a.jpg", {kind: mask("a.jpg", kind)}), B_LINE)
    gas(root, "commit", "-a", "-m", "mask")
    recorded = canonical("a.jpg", {kind: mask("a.jpg", kind, b"MASK")})
    assert (root / "train/metadata.jsonl").read_text() == recorded + "\n" + B_LINE + "\n"
    set_lines(root, escape_keys(recorded), B_LINE)
    assert porcelain(gas, root) == []
    gas(root, "add", "-A")
    assert porcelain(gas, root) == []
    set_lines(root, escape_keys(recorded), canonical("b.jpg", {"CLASSIFICATION": {
        "category": "owl"}}))
    assert porcelain(gas, root) == [" L train/b.jpg"]
    (root / image("a.jpg", kind)).write_text("MASK, edited")
    assert porcelain(gas, root) == [f" M {image('a.jpg', kind)}", " L train/b.jpg"]
    gas(root, "add", "-A")
    assert porcelain(gas, root) == [f"M  {image('a.jpg', kind)}", "L  train/a.jpg",
                                    "L  train/b.jpg"]


def test_may_name_mask() -> None:
    assert may_name_mask('{"SEMANTIC_MASK":{}}')
    assert may_name_mask('{"SEMANTIC\\u005fMASK":{}}')
    assert may_name_mask('{"SEMANTIC_MAS\\u004b":{}}')
    assert not may_name_mask('{"CLASSIFICATION":{"category":"\\u732b\\u000a"}}')
    assert not may_name_mask('{"BOX2D":[]}')


# the property: any spelling, the same outcome -----------------------------------------------
def spelled_string(draw: st.DrawFn, text: str) -> str:
    """A JSON string literal of `text`, each character plain or \\u-escaped at random."""
    out = ['"']
    for char in text:
        code = ord(char)
        if code > 0xFFFF:
            high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
            escaped = f"\\u{high:04x}\\u{low:04x}"
        else:
            hexes = f"{code:04x}"
            escaped = "\\u" + (hexes.upper() if draw(st.booleans()) else hexes)
        if char in '"\\' or code < 0x20:
            plain = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}.get(char, escaped)
        elif char == "/":
            plain = draw(st.sampled_from(["/", "\\/"]))
        else:
            plain = char
        out.append(escaped if draw(st.booleans()) else plain)
    return "".join(out) + '"'


def spelled(draw: st.DrawFn, value: Any) -> str:
    """JSON text of `value`: keys in any order, spaces or tabs between tokens, strings spelled
    by `spelled_string`."""
    def gap() -> str:
        return draw(st.sampled_from(["", "", " ", "\t", "  "]))

    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        return "{" + gap() + ",".join(
            f"{gap()}{spelled_string(draw, key)}{gap()}:{gap()}{spelled(draw, value[key])}{gap()}"
            for key in keys) + gap() + "}"
    if isinstance(value, list):
        return "[" + gap() + ",".join(gap() + spelled(draw, item) + gap()
                                      for item in value) + gap() + "]"
    if isinstance(value, str):
        return spelled_string(draw, value)
    return json.dumps(value)


@st.composite
def line_spelling(draw: st.DrawFn, path: str, label: dict[str, Any]) -> str:
    """A line labelling `path`: often with gas's own `{"file_name":…,"label":` around any
    spelling of the label (the text the fast path compares by hash), else spelled all over."""
    if draw(st.booleans()):
        return '{"file_name":' + json.dumps(path) + ',"label":' + spelled(draw, label) + "}"
    return spelled(draw, {"file_name": path, "label": label})


IMAGES = {("a.jpg", kind): f"{kind} of a".encode() for kind in KINDS}
IMAGES[("b.jpg", "INSTANCE_MASK")] = b"instance of b"

#: Labels of a.jpg: masks of each type (their images recorded or not), other label types with
#: strings worth escaping, none.
A_LABELS: list[dict[str, Any]] = [
    {},
    {"CLASSIFICATION": {"category": "猫/cat \"x\"", "attributes": {"n": 1.5}}},
    {"SEMANTIC_MASK": mask("a.jpg", "SEMANTIC_MASK"), "CLASSIFICATION": {"category": "𝒸at"}},
    {"INSTANCE_MASK": mask("a.jpg", "INSTANCE_MASK", IMAGES[("a.jpg", "INSTANCE_MASK")])},
    {"PANOPTIC_MASK": mask("a.jpg", "PANOPTIC_MASK"),
     "SEMANTIC_MASK": mask("a.jpg", "SEMANTIC_MASK", IMAGES[("a.jpg", "SEMANTIC_MASK")])},
    {"SEMANTIC_MASK": mask("a.jpg", "SEMANTIC_MASK", b"another image")},
]
B_LABELS: list[dict[str, Any]] = [
    {"CLASSIFICATION": {"category": "dog"}},
    {"INSTANCE_MASK": mask("b.jpg", "INSTANCE_MASK")},
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with train/a.jpg, train/b.jpg (labelled) committed, and mask images for
    a.jpg (each type) and b.jpg (instance) that no line names yet."""
    root = tmp_path_factory.mktemp("spellings") / "ws"
    gas = Gas(root.parent / "home")
    gas(root, "init", "--no-remote")
    write(root, {"train/a.jpg": "A", "train/b.jpg": "B",
                 "train/metadata.jsonl": B_LINE + "\n"})
    for (item, kind), data in IMAGES.items():
        (root / image(item, kind)).parent.mkdir(parents=True, exist_ok=True)
        (root / image(item, kind)).write_bytes(data)
    gas(root, "add", "train")
    gas(root, "commit", "-m", "first")
    return root


class Pair:
    """Two copies of the base workspace: one whose lines are written as gas writes them, one
    whose lines are written in drawn spellings; every command run on both."""

    def __init__(self, base: Path, folder: Path) -> None:
        self.library, self.stamp = Library(), 1_600_000_000 * 10**9
        self.roots = (folder / "canonical", folder / "spelled")
        for root in self.roots:
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(base, root, symlinks=True)

    def write(self, canonical_text: str, spelled_text: str) -> None:
        self.stamp += 10**9  # a stat no check has seen, in the past (trusted)
        for root, text in zip(self.roots, (canonical_text, spelled_text), strict=True):
            path = root / "train/metadata.jsonl"
            path.write_text(text, encoding="utf-8")
            os.utime(path, ns=(self.stamp, self.stamp))

    def same(self, command: Callable[[Path], object]) -> object:
        outcomes = [command(root) for root in self.roots]
        assert outcomes[0] == outcomes[1]
        return outcomes[0]

    def check(self) -> None:
        """status, add -A, status again, and the index and lines they leave: the same."""
        self.same(self.library.status)
        self.same(lambda root: self.library.add(root, None))
        self.same(index_rows)
        self.same(lambda root: {path: found.label for path, found in parse(
            (root / "train/metadata.jsonl").read_text(), "m", "train").items()})
        self.same(self.library.status)


#: Each example runs a dozen commands on two workspaces: fewer of them.
WORKSPACE_SETTINGS = settings(SETTINGS, max_examples=int(EXPLORE or 20))


@WORKSPACE_SETTINGS
@given(st.data())
def test_any_spelling_of_the_labels_gives_the_same_status_and_add(
        base: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    pair = Pair(base, tmp_path_factory.mktemp("pair"))
    for _ in range(2):  # the second round reads against the lines the first recorded
        labels = {"a.jpg": data.draw(st.sampled_from(A_LABELS)),
                  "b.jpg": data.draw(st.sampled_from(B_LABELS))}
        order = data.draw(st.permutations(sorted(labels)))
        lines = [(path, labels[path]) for path in order if labels[path]]
        pair.write("".join(canonical(path, label) + "\n" for path, label in lines),
                   "".join(data.draw(line_spelling(path, label)) + "\n"
                           for path, label in lines))
        pair.check()


@SETTINGS
@given(st.sampled_from(A_LABELS), st.data())
def test_any_spelling_of_a_line_reads_as_the_canonical_one(label: dict[str, Any],
                                                           data: st.DataObject) -> None:
    """label_refs of a line (the fast path, by hash or by json.loads, or the full parse) gives
    the same label id and masks for every spelling, whether the index knows the label or not."""
    if not label:
        return
    text = canonical("a.jpg", label) + "\n"
    respelled = data.draw(line_spelling("a.jpg", label)) + "\n"
    known = {"a.jpg": label_refs(text, "m", {}, "train")["a.jpg"].label}
    for index in ({}, known):
        want, got = (label_refs(line, "m", index, "train")["a.jpg"] for line in (text, respelled))
        assert (got.line, got.label, got.masks) == (want.line, want.label, want.masks)
        assert got.data is None or want.data is None or got.data == want.data
