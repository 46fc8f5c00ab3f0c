"""Blob stores: file contents by SHA-1. The directory store is the embedded default; an S3
bucket (s3blobs.py) serves several instances.

Bytes are hashed while they stream in, written to a temporary file, fsynced and renamed into
place only when their SHA-1 is the announced one: a blob that exists is always complete. The
small files of a batch upload are packed together instead (packs.py), with the same guarantee.
Hashing, writing and syncing run in worker threads, in pieces of about 1 MiB, so that the
server's event loop never waits for the disk (the writers and a batch: blobwriters.py).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from gasvc.model.names import check_checksum
from gasvc.server.blobwriters import CHUNK, BufferedWriter, DirectoryBatch, HashingWriter
from gasvc.server.durable import GroupSync, fsync_dir
from gasvc.server.packs import PackIndex

#: Temporary files older than this are leftovers of a killed upload and are removed at start.
STALE_TMP_SECONDS = 24 * 3600


class BlobWriter(Protocol):
    def write(self, data: bytes | memoryview) -> None: ...

    def finish(self) -> int:
        """Check the bytes written against the announced checksum; returns the size."""


class BlobBatch(Protocol):
    """Many blobs received together, made durable and visible by one `commit()`."""

    def add(self, checksum: str, max_bytes: int) -> BlobWriter: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    """File contents by SHA-1: the folder (`DirectoryBlobStore`) or an S3 bucket
    (`gasvc.server.s3blobs.S3BlobStore`)."""

    #: Whether `download_url` gives URLs served without this server (the object store's).
    direct_downloads: bool

    def has(self, checksum: str) -> bool: ...

    def size(self, checksum: str) -> int | None: ...

    def download_url(self, checksum: str, expires: int) -> str | None:
        """A URL that serves the blob until `expires` (Unix time) without this server, or
        None: the server serves it itself, at its signed storage URL."""

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...

    def sizes(self, checksums: list[str]) -> list[int | None]:
        """`size` of each."""

    def read_sized(self, blobs: list[tuple[str, int]]) -> Iterator[Iterator[bytes]]:
        """The bytes of each (checksum, size) in turn, as `read` gives them (each must exist)."""

    async def receive(
        self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> int: ...

    def batch(self) -> BlobBatch: ...

    def sweep_tmp(self, max_age: float) -> int:
        """Remove temporary files older than `max_age` seconds that no upload holds."""


class DirectoryBlobStore:
    """Blobs at `root/ab/cdef…`, or packed with others (packs.py: the small blobs of batch
    uploads); temporary files in `root/tmp`."""

    direct_downloads = False  # the server's storage route serves them

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = str(root)
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self._tmp_names = itertools.count()
        self._pid = os.getpid()  # in temporary names (a clash is skipped: O_EXCL)
        self._folders: set[str] = set()  # fan-out folders known to exist
        self._held: set[str] = set()  # temporary files of uploads in progress
        self.syncs = GroupSync(root)
        self.packs = PackIndex(root)
        self._remove_stale_tmp()

    def new_tmp(self) -> tuple[int, str]:
        """A new, empty temporary file: (fd, path), named by this process and a counter; held
        (safe from `sweep_tmp`) until it is placed or released."""
        while True:
            name = os.path.join(self._root, "tmp", f"{self._pid}-{next(self._tmp_names)}")
            try:
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:  # a leftover of an earlier process with our pid
                continue
            self._held.add(name)
            return fd, name

    def release_tmp(self, tmp: str) -> None:
        """Remove a temporary file that will not become a blob."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        self._held.discard(tmp)

    def place(self, tmp: str, checksum: str) -> None:
        """Rename a verified temporary file to its blob path (fan-out folder made once)."""
        folder = os.path.join(self.root, checksum[:2])
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        os.replace(tmp, os.path.join(folder, checksum[2:]))
        self._held.discard(tmp)

    def _remove_stale_tmp(self) -> None:
        """Drop temporary files and packs a killed server left; fresh ones may be another
        instance's."""
        self.sweep_tmp(STALE_TMP_SECONDS)

    def sweep_tmp(self, max_age: float) -> int:
        """Remove temporary files and packs not written to for `max_age` seconds that no
        upload of this process holds (leftovers of killed servers and abandoned uploads; packs
        that were recorded stay)."""
        cutoff, removed = time.time() - max_age, self.packs.sweep(max_age)
        for leftover in (self.root / "tmp").iterdir():
            if str(leftover) in self._held:
                continue
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed

    def download_url(self, checksum: str, expires: int) -> str | None:
        return None  # served by the server's storage route

    def path(self, checksum: str) -> Path:
        check_checksum(checksum)
        return self.root / checksum[:2] / checksum[2:]

    def has(self, checksum: str) -> bool:
        return self.size(checksum) is not None

    def size(self, checksum: str) -> int | None:
        size = self._loose_size(check_checksum(checksum))
        if size is None:
            packed = self.packs.locate(checksum)
            return None if packed is None else packed[2]
        return size

    def _loose_size(self, checksum: str) -> int | None:
        """The size of a (valid) blob id's own file, if it has one."""
        try:
            return os.stat(self.loose_file(checksum)).st_size
        except FileNotFoundError:
            return None

    def loose_file(self, checksum: str) -> str:
        """A (valid) blob id's path as a string: no `Path` objects once a file."""
        return os.path.join(self._root, checksum[:2], checksum[2:])

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) of a blob, in chunks (a raw descriptor: a download of many small
        blobs opens one each)."""
        fd, base, size = self._open(checksum)
        try:
            yield from _pread(fd, base + start, base + (size if end is None else min(end, size)))
        finally:
            os.close(fd)

    def sizes(self, checksums: list[str]) -> list[int | None]:
        """`size` of many: the packed ones found in one query, the others by `stat`."""
        packed = self.packs.locate_many([check_checksum(c) for c in checksums])
        return [packed[c][2] if c in packed else self._loose_size(c) for c in checksums]

    def read_sized(self, blobs: list[tuple[str, int]]) -> Iterator[Iterator[bytes]]:
        """Each blob's bytes in turn: the packed ones found in one query and read from their
        pack, opened once for the blobs of it that come one after another."""
        packed = self.packs.locate_many([check_checksum(c) for c, _ in blobs])
        fd, path = -1, ""
        try:
            for checksum, size in blobs:
                if checksum not in packed:
                    yield self.read(checksum, 0, size)
                    continue
                pack, offset, stored = packed[checksum]
                if pack != path:
                    if fd >= 0:
                        os.close(fd)
                        fd = -1
                    fd, path = os.open(pack, os.O_RDONLY), pack
                yield _pread(fd, offset, offset + min(size, stored))
        finally:
            if fd >= 0:
                os.close(fd)

    def _open(self, checksum: str) -> tuple[int, int, int]:
        """(descriptor, offset, size) of a blob: its own file, or the pack that holds it."""
        try:
            fd = os.open(self.loose_file(check_checksum(checksum)), os.O_RDONLY)
        except FileNotFoundError:
            packed = self.packs.locate(checksum)
            if packed is None:
                raise
            pack, offset, size = packed
            return os.open(pack, os.O_RDONLY), offset, size
        try:
            return fd, 0, os.fstat(fd).st_size
        except BaseException:
            os.close(fd)
            raise

    async def receive(self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store streamed bytes as `checksum`; refuse them when their SHA-1 differs."""
        self.path(checksum)  # a bad id is refused before a byte is read
        writer = HashingWriter(self, checksum, max_bytes)  # no I/O until bytes come
        try:
            buffered = BufferedWriter(writer, max_bytes)
            async for chunk in chunks:
                await buffered.write(chunk)
            await buffered.flush()
            return await run_in_threadpool(self._keep, writer)
        finally:
            writer.discard()

    def _keep(self, writer: HashingWriter) -> int:
        """Sync a verified single upload and rename it into place."""
        size = writer.verify()
        writer.spill()
        writer.close(sync=True)
        if writer.tmp is not None:
            self.place(writer.tmp, writer.checksum)
            writer.tmp = None
            fsync_dir(self.path(writer.checksum).parent)
        return size

    def batch(self) -> DirectoryBatch:
        return DirectoryBatch(self)


def _pread(fd: int, start: int, stop: int) -> Iterator[bytes]:
    """Bytes [start, stop) of an open file, in chunks of at most `CHUNK`."""
    while start < stop:
        chunk = os.pread(fd, min(CHUNK, stop - start), start)
        if not chunk:
            return
        start += len(chunk)
        yield chunk
