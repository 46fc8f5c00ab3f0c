"""`gas commit` warns about changed labels that do not fit catalog.json and commits them;
`--strict` or the `commit.strict` setting refuses them (with the SDK: sdk/test_sdk_catalog.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascli import Gas, committed_offline, failed, write

CATALOG = {"CLASSIFICATION": {"categories": [{"name": "cat"}]}}


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """An offline workspace with the catalog and 25 files in segment `s`, committed."""
    return committed_offline(gas, tmp_path / "ws", {
        "catalog.json": json.dumps(CATALOG), **{f"s/{n:02}.jpg": str(n) for n in range(25)}})


def label_all(root: Path, category: str, count: int = 25) -> None:
    write(root, {"s/metadata.jsonl": "".join(
        json.dumps({"file_name": f"{n:02}.jpg", "label": {"CLASSIFICATION": {
            "category": category}}}) + "\n" for n in range(count))})


def test_the_warning_lists_twenty_and_counts_the_rest_even_when_quiet(gas: Gas, root: Path
                                                                       ) -> None:
    label_all(root, "cow")
    done = gas(root, "commit", "-a", "-q", "-m", "cows")
    lines = done.stderr.splitlines()
    assert done.stdout == ""
    assert lines[1] == "  s/metadata.jsonl:1: s/00.jpg: CLASSIFICATION: category 'cow' is not" \
                       " in the catalog"
    assert len(lines) == 22 and lines[-1] == "  ... and 5 more"
    again = gas(root, "commit", "-a", "--strict", "-m", "again", check=False)
    assert "nothing to commit" in again.stdout  # committed above: nothing is checked again


def test_labels_that_fit_or_no_catalog_say_nothing(gas: Gas, root: Path) -> None:
    label_all(root, "cat")
    assert gas(root, "commit", "-a", "--strict", "-m", "cats").stderr == ""
    (root / "catalog.json").unlink()
    label_all(root, "cow", 3)
    assert gas(root, "commit", "-a", "--strict", "-m", "cows").stderr == ""


def test_the_setting_takes_true_or_false_only(gas: Gas, root: Path) -> None:
    failed(gas(root, "config", "commit.strict", "maybe", check=False),
           'the option "commit.strict" needs True(1) or False(0)')
    gas.config.write_text("[config]\ncommit.strict = maybe\n")
    label_all(root, "cow", 1)
    refused = gas(root, "commit", "-a", "-m", "cow", check=False)
    failed(refused, "the option \"commit.strict\" in ")
    assert refused.returncode == 2 and "gas config commit.strict true" in refused.stderr
    gas(root, "config", "commit.strict", "False")
    assert "category 'cow'" in gas(root, "commit", "-a", "-m", "cow").stderr
