"""The world of tests/test_status_props.py: a workspace whose files are written with chosen stats,
the oracle (a copy of the workspace with every cache of status and add dropped), and two ways
to run gas on either: the library in-process (`Workspace`, opened per command as the `gas`
command opens it) and the real `gas` command (tests/gascli.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

from gascli import Gas

from gasvc.cli.render import status_porcelain
from gasvc.errors import GasError
from gasvc.workspace.facade import Workspace
from gasvc.workspace.worktree import folders, labeldelta, scan
from gasvc.workspace.worktree.maskfiles import CLEAN_KEY
from gasvc.workspace.worktree.pathspec import EVERYTHING, parse_pathspec

#: mtimes the test gives files: far in the past (trusted by any check), each later than the
#: last or earlier than all ("older": a file put back with an old mtime), on whole seconds (the
#: coarse racy window), or ahead of the clock (within the racy window of every check: a stat
#: taken of such a file is never trusted later, so a same-size rewrite keeping it must show).
PAST_NS = 1_500_000_000 * 10**9
SECONDS_NS = 1_400_000_000 * 10**9
FUTURE_NS = (time.time_ns() // 10**9 + 30 * 86_400) * 10**9

#: How a write stamps the file: a fresh mtime of one of the three kinds (the file rewritten in
#: place or replaced), or its current mtime kept (the file replaced: a new inode; or rewritten
#: in place, which only a racy mtime allows: a trusted stat of the same size, mtime and inode
#: cannot tell the new bytes from the old, for git as for gas).
STAMPS = ("past", "older", "seconds", "racy", "keep-replaced", "keep-in-place")


class Disk:
    """Writes into a workspace. Replaced and deleted files are hard-linked into `grave` first,
    so that no inode is reused while the example runs (a new file with an old file's inode,
    size and mtime would be a change no stat shows)."""

    def __init__(self, root: Path, grave: Path) -> None:
        self.root, self.grave = root, grave
        grave.mkdir(parents=True, exist_ok=True)
        self.clock = 0

    def _bury(self, path: Path) -> None:
        self.clock += 1
        os.link(path, self.grave / str(self.clock))

    def write(self, rel: str, data: bytes, stamp: str, in_place: bool = False) -> None:
        path = self.root / rel
        exists = path.is_file()
        mtime = path.stat().st_mtime_ns if exists else 0
        if stamp.startswith("keep") and not exists:
            stamp = "past"
        if stamp == "keep-in-place" and mtime < FUTURE_NS:
            stamp = "keep-replaced"
        if not stamp.startswith("keep"):
            self.clock += 1
            mtime = {"past": PAST_NS + self.clock * 1_000_003,
                     "older": PAST_NS - self.clock * 1_000_003,
                     "seconds": SECONDS_NS + self.clock * 10**9,
                     "racy": FUTURE_NS + self.clock * 1_000_003}[stamp]
        if exists and (stamp == "keep-in-place" or (in_place and stamp != "keep-replaced")):
            with open(path, "r+b") as handle:
                handle.truncate(0)
                handle.write(data)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.clock += 1
            temp = self.grave / f"new-{self.clock}"
            temp.write_bytes(data)
            if exists:
                self._bury(path)
            os.replace(temp, path)
        os.utime(path, ns=(mtime, mtime))

    def touch(self, rel: str, racy: bool) -> None:
        self.clock += 1
        mtime = (FUTURE_NS if racy else PAST_NS) + self.clock * 1_000_003
        os.utime(self.root / rel, ns=(mtime, mtime))

    def delete(self, rel: str) -> None:
        path = self.root / rel
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file():
                    self._bury(file)
            shutil.rmtree(path)
        elif path.exists():
            self._bury(path)
            path.unlink()

    def rename(self, source: str, target: str) -> None:
        self.delete(target)
        (self.root / target).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / source, self.root / target)


#: The records of what earlier commands found, and the stat cache: all dropped in the oracle.
DROP_CACHES = f"""
DELETE FROM folders; DELETE FROM label_lines; DELETE FROM mask_refs;
DELETE FROM meta WHERE key IN ('{folders.RULES_KEY}', '{CLEAN_KEY}');
UPDATE entries SET mtime_ns = 0, ino = 0;
UPDATE segments SET meta_mtime_ns = 0, meta_size = -1, meta_ino = 0;
UPDATE masks SET mtime_ns = 0, ino = 0;
"""


def from_scratch(root: Path, copy: Path) -> Path:
    """A copy of the workspace `root` (no command may have it open) without any cache: its
    status and add compare every file and read every label line."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True)
    db = sqlite3.connect(copy / ".gas" / "state.sqlite", isolation_level=None)
    try:
        db.executescript(DROP_CACHES)
    finally:
        db.close()
    return copy


