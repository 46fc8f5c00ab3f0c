"""The receiving side of the blob stores (blobs.py): the folder store's writers, which hash
bytes as they come, and its batches, whose blobs are made durable and visible together; and the
hand-off of bytes to worker threads that both stores use (`BufferedWriter`).

A blob of up to `SMALL_BLOB` bytes is held in memory until it is whole and verified, then
packed (a batch's, packs.py) or written in one call; a larger one streams into a temporary file
renamed into place once verified. `BufferedWriter` hands the bytes to worker threads in pieces
of about `CHUNK`, so that the server's event loop never waits for the disk.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from gasvc.errors import ChecksumMismatch, RequestTooLarge
from gasvc.model.names import check_checksum
from gasvc.server.durable import write_all
from gasvc.server.packs import PackWriter

if TYPE_CHECKING:
    from gasvc.server.blobs import BlobWriter, DirectoryBlobStore

CHUNK = 1024 * 1024
#: Blobs up to this size are held until verified, then packed (a batch's) or written whole.
SMALL_BLOB = 64 * 1024


def grown(size: int, data: bytes | memoryview, checksum: str, max_bytes: int) -> int:
    """A blob's size so far with `data`, refused past the server's limit."""
    size += len(data)
    if size > max_bytes:
        raise RequestTooLarge(f"{checksum} is larger than the server's limit of {max_bytes}"
                              " bytes", "raise the server's --max-upload-bytes to store larger"
                              " files")
    return size


class HashingWriter:
    """Hashes bytes while writing them to a temporary file (or only hashes, for a known blob).

    The bytes of a blob of up to `SMALL_BLOB` bytes are held until it is whole and verified,
    then appended to the batch's pack (`_Packed`) or, uploaded alone, written in one call, without
    asking first whether the store has it (a rename over an identical blob is harmless; a blob
    packed twice keeps its first place); a file whose bytes do not match leaves nothing to
    remove. A larger blob is checked once, when it outgrows that: a known one is only hashed."""

    def __init__(self, store: DirectoryBlobStore, checksum: str, max_bytes: int) -> None:
        self.store, self.checksum, self.max_bytes = store, checksum, max_bytes
        self.digest, self.size = hashlib.sha1(), 0
        self.tmp: str | None = None
        self.fd: int | None = None
        #: the bytes so far of a blob not larger than SMALL_BLOB yet (None: past that)
        self.held: list[bytes | memoryview] | None = []
        self.ready = False

    def write(self, data: bytes | memoryview) -> None:
        self.size = grown(self.size, data, self.checksum, self.max_bytes)
        self.digest.update(data)
        if self.held is not None:
            self.held.append(data)
            if self.size <= SMALL_BLOB:
                return
            held, self.held = self.held, None
            if os.path.isfile(self.store.loose_file(check_checksum(self.checksum))):
                return  # known: only hashed from now on
            self.fd, self.tmp = self.store.new_tmp()
            write_all(self.fd, held)
        elif self.fd is not None:
            write_all(self.fd, [data])

    def spill(self) -> None:
        """Write the held bytes of a small blob to a new temporary file (left open)."""
        if self.held is not None:
            held, self.held = self.held, None
            self.fd, self.tmp = self.store.new_tmp()
            write_all(self.fd, held)

    def close(self, sync: bool = False) -> None:
        if self.fd is not None:
            if sync:
                os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        self.held = None
        self.close()
        if self.tmp is not None:
            self.store.release_tmp(self.tmp)
            self.tmp = None

    def verify(self) -> int:
        if self.digest.hexdigest() != self.checksum:
            raise ChecksumMismatch(
                f"uploaded bytes have SHA-1 {self.digest.hexdigest()}, not {self.checksum}",
                "upload the file again; it may have changed while it was read",
            )
        return self.size

    def finish(self) -> int:
        """Verify; a small blob's bytes stay held (for a pack), a larger one's file closed."""
        size = self.verify()
        self.close()
        self.ready = self.tmp is not None
        return size


class BufferedWriter:
    """Hands a blob writer's bytes to a worker thread in pieces of about `CHUNK` bytes;
    refuses them once the request's uploads (`before` bytes ahead of this one) pass
    `max_bytes`."""

    def __init__(self, writer: BlobWriter, max_bytes: int, before: int = 0) -> None:
        self.writer, self.max_bytes = writer, max_bytes
        self.pending = bytearray()
        self.size = before

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:  # refused as soon as the bytes arrive, not at a flush
            raise RequestTooLarge(f"the upload is larger than the server's limit of "
                                  f"{self.max_bytes} bytes",
                                  "raise the server's --max-upload-bytes to store larger files")
        self.pending += data
        if len(self.pending) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        if self.pending:
            data = bytes(self.pending)
            self.pending.clear()
            await run_in_threadpool(self.writer.write, data)

    async def finish(self) -> int:
        await self.flush()
        return await run_in_threadpool(self.writer.finish)


class DirectoryBatch:
    """Small blobs appended to one new pack as each is verified, larger ones in temporary
    files; `commit()` makes them durable, then visible: the pack synced and recorded, the
    temporary files synced at once and renamed into place (the renames synced)."""

    def __init__(self, store: DirectoryBlobStore) -> None:
        self.store = store
        self.pack = PackWriter(store.packs)
        self.writers: list[HashingWriter] = []

    def add(self, checksum: str, max_bytes: int) -> BlobWriter:
        writer = HashingWriter(self.store, checksum, max_bytes)
        self.writers.append(writer)
        return _Packed(writer, self.pack)

    def commit(self) -> None:
        self.pack.commit()
        ready = [writer for writer in self.writers if writer.ready and writer.tmp is not None]
        if not ready:
            return
        self.store.syncs.sync()
        for writer in ready:
            assert writer.tmp is not None
            self.store.place(writer.tmp, writer.checksum)
            writer.tmp = None
        self.store.syncs.sync()

    def abort(self) -> None:
        self.pack.abort()
        for writer in self.writers:
            writer.discard()


class _Packed:
    """A batch's blob writer: once verified, a small blob goes into the batch's pack."""

    def __init__(self, writer: HashingWriter, pack: PackWriter) -> None:
        self.writer, self.pack = writer, pack
        self.write = writer.write

    def finish(self) -> int:
        size = self.writer.finish()
        held, self.writer.held = self.writer.held, None
        if held is not None:
            self.pack.append(self.writer.checksum, held or [b""])
        return size
