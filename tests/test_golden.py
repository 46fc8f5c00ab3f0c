"""Golden outputs of `gas status | diff | log | show` on a workspace built the same way each time.

Each command's output is compared with `tests/golden/<name>.txt`. After an intended change of
output, regenerate them and review the difference with git:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
    git diff tests/golden/

File contents, labels and the catalog are fixed; `GAS_AUTHOR` and `GAS_COMMIT_DATE` fix the
commits' author and date, so their ids are the same on every run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gasvc.cli import main

GOLDEN = Path(__file__).parent / "golden"
ENV = {"GAS_AUTHOR": "Ada Lovelace <ada@example.com>", "GAS_COMMIT_DATE": "2024-01-02T03:04:05Z",
       "GAS_URL": None, "GAS_ACCESS_KEY": None, "GAS_CONFIG": "/nonexistent/gasconfig"}

BOX_A = {"box2d": {"xmin": 1, "ymin": 1, "xmax": 5, "ymax": 5}, "category": "car"}
BOX_B = {"box2d": {"xmin": 6, "ymin": 6, "xmax": 9, "ymax": 9}, "category": "car"}
BOX_C = {"box2d": {"xmin": 2, "ymin": 3, "xmax": 4, "ymax": 8}, "category": "bus"}
CATALOG = {"BOX2D": {"categories": [{"name": "bus"}, {"name": "car"}, {"name": "truck"}]},
           "CLASSIFICATION": {"categories": [{"name": "cat"}, {"name": "dog"}],
                              "attributes": [{"name": "color", "enum": ["red", "blue"]}]}}

#: (golden name, gas arguments) captured after each step of the story.
BEFORE_FIRST_COMMIT = [
    ("status-new", ["status"]),
    ("status-new-porcelain", ["status", "--porcelain"]),
    ("diff-staged-new", ["diff", "--staged"]),
    ("diff-staged-new-stat", ["diff", "--staged", "--stat"]),
]
WITH_CHANGES = [
    ("status-changes", ["status"]),
    ("status-changes-porcelain", ["status", "--porcelain"]),
    ("diff-worktree", ["diff"]),
    ("diff-worktree-stat", ["diff", "--stat"]),
    ("diff-worktree-name-status", ["diff", "--name-status"]),
    ("diff-staged", ["diff", "--staged"]),
    ("diff-staged-stat", ["diff", "--staged", "--stat"]),
    ("diff-head", ["diff", "HEAD"]),
    ("diff-path", ["diff", "HEAD", "--", "train/images/2.jpg", "catalog.json"]),
]
AFTER_SECOND_COMMIT = [
    ("log-oneline", ["log", "--oneline"]),
    ("log", ["log"]),
    ("show", ["show"]),
    ("show-stat", ["show", "--stat"]),
    ("show-first-name-status", ["show", "HEAD~1", "--name-status"]),
    ("diff-commits", ["diff", "HEAD~1", "HEAD"]),
    ("diff-commits-stat", ["diff", "HEAD~1..HEAD", "--stat"]),
    ("diff-commits-json", ["diff", "HEAD~1", "HEAD", "--json", "--", "train"]),
    ("status-clean", ["status"]),
]
ALL = BEFORE_FIRST_COMMIT + WITH_CHANGES + AFTER_SECOND_COMMIT


def write(root: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def metadata(labels: dict[str, dict[str, Any]]) -> str:
    return "".join(json.dumps({"file_name": p, "label": labels[p]}, sort_keys=True) + "\n"
                   for p in sorted(labels))


class Session:
    """Runs `gas` in-process in one folder with the fixed environment."""

    def __init__(self, root: Path) -> None:
        self.root, self.runner = root, CliRunner()
        self.outputs: dict[str, str] = {}

    def gas(self, *args: str) -> str:
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            result = self.runner.invoke(main, list(args), env=ENV, catch_exceptions=False)
        finally:
            os.chdir(cwd)
        assert result.exit_code == 0, f"gas {' '.join(args)}: {result.output}"
        return result.stdout

    def capture(self, commands: list[tuple[str, list[str]]]) -> None:
        for name, args in commands:
            self.outputs[name] = self.gas(*args)


def story(root: Path) -> dict[str, str]:
    """A first commit of three labelled images and a catalog; then every kind of change."""
    session = Session(root)
    session.gas("init", "--no-remote")
    write(root, {
        "train/images/1.jpg": b"one", "train/images/2.jpg": b"two", "train/images/3.jpg": b"three",
        "train/metadata.jsonl": metadata({
            "images/1.jpg": {"BOX2D": [BOX_A, BOX_B]},
            "images/2.jpg": {"BOX2D": [BOX_A, BOX_C],
                             "CLASSIFICATION": {"category": "dog",
                                                "attributes": {"color": "red"}}},
            "images/3.jpg": {"CLASSIFICATION": {"category": "cat"}}}),
        "catalog.json": json.dumps(CATALOG, indent=2, sort_keys=True) + "\n",
    })
    session.gas("add", "-A")
    session.gas("add", "catalog.json")
    session.capture(BEFORE_FIRST_COMMIT)
    session.gas("commit", "-m", "Import three images")
    change_everything(root)
    session.gas("add", "val", "train/images/4.jpg")
    session.capture(WITH_CHANGES)
    session.gas("commit", "-a", "-m", "Relabel, replace and extend\n\nWith a validation set.")
    session.capture(AFTER_SECOND_COMMIT)
    return session.outputs


def change_everything(root: Path) -> None:
    """A modified file, labels changed field by field, a deleted and an added file, a new
    segment and a changed catalog."""
    (root / "train/images/3.jpg").unlink()
    catalog = json.loads(json.dumps(CATALOG))
    catalog["CLASSIFICATION"]["categories"].append({"name": "bird"})
    write(root, {
        "train/images/1.jpg": b"ONE, retaken",
        "train/images/4.jpg": b"four",
        "train/metadata.jsonl": metadata({
            "images/1.jpg": {"BOX2D": [{**BOX_A, "category": "truck"}, BOX_B, BOX_C]},
            "images/2.jpg": {"BOX2D": [BOX_C],
                             "CLASSIFICATION": {"category": "dog",
                                                "attributes": {"color": "blue"}}},
            "images/4.jpg": {"CLASSIFICATION": {"category": "bird"}}}),
        "val/a.jpg": b"validation a",
        "catalog.json": json.dumps(catalog, indent=2, sort_keys=True) + "\n",
    })


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield story(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", [name for name, _ in ALL])
def test_golden(outputs: dict[str, str], name: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(outputs[name], encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert outputs[name] == path.read_text(encoding="utf-8")


def test_every_golden_file_is_used() -> None:
    names = {name for name, _ in ALL}
    stale = sorted(p.stem for p in GOLDEN.glob("*.txt") if p.stem not in names)
    assert not stale, f"golden files no test writes any more: {stale}"


def test_story_is_reproducible(tmp_path: Path, outputs: dict[str, str]) -> None:
    """Another run in another folder gives the same commit ids and the same text."""
    again = story(tmp_path)
    assert again["log-oneline"] == outputs["log-oneline"]
    assert again["show"] == outputs["show"]
