"""`.gas/objects/`: the bytes of files added locally, by SHA-1, so that committed content that is
not yet on the server survives the user editing or deleting the file.

An object is written under a temporary name, then renamed to `ab/cdef…`: readers never see part
of an object, and its name is the SHA-1 of exactly the bytes written (read once, hashed as they
are copied). A file that fits the read buffer is hashed first and written as `ab/tmp-…` (never an
object's name) next to its object; a larger one is streamed into `tmp/`. Objects are not fsynced
one by one (see docs/workspace.md, "Nothing is lost").
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets

from gasvc.workspace.store.layout import READ_CHUNK, Layout


def has_object(layout: Layout, checksum: str) -> bool:
    return layout.object_path(checksum).is_file()


class ObjectStore:
    """Copies files into `.gas/objects/` for one command: the fan-out folders are listed once and
    temporary names come from a counter, so storing a small file costs 8 system calls (open,
    read, read to the end, close; create, write, close, rename). Not thread-safe."""

    def __init__(self, layout: Layout) -> None:
        self.root = str(layout.objects)
        self._folders: set[str] | None = None
        self._tag = f"tmp-{os.getpid()}-{secrets.token_hex(4)}-"
        self._count = 0
        self._buffer = bytearray(READ_CHUNK)

    def store(self, source: str, known: str | None = None) -> tuple[str, int]:
        """Copy the file at `source` into the store, hashing it once; returns (SHA-1, size).

        `known` is a checksum not to write (content the server already has).
        """
        fd = os.open(source, os.O_RDONLY)
        try:
            view, size = memoryview(self._buffer), 0
            while size < len(view):
                read = os.readv(fd, [view[size:]])
                if not read:
                    return self._store_small(view[:size], known)
                size += read
            return self._store_large(fd, view, known)
        finally:
            os.close(fd)

    def _store_small(self, data: memoryview, known: str | None) -> tuple[str, int]:
        """A file read whole: hashed first, then written straight into its fan-out folder."""
        checksum = hashlib.sha1(data).hexdigest()
        if checksum != known:
            folder = self._folder(checksum[:2])
            name, out = self._create(folder)
            try:
                try:
                    _write_all(out, data)
                finally:
                    os.close(out)
                os.replace(name, f"{folder}/{checksum[2:]}")
            except BaseException:
                _discard(name)
                raise
        return checksum, len(data)

    def _store_large(self, fd: int, first: memoryview, known: str | None) -> tuple[str, int]:
        """A file larger than the buffer: copied chunk by chunk into `tmp/` while hashed."""
        digest, size = hashlib.sha1(first), len(first)
        name, out = self._create(self._folder("tmp"))
        try:
            try:
                _write_all(out, first)
                view = memoryview(self._buffer)
                while read := os.readv(fd, [view]):
                    digest.update(view[:read])
                    _write_all(out, view[:read])
                    size += read
            finally:
                os.close(out)
            checksum = digest.hexdigest()
            if checksum == known:
                os.unlink(name)
            else:
                os.replace(name, f"{self._folder(checksum[:2])}/{checksum[2:]}")
        except BaseException:
            _discard(name)
            raise
        return checksum, size

    def _folder(self, name: str) -> str:
        """A folder of the store, made on first use (the listing is read once)."""
        if self._folders is None:
            os.makedirs(self.root, exist_ok=True)
            self._folders = set(os.listdir(self.root))
        path = f"{self.root}/{name}"
        if name not in self._folders:
            os.makedirs(path, exist_ok=True)
            self._folders.add(name)
        return path

    def _create(self, folder: str) -> tuple[str, int]:
        """A new temporary file (exclusive: never another's); its path and descriptor."""
        self._count += 1
        name = f"{folder}/{self._tag}{self._count}"
        return name, os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


def _discard(path: str) -> None:
    """Remove a temporary file after a failure (it may already be gone)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def durable() -> None:
    """Flush written objects to disk before the index that names them is committed."""
    os.sync()
