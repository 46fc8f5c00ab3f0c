"""The checks of tests/test_status_props.py: a workspace in a temp folder, the files a change can
pick, and each command run on the workspace and on its copy from scratch (statusworld.py),
compared, and compared with the model (statusmodel.py), which then follows the command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from statusmodel import IGNORE_FILE, METADATA, SEGMENTS, Expected, Model, Working
from statusworld import Disk, Library, Outcome, Runner, from_scratch, index_rows, use_listing

NAMES = ("a.jpg", "a", "a-b.jpg", "b.jpg", "c.tmp", "keep.tmp", "z.png", "sub")
FOLDERS = ("", "a/", "sub/", "sub/inner/", "scratch/")
#: ignore lines; some of one length, so that a line changed in place keeps the file's size
IGNORE_LINES = ("*.tmp", "*.png", "b.jpg", "!keep.tmp", "!b.jpg", "scratch/", "sub/", "a/",
                "# note", "")
#: labels; the categories have one length, so a label changed in place keeps the file's size
LABELS = ({"CLASSIFICATION": {"category": "cat"}}, {"CLASSIFICATION": {"category": "dog"}},
          {"CLASSIFICATION": {"category": "owl"}}, {"CLASSIFICATION": {"category": "horse"}}, {})


def line(path: str, label: dict[str, object], style: int) -> str:
    """A `metadata.jsonl` line: as gas writes it (0), or the same in other JSON spellings: keys
    in another order with spaces (1), the category's first letter escaped (2)."""
    text = json.dumps({"file_name": path, "label": label}, separators=(",", ":"),
                      sort_keys=True)
    if style == 1:
        return json.dumps({"label": label, "file_name": path})
    found = re.search('"category":"(.)', text)
    if style == 2 and found:
        return text.replace(found.group(0), f'"category":"\\u{ord(found.group(1)):04x}', 1)
    return text


def respelled(raw: str, style: int) -> str:
    """The line spelled in `style`, if it is one that can be read."""
    try:
        item = json.loads(raw)
    except ValueError:
        return raw
    return line(item["file_name"], item.get("label", {}), style)


def named(raw: str) -> str | None:
    """The path a line labels (None: a blank line, or one that cannot be read)."""
    try:
        return str(json.loads(raw)["file_name"]) if raw.strip() else None
    except ValueError:
        return None


class CheckedWorkspace:
    """A workspace, its model, and the commands checked on it (a base of the state machine)."""

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="gas-props-"))
        self.root = self.base / "ws"
        self.disk = Disk(self.root, self.base / "grave")
        self.model = Model()
        self.runner: Runner = self.make_runner()
        self.commits = self.checks = 0
        self.started = False
        self.agreed = True  # false while a check runs: it failed if it stays so

    def make_runner(self) -> Runner:
        return Library()

    def close(self) -> None:
        """The last check (unless a step failed), then the temp folder removed."""
        try:
            if self.started and self.agreed:
                self.check_status(False)
        finally:
            use_listing(False)
            shutil.rmtree(self.base, ignore_errors=True)

    # what is there ------------------------------------------------------------------------
    def files(self, segment: str | None = None) -> list[str]:
        """Data files (not `metadata.jsonl` at a segment's top, not `.gasignore`)."""
        return [path for path, _ in self._entries(segment) if path is not None]

    def folders(self) -> list[str]:
        """Sub-folders of the segments ("train/sub")."""
        return [folder for _, folder in self._entries(None) if folder is not None]

    def _entries(self, only: str | None) -> list[tuple[str | None, str | None]]:
        found: list[tuple[str | None, str | None]] = []
        for segment in SEGMENTS if only is None else (only,):
            for folder, subfolders, names in sorted(os.walk(self.root / segment)):
                base = Path(folder).relative_to(self.root).as_posix()
                found += [(None, f"{base}/{sub}") for sub in sorted(subfolders)]
                found += [(f"{base}/{name}", None) for name in sorted(names)
                          if name != IGNORE_FILE and (base, name) != (segment, METADATA)]
        return found

    def free(self, rel: str) -> bool:
        """Whether a file can be written at `rel`: no folder there, no file above it."""
        parts = rel.split("/")
        return not (self.root / rel).is_dir() and not any(
            (self.root / "/".join(parts[:depth])).is_file() for depth in range(2, len(parts)))

    # checks -------------------------------------------------------------------------------------
    def oracle(self) -> Path:
        """A new copy (a new path: nothing a process keeps by path is shared with earlier
        ones)."""
        self.checks += 1
        shutil.rmtree(self.base / f"oracle-{self.checks - 1}", ignore_errors=True)
        return from_scratch(self.root, self.base / f"oracle-{self.checks}")

    def check_status(self, ignored: bool) -> None:
        self.agreed = False
        oracle = self.oracle()
        found = self.runner.status(self.root, ignored)
        assert found == self.runner.status(oracle, ignored)
        self.agrees(found, self.model.status(Working.read(self.root)))
        if found.error is None:
            shown = {x for x in said_lines(found) if not x.startswith("!! ")}
            assert shown == self.model.status(Working.read(self.root)).lines
        self.agreed = True

    def check_add(self, spec: str | None) -> None:
        self.agreed = False
        before = Working.read(self.root)
        expected = self.model.add(before, spec)
        oracle = self.oracle()
        found = self.runner.add(self.root, spec)
        assert found == self.runner.add(oracle, spec)
        self.same_state(oracle)
        self.agrees(found, expected)
        if found.error is None:
            self.model.stage(expected.index)
            self.labels_kept(before, expected.dropped)
        self.agreed = True

    def check_commit(self, all_tracked: bool, first: bool = False) -> None:
        """`first`: the segments are committed too (there is something to commit)."""
        self.agreed = False
        before = Working.read(self.root)
        staged = self.model.add(before, None, tracked_only=True) if all_tracked else Expected(
            index=self.model.index)
        self.commits += 1
        oracle = self.oracle()
        found = self.runner.commit(self.root, all_tracked, self.commits)
        assert found == self.runner.commit(oracle, all_tracked, self.commits)
        self.same_state(oracle)
        if staged.error is None:  # staged, even if there is nothing to commit then
            self.model.stage(staged.index)
            self.labels_kept(before, staged.dropped)
            if staged.index == self.model.head and not first:
                staged.error = "NothingToCommit"
        self.agrees(found, staged)
        if found.error is None:
            self.model.commit()
        self.agreed = True

    def same_state(self, oracle: Path) -> None:
        """The index and the label files the command left: as from scratch."""
        assert index_rows(self.root) == index_rows(oracle)
        for segment in SEGMENTS:
            mine, theirs = self.root / segment / METADATA, oracle / segment / METADATA
            assert (mine.read_bytes() if mine.exists() else None) == (
                theirs.read_bytes() if theirs.exists() else None)

    def agrees(self, found: Outcome, expected: Expected) -> None:
        """The command failed as the model says (the same error, through the library)."""
        if isinstance(self.runner, Library):
            assert found.error == expected.error, found
        else:
            assert (found.error is None) == (expected.error is None), found

    def labels_kept(self, before: Working, dropped: set[str]) -> None:
        """A rewritten `metadata.jsonl` lost only the lines of the deletions staged."""
        after = Working.read(self.root)
        assert {p: x for p, x in after.labels.items() if x} == {
            p: x for p, x in before.labels.items() if x and p not in dropped}


def said_lines(outcome: Outcome) -> list[str]:
    said = outcome.said
    assert isinstance(said, (list, tuple))
    lines = said[0] if said and isinstance(said[0], list) else said
    return [str(x) for x in lines]
