"""Bad input in the working tree is refused at `gas add`, never committed to fail every push.

Paths the server refuses (control characters, '\\', too long, not UTF-8) and labels that are not
standard JSON (NaN, Infinity, out-of-range numbers, nesting deeper than `MAX_DEPTH`) each get an
error naming the file (escaped, so that it reads on one line) or the `metadata.jsonl` line and the
rule; nothing is staged; `gas status` and `gas diff` keep working or say what is wrong.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from gascli import Gas, committed_offline, failed, write

from gasvc.model.names import MAX_PATH
from gasvc.model.strictjson import MAX_DEPTH

CAT = {"CLASSIFICATION": {"category": "cat"}}


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """An offline workspace whose segment `train` has one committed file, `ok.jpg`."""
    return committed_offline(gas, tmp_path / "ws", {"train/ok.jpg": "OK"})


def staged(gas: Gas, root: Path) -> list[str]:
    """`gas status --porcelain` lines of staged changes (a code in their first column)."""
    lines = gas(root, "status", "--porcelain").stdout.splitlines()
    return [line for line in lines if line[0] not in " ?"]


def long_path() -> str:
    """A path of MAX_PATH + 1 characters, in folders each short enough for the file system."""
    parts = ["d" * 200] * 5
    name = "x" * (MAX_PATH + 1 - len("/".join(parts)) - 1)
    return "/".join([*parts, name])


# 1. paths the server refuses ------------------------------------------------------------------
BAD_PATHS = {
    "newline": ("a\nb.jpg", "'train/a\\nb.jpg'", "control character"),
    "tab": ("t\tab.jpg", "'train/t\\tab.jpg'", "control character"),
    "backslash": ("back\\slash.jpg", "'train/back\\\\slash.jpg'", "contains '\\'"),
    "too long": (long_path(), "'train/dddd", f"longer than {MAX_PATH} characters"),
}


@pytest.mark.parametrize("how", ["-A", "segment", "explicit"])
@pytest.mark.parametrize("case", sorted(BAD_PATHS))
def test_add_refuses_a_path_the_server_refuses(gas: Gas, root: Path, case: str, how: str
                                               ) -> None:
    path, shown, rule = BAD_PATHS[case]
    write(root, {f"train/{path}": "BAD", "train/new.jpg": "NEW"})
    args = {"-A": ["-A"], "segment": ["train"], "explicit": [f"train/{path}"]}[how]
    result = gas(root, "add", *args, check=False)
    failed(result, "cannot add this file: the server refuses the path")
    assert shown in result.stderr and rule in result.stderr
    assert "hint: rename it" in result.stderr
    assert staged(gas, root) == []  # nothing staged, not even the good new file
    untracked = gas(root, "status", "--porcelain").stdout.splitlines()  # shown, no crash
    assert "?? train/new.jpg" in untracked
    assert f"?? {shown}" in untracked or case == "too long"
    assert gas(root, "commit", "-m", "nothing", check=False).returncode == 1


def test_add_names_every_refused_path(gas: Gas, root: Path) -> None:
    write(root, {"train/a\nb.jpg": "1", "train/sub/c\\d.jpg": "2"})
    result = gas(root, "add", "-A", check=False)
    failed(result, "cannot add these files")
    assert "'train/a\\nb.jpg': the path contains a control character" in result.stderr
    assert "'train/sub/c\\\\d.jpg': the path contains '\\'" in result.stderr


@pytest.mark.parametrize("name, shown", [("se\tg", "'se\\tg'"), ("se\\g", "'se\\\\g'")])
def test_add_refuses_a_segment_folder_the_server_refuses(gas: Gas, root: Path, name: str,
                                                         shown: str) -> None:
    write(root, {f"{name}/a.jpg": "A"})
    result = gas(root, "add", "-A", check=False)
    failed(result, f"cannot add the folder {shown}")
    assert "hint: rename it" in result.stderr
    assert staged(gas, root) == []
    gas(root, "add", "train")  # the other segments can still be added


# 3. names that are not UTF-8 ------------------------------------------------------------------
def test_a_file_name_that_is_not_utf8(gas: Gas, root: Path) -> None:
    bad = os.path.join(os.fsencode(root), b"train", b"bad\xff.jpg")
    Path(os.fsdecode(bad)).write_bytes(b"BAD")
    status = gas(root, "status", "--porcelain")
    assert "?? 'train/bad\\xff.jpg'" in status.stdout.splitlines()
    for args in (["-A"], ["train"]):
        result = gas(root, "add", *args, check=False)
        failed(result, "cannot add this file")
        assert "'train/bad\\xff.jpg': the path is not valid UTF-8" in result.stderr
    explicit = gas(root, "add", os.fsdecode(b"train/bad\xff.jpg"), check=False)
    failed(explicit, "'train/bad\\xff.jpg' is not valid UTF-8")
    assert staged(gas, root) == []
    gas(root, "diff")


def test_a_segment_folder_name_that_is_not_utf8(gas: Gas, root: Path) -> None:
    folder = Path(os.fsdecode(os.path.join(os.fsencode(root), b"seg\xfe")))
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"A")
    (folder / "sub").mkdir()
    status = gas(root, "status", "--porcelain")
    assert status.stdout.splitlines() == ["?? 'seg\\xfe/'"]  # not walked: it cannot be tracked
    result = gas(root, "add", "-A", check=False)
    failed(result, "cannot add the folder 'seg\\xfe': the name is not valid UTF-8")
    assert staged(gas, root) == []
    gas(root, "diff")
    gas(root, "status")


# 2. and 4. labels that are not standard JSON --------------------------------------------------
def deep(levels: int) -> str:
    """A label nested `levels` levels deep: the label object, then lists."""
    return '{"x":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


BAD_LABELS = {
    "NaN": ('{"CLASSIFICATION":{"attributes":{"x":NaN}}}', "NaN is not a JSON number"),
    "Infinity": ('{"BOX2D":[{"xmin":Infinity}]}', "Infinity is not a JSON number"),
    "-Infinity": ('{"BOX2D":[{"xmin":-Infinity}]}', "-Infinity is not a JSON number"),
    "overflow": ('{"BOX2D":[{"xmin":1e999}]}', "the number 1e999 is too large"),
    "too deep": (deep(MAX_DEPTH + 1), f"the JSON is nested deeper than {MAX_DEPTH} levels"),
    "far too deep": (deep(100_000), f"the JSON is nested deeper than {MAX_DEPTH} levels"),
}


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_a_label_that_is_not_standard_json(gas: Gas, root: Path, case: str) -> None:
    label, rule = BAD_LABELS[case]
    good = json.dumps({"file_name": "ok.jpg", "label": CAT})
    bad = f'{{"file_name":"new.jpg","label":{label}}}'
    write(root, {"train/metadata.jsonl": f"{good}\n\n{bad}\n", "train/new.jpg": "NEW"})
    for command in (["add", "-A"], ["add", "train/metadata.jsonl"], ["status"], ["diff"]):
        result = gas(root, *command, check=False)
        failed(result, f"train/metadata.jsonl:3: {rule}")
        assert "finite numbers (no NaN or Infinity)" in result.stderr
    write(root, {"train/metadata.jsonl": good + "\n"})
    assert staged(gas, root) == []


def test_a_label_at_the_depth_limit_is_taken(gas: Gas, root: Path) -> None:
    write(root, {"train/metadata.jsonl":
                 f'{{"file_name":"ok.jpg","label":{deep(MAX_DEPTH)}}}\n'})
    gas(root, "add", "-A")
    assert staged(gas, root) == ["L  train/ok.jpg"]
    gas(root, "commit", "-m", "deep")
    gas(root, "diff", "HEAD~1", "HEAD")
    assert gas(root, "status", "--porcelain").stdout.strip() == ""


@pytest.mark.parametrize("text, rule", [
    ('{"CLASSIFICATION": {"x": NaN}}', "NaN is not a JSON number"),
    ('{"x": ' + "[" * 200_000 + "]" * 200_000 + "}", "the JSON is nested deeper than"),
])
def test_a_catalog_that_is_not_standard_json(gas: Gas, root: Path, text: str, rule: str
                                            ) -> None:
    write(root, {"catalog.json": text})
    for command in (["add", "-A"], ["status"]):
        failed(gas(root, *command, check=False), f"catalog.json: {rule}")


@pytest.mark.parametrize("catalog, reason", [
    ({"BOX2D": "boxes"}, "the catalog's BOX2D is not an object"),
    ({"BOX2D": {"categories": 5}}, "attribute 'size' is not in the catalog"),
    ({"BOX2D": {"categories": [{"name": ["cat"]}]}}, "attribute 'size' is not in the catalog"),
    ({"BOX2D": {"attributes": [{"name": "size", "minimum": "big"}]}}, "category must be a"),
    ({"BOX2D": {"attributes": [{"name": "size", "enum": 3, "type": [["x"]]}]}}, "category must"),
])
def test_a_malformed_catalog_gives_reasons(gas: Gas, root: Path, catalog: dict[str, object],
                                           reason: str) -> None:
    """Labels are checked against the catalog at commit: parts of the catalog of the wrong
    type are reasons (or ignored), never a crash; warnings, errors with --strict."""
    box = {"category": ["cat"] if "must" in reason else "cat", "attributes": {"size": 2}}
    write(root, {"catalog.json": json.dumps(catalog), "train/metadata.jsonl":
                 json.dumps({"file_name": "ok.jpg", "label": {"BOX2D": [box]}}) + "\n"})
    gas(root, "add", "-A")
    failed(gas(root, "commit", "--strict", "-m", "labels", check=False), reason)
    done = gas(root, "commit", "-m", "labels")
    assert reason in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name, where", [("train/metadata.jsonl", "train/metadata.jsonl:2"),
                                         ("catalog.json", "catalog.json:2")])
def test_a_label_file_that_is_not_utf8(gas: Gas, root: Path, name: str, where: str) -> None:
    good = json.dumps({"file_name": "ok.jpg", "label": CAT}).encode()
    text = (b"{\n" if name == "catalog.json" else good + b"\n") + b'{"x": "caf\xe9"}\n'
    (root / name).write_bytes(text)
    untracked_catalog = name == "catalog.json"  # diff leaves an untracked catalog unread
    for command in (["add", "-A"], ["status"], *([] if untracked_catalog else [["diff"]])):
        result = gas(root, *command, check=False)
        failed(result, f"{where}: not valid UTF-8 (byte 0xe9)")
        assert "hint: save the file as UTF-8" in result.stderr
