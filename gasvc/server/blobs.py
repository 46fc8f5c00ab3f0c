"""Blob stores: file contents by SHA-1. The directory store is the embedded default.

Bytes are hashed while they stream in, written to a temporary file, fsynced and renamed into
place only when their SHA-1 is the announced one: a blob that exists is always complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

from gasvc.errors import ChecksumMismatch, RequestTooLarge
from gasvc.model.names import check_checksum

CHUNK = 1024 * 1024
#: Temporary files older than this are leftovers of a killed upload and are removed at start.
STALE_TMP_SECONDS = 24 * 3600


class BlobStore(Protocol):
    def has(self, checksum: str) -> bool: ...

    def size(self, checksum: str) -> int | None: ...

    def path(self, checksum: str) -> Path: ...

    def read(self, checksum: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...

    async def receive(
        self, checksum: str, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> int: ...


class DirectoryBlobStore:
    """Blobs at `root/ab/cdef…`; temporary files in `root/tmp`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self._remove_stale_tmp()

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
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
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
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
            _fsync_dir(target.parent)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return size


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: fsync the directory that holds the new name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