def index_rows(root: Path) -> list[tuple[object, ...]]:
    """The index as the commands left it, without its stat cache; the segments."""
    db = sqlite3.connect(root / ".gas" / "state.sqlite")
    try:
        return [*db.execute("SELECT segment, path, head_sum, head_size, head_label, sum, size,"
                            " label FROM entries ORDER BY 1, 2"),
                *db.execute("SELECT name, in_head, staged FROM segments ORDER BY 1")]
    finally:
        db.close()


class Outcome(NamedTuple):
    """What a command did: `error` (None if it worked) and what it said."""

    error: str | None
    said: object


COMMIT_DATE = 1_700_000_000


class Library:
    """The commands through `gasvc.workspace.facade.Workspace`, opened per command."""

    def status(self, root: Path, ignored: bool = False) -> Outcome:
        try:
            with Workspace.open(root) as ws:
                return Outcome(None, status_porcelain(ws.status(ignored)))
        except GasError as error:
            return Outcome(type(error).__name__, (error.message, error.hint))

    def add(self, root: Path, spec: str | None) -> Outcome:
        try:
            with Workspace.open(root) as ws:
                specs = [EVERYTHING if spec is None else parse_pathspec(spec, root)]
                result = ws.add(specs)
                return Outcome(None, (result.removed, result.dropped))
        except GasError as error:
            return Outcome(type(error).__name__, (error.message, error.hint))

    def commit(self, root: Path, all_tracked: bool, number: int) -> Outcome:
        try:
            with Workspace.open(root) as ws:
                result = ws.commit(f"change {number}", "tester", COMMIT_DATE + number,
                                   all_tracked)
                return Outcome(None, (result.commit.id, result.changes, result.dropped))
        except GasError as error:
            return Outcome(type(error).__name__, (error.message, error.hint))


class Command:
    """The commands through the real `gas` command; `error` is its exit code."""

    def __init__(self, home: Path) -> None:
        self.gas = Gas(home)

    def _run(self, root: Path, *args: str, **env: str) -> Outcome:
        done = self.gas(root, *args, check=False, **env)
        assert "Traceback" not in done.stderr, done.stderr
        said = [x for x in done.stdout.splitlines() if x] if args[0] == "status" else done.stdout
        return Outcome(str(done.returncode) if done.returncode else None, (said, done.stderr))

    def status(self, root: Path, ignored: bool = False) -> Outcome:
        return self._run(root, "status", "--porcelain", *(["--ignored"] if ignored else []))

    def add(self, root: Path, spec: str | None) -> Outcome:
        return self._run(root, "add", "-A" if spec is None else spec)

    def commit(self, root: Path, all_tracked: bool, number: int) -> Outcome:
        return self._run(root, "commit", "-m", f"change {number}", *(["-a"] if all_tracked
                                                                     else []),
                         GAS_COMMIT_DATE=str(COMMIT_DATE + number))


Runner = Library | Command

#: The two implementations of the folder listings and label-line alignment (scan.py and
#: labeldelta.py pick the native ones when built).
NATIVE = (scan.list_dir, scan.list_dir_unless, scan.rows_digest, scan.list_folders,
          scan.pack_rows, scan._native_differing, labeldelta._aligned_lines)
PYTHON = (scan.py_list_dir, scan.py_list_dir_unless, scan.py_rows_digest, scan.py_list_folders,
          scan.py_pack_rows, scan._no_native_differing, labeldelta.py_aligned_lines)


def use_listing(python: bool) -> None:
    """Select the implementation, as scan.py and labeldelta.py do at import (not built:
    Python), in every module that took a name of them."""
    (scan.list_dir, scan.list_dir_unless, scan.rows_digest, scan.list_folders, scan.pack_rows,
     scan._native_differing, labeldelta._aligned_lines) = PYTHON if python else NATIVE
    folders.list_folders, folders.pack_rows = scan.list_folders, scan.pack_rows
