"""Blob stores: file contents by SHA-1. The directory store is the embedded default.

Bytes are hashed while they stream in, written to a temporary file, fsynced and renamed into
place only when their SHA-1 is the announced one: a blob that exists is always complete.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import itertools
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol

from gasvc.errors import ChecksumMismatch, RequestTooLarge
from gasvc.model.names import check_checksum

CHUNK = 1024 * 1024
#: Temporary files older than this are leftovers of a killed upload and are removed at start.
STALE_TMP_SECONDS = 24 * 3600


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    def finish(self) -> int:
        """Check the bytes written against the announced checksum; returns the size."""


class BlobBatch(Protocol):
    """Many blobs received together, made durable and visible by one `commit()`."""

    def add(self, checksum: str, max_bytes: int) -> BlobWriter: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def has(self, checksum: str) -> bool: ...

    def size(self, checksum: str) -> int | None: ...

    def path(self, checksum: str) -> Path: ...

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...

    async def receive(
        self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> int: ...

    def batch(self) -> BlobBatch: ...


class DirectoryBlobStore:
    """Blobs at `root/ab/cdef…`; temporary files in `root/tmp`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self._remove_stale_tmp()
        self._tmp_names = itertools.count()
        self._folders: set[str] = set()  # fan-out folders known to exist

    def new_tmp(self) -> tuple[int, str]:
        """A new, empty temporary file: (fd, path), named by this process and a counter."""
        while True:
            name = os.path.join(self.root, "tmp", f"{os.getpid()}-{next(self._tmp_names)}")
            try:
                return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), name
            except FileExistsError:  # a leftover of an earlier process with our pid
                continue

    def place(self, tmp: str, checksum: str) -> None:
        """Rename a verified temporary file to its blob path (fan-out folder made once)."""
        folder = os.path.join(self.root, checksum[:2])
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        os.replace(tmp, os.path.join(folder, checksum[2:]))

    def _remove_stale_tmp(self) -> None:
        """Drop temporary files a killed server left; fresh ones may be another instance's."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for leftover in (self.root / "tmp").iterdir():
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def path(self, checksum: str) -> Path:
        check_checksum(checksum)
        return self.root / checksum[:2] / checksum[2:]

    def has(self, checksum: str) -> bool:
        return self.path(checksum).is_file()

    def size(self, checksum: str) -> int | None:
        try:
            return self.path(checksum).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) of a blob, in chunks."""
        with self.path(checksum).open("rb") as handle:
            handle.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def receive(self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed bytes as `checksum`; refuse them when their SHA-1 differs."""
        target = self.path(checksum)
        digest, size = hashlib.sha1(), 0
        fd, tmp_name = self.new_tmp()
        try:
            with os.fdopen(fd, "wb") as tmp:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise RequestTooLarge(f"upload is larger than {max_bytes} bytes")
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            if digest.hexdigest() != checksum:
                raise ChecksumMismatch(
                    f"uploaded bytes have SHA-1 {digest.hexdigest()}, not {checksum}",
                    "upload the file again; it may have changed while it was read",
                )
            self.place(tmp_name, checksum)
            _fsync_dir(target.parent)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return size


    def batch(self) -> DirectoryBatch:
        return DirectoryBatch(self)


class _Writer:
    """Hashes bytes while writing them to a temporary file (or only hashes, for a known blob)."""

    def __init__(self, batch: DirectoryBatch, checksum: str, max_bytes: int) -> None:
        self.batch, self.checksum, self.max_bytes = batch, checksum, max_bytes
        self.digest, self.size = hashlib.sha1(), 0
        self.tmp: str | None = None
        self.fd: int | None = None
        if not os.path.isfile(batch.store.path(checksum)):
            self.fd, self.tmp = batch.store.new_tmp()
        batch.writers.append(self)

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise RequestTooLarge(f"{self.checksum} is larger than {self.max_bytes} bytes")
        self.digest.update(data)
        if self.fd is not None:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]

    def _close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        self._close()
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)

    def finish(self) -> int:
        self._close()
        if self.digest.hexdigest() != self.checksum:
            raise ChecksumMismatch(
                f"uploaded bytes have SHA-1 {self.digest.hexdigest()}, not {self.checksum}",
                "upload the file again; it may have changed while it was read",
            )
        if self.tmp is not None:
            self.batch.ready.append(self)
        return self.size


class DirectoryBatch:
    """Temporary files, synced once and then renamed into place by `commit()`."""

    def __init__(self, store: DirectoryBlobStore) -> None:
        self.store = store
        self.writers: list[_Writer] = []
        self.ready: list[_Writer] = []

    def add(self, checksum: str, max_bytes: int) -> _Writer:
        return _Writer(self, checksum, max_bytes)

    def commit(self) -> None:
        """Make every verified blob durable, then visible: sync, rename, sync the renames."""
        if not self.ready:
            return
        sync_filesystem(self.store.root)
        for writer in self.ready:
            assert writer.tmp is not None
            self.store.place(writer.tmp, writer.checksum)
            writer.tmp = None
        sync_filesystem(self.store.root)
        self.ready.clear()

    def abort(self) -> None:
        for writer in self.writers:
            writer.discard()


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


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: fsync the directory that holds the new name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
