"""Timing a child process: wall time and its own peak RSS; medians; HTTP requests from a log.

Peak RSS: on Linux a new process's `ru_maxrss` starts from the RSS of the process that forked
it (exec keeps the higher-water mark), so a child forked straight from this big benchmark process
would show this process's size. Each command is therefore started by a tiny launcher (`python -I
-S`, ~8 MB): it spawns the command, waits for it with `wait4` (which gives exactly that child's
peak RSS, its reaped children included) and reports the time and the peak. Figures under the
launcher's own size (see `launcher_floor_mb`) read as that size.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: One uvicorn access-log line: `INFO:     127.0.0.1:4711 - "GET /path HTTP/1.1" 200 OK`.
ACCESS_LINE = re.compile(rb'"[A-Z]+ \S+ HTTP/[0-9.]+" \d{3}')
LAUNCHER = """
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(out, "w") as f:
    f.write(f"{seconds!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


class CommandFailed(RuntimeError):
    pass


@dataclass
class Done:
    """A finished child: what it printed, how long it took, its peak RSS."""

    argv: list[str]
    returncode: int
    seconds: float
    rss_mb: float
    stdout: str
    stderr: str


def run(argv: Sequence[str], cwd: Path, env: Mapping[str, str], check: bool = True,
        timeout: float = 3600.0) -> Done:
    """Run `argv` to completion through the launcher; its time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as result:
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, result.name, *argv]
        proc = subprocess.Popen(launcher, cwd=cwd, env=dict(env), stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise CommandFailed(f"{' '.join(argv)} timed out after {timeout:.0f} s") from None
        out.seek(0)
        err.seek(0)
        stdout, stderr = (out.read().decode(errors="replace"),
                          err.read().decode(errors="replace"))
        figures = result.read().split()
    if proc.returncode != 0 or len(figures) != 3:
        raise CommandFailed(f"could not run {' '.join(argv)}: {stderr[-3000:]}")
    done = Done(list(argv), int(figures[2]), float(figures[0]), int(figures[1]) / 1024,
                stdout, stderr)
    if check and done.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} (in {cwd}) exited {done.returncode}:\n"
                            f"{stdout[-3000:]}\n{stderr[-3000:]}")
    return done


#: Where `discard` moves folders (None: they are deleted at once).
_trash: list[Path] = []


def use_trash(folder: Path) -> None:
    """Move what `discard` is given into `folder` until `empty_trash`, instead of deleting it.

    ext4 does not reuse an inode freed in the last 60–300 s: allocating one scans past every
    such inode (`recently_deleted` under `ext4_create`, by `perf`). Right after 100,000 files
    are deleted, creating 100,000 new ones therefore costs far more: 1.3 s of system time on a
    quiet file system, 6–11 s after one to three rounds of delete-and-rewrite, measured here.
    Deleting between timed runs charged that to whichever tool ran next (the same command's
    times varied 2–3 ×); nothing is deleted until the figures are taken."""
    folder.mkdir(parents=True, exist_ok=True)
    _trash[:] = [folder]


def discard(path: Path) -> None:
    """Remove `path` (a folder or file) from where it is: into the trash, if there is one."""
    if not path.exists() and not path.is_symlink():
        return
    if not _trash:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return
    os.rename(path, _trash[0] / f"{len(os.listdir(_trash[0]))}-{path.name}")


def empty_trash() -> None:
    if _trash:
        shutil.rmtree(_trash.pop(), ignore_errors=True)


def launcher_floor_mb() -> float:
    """The peak RSS the launcher reports for a command that uses next to nothing."""
    return run(["true"], Path.cwd(), os.environ).rss_mb


@dataclass
class Measure:
    """One tool's samples for one operation: seconds, peak RSS, HTTP requests (when counted)."""

    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)

    def add(self, *done: Done, requests: int | None = None) -> None:
        """One sample: the sum of `done`'s times (e.g. add + commit), their highest RSS."""
        self.seconds.append(sum(d.seconds for d in done))
        self.rss_mb.append(max(d.rss_mb for d in done))
        if requests is not None:
            self.requests.append(requests)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss(self) -> float:
        return max(self.rss_mb)


class AccessLog:
    """Counts the requests a server logged (one access-log line each) since `mark()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = 0

    def _count(self) -> int:
        return len(ACCESS_LINE.findall(self.path.read_bytes())) if self.path.exists() else 0

    def mark(self) -> None:
        self.start = self.settled()

    def settled(self) -> int:
        """The count once the server has logged its last answer (lines land just after it)."""
        count = self._count()
        while True:
            time.sleep(0.15)
            again = self._count()
            if again == count:
                return count
            count = again

    def since_mark(self) -> int:
        return self.settled() - self.start
