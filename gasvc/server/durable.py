"""Making bytes durable: writes in one call, a directory's new names synced, and syncs of a
whole file system shared by the threads that need one at once."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from pathlib import Path
from typing import Any


def write_all(fd: int, pieces: list[bytes | memoryview]) -> int:
    """Write `pieces` in order, in one call as a rule; returns their size."""
    view = memoryview(pieces[0] if len(pieces) == 1 else b"".join(pieces))
    size = len(view)
    while view:
        view = view[os.write(fd, view):]
    return size


def fsync_dir(path: Path) -> None:
    """Make a new name in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupSync:
    """Syncs of one file system shared by the threads that need one at once: `sync()` returns
    once a sync that started after it was called has finished (so it covers every write made
    before the call), starting one unless one is running; those who arrive while one runs wait
    for the next, which one of them starts for all. Concurrent batches of a push then cost a
    sync or two together, not two each, and their renames do not queue behind each other's
    journal flushes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._started = 0  # syncs started
        self._finished = 0  # the number of the last sync finished
        self._running = False

    def sync(self) -> None:
        with self._cond:
            needed = self._started + 1  # a sync that starts from now on
            while self._finished < needed:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                self._started += 1
                number = self._started
                self._cond.release()
                synced = False
                try:
                    sync_filesystem(self.path)
                    synced = True
                finally:  # a failed sync counts for no one: the next waiter tries again
                    self._cond.acquire()
                    self._running = False
                    if synced:
                        self._finished = max(self._finished, number)
                    self._cond.notify_all()


def sync_filesystem(path: Path) -> None:
    """Flush the file system holding `path` in one call (syncfs where there is one)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _LIBC is None or _LIBC.syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _load_libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc() if sys.platform.startswith("linux") else None
