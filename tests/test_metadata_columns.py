"""A `metadata.jsonl` column gas cannot store on the server is refused, never dropped at push.

The server keeps one label object per file, so a line holds `file_name` and `label` only. A
Hugging Face `caption` or `objects` column is refused at `gas add` with its line and a hint, and
`gas status`, `gas diff`, `gas commit -a` and `gas rm` report the same error: nothing is staged,
nothing rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascli import Gas, committed_offline, failed, write

CAT = {"CLASSIFICATION": {"category": "cat"}}
HINT = "into the label (as a label type such as BOX2D or SENTENCE, or an attribute) or into a file"


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """An offline workspace whose segment `train` has `a.jpg` (labelled cat) and `b.jpg`."""
    return committed_offline(gas, tmp_path / "ws", {
        "train/a.jpg": "A", "train/b.jpg": "B",
        "train/metadata.jsonl": line({"file_name": "a.jpg", "label": CAT})})


def line(item: dict[str, object]) -> str:
    return json.dumps(item) + "\n"


def porcelain(gas: Gas, root: Path) -> str:
    return gas(root, "status", "--porcelain").stdout.strip()


CAPTION = {"file_name": "b.jpg", "label": CAT, "caption": "a cat on a mat"}
OBJECTS = {"file_name": "b.jpg", "objects": {"bbox": [[1, 2, 3, 4]], "categories": [0]}}


@pytest.mark.parametrize("item, column", [(CAPTION, "'caption'"), (OBJECTS, "'objects'")])
def test_add_refuses_a_column_with_its_line_and_a_hint(gas: Gas, root: Path,
                                                       item: dict[str, object], column: str
                                                       ) -> None:
    text = line({"file_name": "a.jpg", "label": CAT}) + line(item)
    write(root, {"train/metadata.jsonl": text})
    error = f"train/metadata.jsonl:2: column {column} cannot be stored on the server"
    for command in (["add", "-A"], ["add", "train/metadata.jsonl"], ["add", "train/b.jpg"]):
        result = gas(root, *command, check=False)
        failed(result, error)
        assert f"hint: move {column} {HINT}" in result.stderr
    for command in (["status"], ["diff"], ["commit", "-a", "-m", "x"]):
        failed(gas(root, *command, check=False), error)
    assert gas(root, "log", "--oneline").stdout.count("\n") == 1  # nothing committed
    (root / "train/metadata.jsonl").write_text(text.replace(line(item), ""))
    assert porcelain(gas, root) == ""  # nothing was staged
    assert (root / "train/metadata.jsonl").read_text() == line({"file_name": "a.jpg",
                                                                 "label": CAT})


def test_two_columns_are_named_together(gas: Gas, root: Path) -> None:
    write(root, {"train/metadata.jsonl": line({**CAPTION, "objects": {}})})
    failed(gas(root, "add", "-A", check=False),
           "train/metadata.jsonl:1: columns 'caption', 'objects' cannot be stored")


def test_lines_of_file_name_and_label_alone_still_work(gas: Gas, root: Path) -> None:
    """Canonical lines (the fast path), and other spellings of the same two columns."""
    write(root, {"train/metadata.jsonl": '{"label": {"CLASSIFICATION": {"category": "dog"}},'
                 ' "file_name": "a.jpg"}\n' + json.dumps({"file_name": "b.jpg"}) + "\n"})
    gas(root, "add", "-A")
    assert porcelain(gas, root) == "L  train/a.jpg"
    gas(root, "commit", "-m", "dog")
    assert "CLASSIFICATION.category: cat → dog" in gas(root, "diff", "HEAD~1", "HEAD").stdout
    write(root, {"train/metadata.jsonl": '{"file_name":"a.jpg","label":{}}\n'})
    gas(root, "commit", "-a", "-m", "unlabel")
    assert gas(root, "diff", "HEAD~1", "HEAD").stdout == "L  train/a.jpg\n    - CLASSIFICATION\n"
    assert porcelain(gas, root) == ""


def test_a_committed_line_gaining_a_column_is_refused_by_commit_a(gas: Gas, root: Path) -> None:
    write(root, {"train/metadata.jsonl": line({"file_name": "a.jpg", "label": CAT,
                                               "caption": "x"})})
    failed(gas(root, "commit", "-a", "-m", "x", check=False),
           "train/metadata.jsonl:1: column 'caption' cannot be stored")
    assert gas(root, "log", "--oneline").stdout.count("\n") == 1


def test_rm_refuses_before_deleting_rather_than_drop_a_column(gas: Gas, root: Path) -> None:
    """`gas rm` rewrites metadata.jsonl; a line it cannot keep whole stops it before anything
    changes (the file stays, nothing is staged, the column is kept)."""
    text = line({"file_name": "a.jpg", "label": CAT, "caption": "x"})
    write(root, {"train/metadata.jsonl": text})
    failed(gas(root, "rm", "train/b.jpg", check=False),
           "train/metadata.jsonl:1: column 'caption' cannot be stored")
    assert (root / "train/b.jpg").read_text() == "B"
    assert (root / "train/metadata.jsonl").read_text() == text
    write(root, {"train/metadata.jsonl": line({"file_name": "a.jpg", "label": CAT})})
    assert porcelain(gas, root) == ""
