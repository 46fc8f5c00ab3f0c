"""The files of recorded label lines (`.gas/labels/<SHA-1 of a segment's name>`,
store/labellines.py) go when no row vouches for them any more: at the commit that removes a
segment's last items, at a checkout of a version without the segment, and when status records
lines (leftovers of a stopped write included); a live segment's file stays and keeps serving.
Status and diff say what they say without any record. The real `gas` command throughout."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from gascli import Gas, committed_offline, write

CAT = {"CLASSIFICATION": {"category": "cat"}}
DOG = {"CLASSIFICATION": {"category": "dog"}}
OLD_NS = 1_600_000_000_000_000_000


def lines(*items: tuple[str, object]) -> str:
    return "".join(json.dumps({"file_name": path, "label": label}) + "\n" for path, label in items)


def file_of(root: Path, segment: str) -> Path:
    return root / ".gas/labels" / hashlib.sha1(segment.encode()).hexdigest()


def label_files(root: Path) -> set[str]:
    return {path.name for path in (root / ".gas/labels").iterdir()}


def recorded(root: Path, *segments: str) -> set[str]:
    return {file_of(root, segment).name for segment in segments}


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def root(gas: Gas, tmp_path: Path) -> Path:
    """Segments `keep` and `gone`, two labelled items each, committed; their lines recorded."""
    files = {}
    for segment in ("keep", "gone"):
        files |= {f"{segment}/1.jpg": "1", f"{segment}/2.jpg": "2",
                  f"{segment}/metadata.jsonl": lines(("1.jpg", CAT), ("2.jpg", DOG))}
    root = committed_offline(gas, tmp_path / "ws", files)
    gas(root, "status")
    assert label_files(root) == recorded(root, "keep", "gone")
    return root


def views(gas: Gas, root: Path) -> tuple[str, str, str]:
    """What status and diff say, read through the records there are."""
    return (gas(root, "status", "--porcelain").stdout, gas(root, "diff").stdout,
            gas(root, "diff", "HEAD").stdout)


def without_records(gas: Gas, root: Path) -> tuple[str, str, str]:
    """The same, every record's file deleted first (labels read in full)."""
    shutil.rmtree(root / ".gas/labels")
    return views(gas, root)


def test_the_commit_removing_a_segment_takes_its_file(gas: Gas, root: Path) -> None:
    gas(root, "rm", "gone/1.jpg", "gone/2.jpg")
    gas(root, "commit", "-m", "gone")
    assert label_files(root) == recorded(root, "keep")
    write(root, {"keep/metadata.jsonl": lines(("1.jpg", DOG), ("2.jpg", DOG))})
    seen = views(gas, root)
    assert seen[0] == " L keep/1.jpg\n"
    assert seen == without_records(gas, root)


def test_a_checkout_without_the_segment_takes_its_file(gas: Gas, root: Path) -> None:
    gas(root, "checkout", "-b", "slim")
    gas(root, "rm", "gone/1.jpg", "gone/2.jpg")
    gas(root, "commit", "-m", "gone")
    gas(root, "checkout", "main")
    gas(root, "status")  # records `gone` again
    assert label_files(root) == recorded(root, "keep", "gone")
    gas(root, "checkout", "slim")
    assert label_files(root) == recorded(root, "keep")
    assert gas(root, "status", "--porcelain").stdout == "\n"


def test_status_recording_lines_takes_stale_files_and_leftovers(gas: Gas, root: Path) -> None:
    stale = root / ".gas/labels" / ("0" * 40)
    leftover = file_of(root, "keep").with_name(file_of(root, "keep").name + ".12345.tmp")
    stale.write_text("a segment long gone")
    leftover.write_text("half written")
    gas(root, "status")  # records nothing: both records hold
    assert label_files(root) == recorded(root, "keep", "gone") | {stale.name, leftover.name}
    file_of(root, "gone").unlink()
    os.utime(root / "gone/metadata.jsonl", ns=(OLD_NS, OLD_NS))  # its stat changed: read
    assert gas(root, "status", "--porcelain").stdout == "\n"  # in full, recorded again
    assert label_files(root) == recorded(root, "keep", "gone")
    write(root, {"gone/metadata.jsonl": lines(("1.jpg", CAT), ("2.jpg", CAT))})
    seen = views(gas, root)
    assert seen[0] == " L gone/2.jpg\n"
    assert seen == without_records(gas, root)


def test_a_stale_entry_that_cannot_be_deleted_fails_no_commit(gas: Gas, root: Path) -> None:
    stuck = root / ".gas/labels" / ("0" * 40)
    stuck.mkdir()  # a folder: unlink refuses it
    (stuck / "inside").write_text("x")
    gas(root, "rm", "gone/1.jpg", "gone/2.jpg")
    gas(root, "commit", "-m", "gone")
    assert label_files(root) == recorded(root, "keep") | {stuck.name}
    assert gas(root, "status", "--porcelain").stdout == "\n"
