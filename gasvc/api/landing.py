"""Downloaded bytes landing in place, verified by SHA-1 (api/transfer.py moves them): the
records of a download, the framed stream's receiver (`receive`) and one file's `Sink`.

A file lands in a temporary file and is renamed into place only once its SHA-1 matches — or, for
a clone (`in_place`), straight at its place where no file is, removed if its bytes do not match.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from gasvc.errors import ClientError
from gasvc.model.frames import MISSING, Frame, FrameParser


class Download(NamedTuple):
    checksum: str
    size: int
    target: Path | str  # a string where one is made per file (clone)
    url: str = ""
    #: what the caller knows the file as, handed back with it (a clone's segment, path and
    #: label id)
    key: tuple[str, str, str | None] | None = None


class Written(NamedTuple):
    item: Download
    mtime_ns: int
    ino: int


class TransferError(ClientError):
    """An upload or download of file bytes that failed."""


def receive(chunks: Iterable[bytes], wanted: dict[str, list[Download]], tmp_dir: Path,
             in_place: bool = False) -> list[Written]:
    """Write the files of a framed stream into place; `wanted` loses what arrived."""
    parser, sink, written = FrameParser(), None, []
    prefix = thread_prefix(tmp_dir)
    try:
        for chunk in chunks:
            for event in parser.feed(chunk):
                if isinstance(event, Frame):
                    sink = _start(event, wanted, prefix, in_place)
                elif event is None:
                    assert sink is not None
                    written += sink.finish(wanted.pop(sink.checksum))
                    sink = None
                else:
                    assert sink is not None
                    sink.write(event)
        parser.close()
    finally:
        if sink is not None:
            sink.discard()
    return written


def thread_prefix(tmp_dir: Path) -> str:
    """Where this thread's temporary files go: the path to which each one's checksum is added."""
    return os.path.join(tmp_dir, f"{threading.get_ident()}-")


def _start(frame: Frame, wanted: dict[str, list[Download]], prefix: str, in_place: bool
           ) -> Sink:
    if frame.size == MISSING:
        raise TransferError(f"the server has no file with checksum {frame.checksum}",
                            "the dataset on the server is damaged; tell its administrator")
    if frame.checksum not in wanted:
        raise TransferError(f"the server sent {frame.checksum}, which was not asked for")
    return Sink(frame.checksum, prefix, str(wanted[frame.checksum][0].target) if in_place
                else None)


class Sink:
    """One downloaded file: hashed into a temporary file, then renamed to its targets. Raw
    descriptors and string paths: a clone runs this once a file.

    `in_place` (a clone's first target): where no file is, the bytes are written there at once,
    and the file is removed if they do not match. A killed clone can leave a partial file
    there, which the clone it resumes finds and replaces (clone.py). Skipping the temporary
    file and its rename halves the kernel's work per small file; where a file is (a resumed
    clone's), the temporary file is used as ever."""

    def __init__(self, checksum: str, prefix: str, in_place: str | None = None) -> None:
        """`prefix`: the path of the thread's temporary files, to which the checksum is added."""
        self.checksum, self.digest = checksum, hashlib.sha1()
        self.tmp = prefix + checksum
        #: where the bytes go: the first target, or the temporary file
        self.path = in_place if in_place is not None else self.tmp
        fd = _create_new(self.path) if in_place is not None else None
        if fd is None:
            self.path = self.tmp
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.fd: int | None = fd

    def write(self, data: bytes | memoryview) -> None:
        assert self.fd is not None
        self.digest.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def discard(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _close(self) -> os.stat_result | None:
        """Close the file; its stat (which a rename keeps) when it was open."""
        if self.fd is None:
            return None
        try:
            return os.fstat(self.fd)
        finally:
            os.close(self.fd)
            self.fd = None

    def finish(self, targets: list[Download]) -> list[Written]:
        st = self._close()
        assert st is not None
        if self.digest.hexdigest() != self.checksum:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            raise TransferError(f"downloaded bytes of {file_name(targets[0])} do not match "
                                "their checksum", "run the command again")
        first = targets[0]
        copies = []
        for other in targets[1:]:  # copies first, each renamed into place whole
            copy = f"{self.tmp}.copy"
            shutil.copyfile(self.path, copy)
            _place(copy, other.target)
            copies.append(_written(other))
        if self.path == self.tmp:
            _place(self.tmp, first.target)
        return [Written(first, st.st_mtime_ns, st.st_ino), *copies]


def _create_new(target: str) -> int | None:
    """A descriptor of `target`, created empty (its folders too), or None where something
    is already there (a file, a link, a folder)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        return os.open(target, flags, 0o644)
    except FileExistsError:
        return None
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        return os.open(target, flags, 0o644)
    except FileExistsError:
        return None


def _place(tmp: Path | str, target: Path | str) -> None:
    try:
        os.replace(tmp, target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(tmp, target)


def file_name(item: Download) -> str:
    return os.path.basename(item.target)


def _written(item: Download) -> Written:
    st = os.stat(item.target)
    return Written(item, st.st_mtime_ns, st.st_ino)
