"""The bytes of a file (or mask image) of either side of a review, found where they are.

In order: the working tree's file when the side *is* the working tree; `.gas/objects/`; the
workspace file that should hold it, if its SHA-1 matches; the review's own cache; the server —
by checksum through the batch extension, else by the signed URL of the item's details at the
side's server version (commit id, or `draft-N`). Only the files a reviewer opens are fetched,
each once, into a temporary folder removed when the review ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gasvc.api.landing import Download
from gasvc.api.transfer import download_url
from gasvc.errors import ClientError
from gasvc.model.canon import content_id
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.worktree.scan import hash_file

#: Bytes per chunk of a streamed answer.
CHUNK = 256 * 1024


class FileUnavailable(ClientError):
    """A file of a side that is neither here nor to be had from the server."""


@dataclass(frozen=True)
class Wanted:
    checksum: str
    size: int
    segment: str
    path: str  # the item's remote path
    local: str | None  # workspace-relative file that may hold it (None: the item's file)
    mask: str | None = None  # the mask's label type, when the file is a mask
    version: str | None = None  # the side's server version; None: not on the server
    current: bool = False  # the side is the working tree: its file is shown as it is


class FileSource:
    def __init__(self, layout: Layout, cache: Path,
                 connect: Callable[[], Connection] | None) -> None:
        self.layout, self.cache, self.connect = layout, cache, connect
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    def find(self, wanted: Wanted) -> Path:
        """A local file with the wanted bytes (fetched first, if need be)."""
        if not wanted.checksum:
            return self._fetch_unverified(wanted)
        local = self._workspace_file(wanted)
        if wanted.current and local is not None and local.is_file():
            return local
        for candidate in (self.layout.object_path(wanted.checksum), local,
                          self.cache / wanted.checksum):
            if candidate is not None and candidate.is_file() and (
                    candidate != local or self._holds(candidate, wanted.checksum)):
                return candidate
        return self._fetch(wanted)

    def _workspace_file(self, wanted: Wanted) -> Path | None:
        if wanted.local is None:
            return self.layout.file(wanted.segment, wanted.path)
        parts = PurePosixPath(wanted.local).parts
        if not parts or wanted.local.startswith("/") or any(p in ("..", ".gas") for p in parts):
            return None  # a label naming a file outside the workspace is not followed
        found = self.layout.root.joinpath(*parts)
        return found if found.resolve().is_relative_to(self.layout.root.resolve()) else None

    def _holds(self, path: Path, checksum: str) -> bool:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._hashes:
            self._hashes[key] = hash_file(path)[0]
        return self._hashes[key] == checksum

    def _fetch(self, wanted: Wanted) -> Path:
        if self.connect is None or wanted.version is None:
            raise FileUnavailable(f"{wanted.segment}/{wanted.path}: the file is not here",
                                  "`gas push` the version that has it, or check it out")
        conn = self._conn()
        target = self.cache / wanted.checksum
        batch = conn.reader()
        if batch is not None:
            batch.download([Download(wanted.checksum, wanted.size, target)], conn.tmp_dir)
        else:
            download_url(conn.client, Download(wanted.checksum, wanted.size, target,
                                               self._url(conn, wanted)), conn.tmp_dir)
        return target

    def _fetch_unverified(self, wanted: Wanted) -> Path:
        """A mask whose checksum the server's read form does not tell (the Open API's read
        form has none): by its URL, kept under its place rather than its checksum."""
        if self.connect is None or wanted.version is None:
            raise FileUnavailable(f"{wanted.segment}/{wanted.path}: the mask is not here",
                                  "`gas push` the version that has it, or check it out")
        place = content_id([wanted.version, wanted.segment, wanted.path, wanted.mask])
        target = self.cache / f"at-{place}"
        if not target.is_file():
            conn = self._conn()
            response = conn.client.session.get(self._url(conn, wanted), timeout=60)
            if response.status_code != 200:
                raise FileUnavailable(f"{wanted.segment}/{wanted.path}: the server answered "
                                      f"{response.status_code} for its mask",
                                      "run `gas fetch`, then review again")
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(response.content)
            partial.replace(target)
        return target

    def _conn(self) -> Connection:
        with self._lock:
            if self._connection is None:
                assert self.connect is not None
                self._connection = self.connect()
            return self._connection

    def _url(self, conn: Connection, wanted: Wanted) -> str:
        assert wanted.version is not None
        detail = conn.client.data_detail(conn.dataset_id, wanted.segment, wanted.path,
                                         wanted.version) or {}
        found = (detail.get("label") or {}).get(wanted.mask) if wanted.mask else detail
        url = found.get("url") if isinstance(found, dict) else None
        if not url:
            raise FileUnavailable(f"{wanted.segment}/{wanted.path} at {wanted.version[:7]} is "
                                  "not on the server", "run `gas fetch`, then review again")
        return str(url)


def read_range(path: Path, start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of a file, in chunks."""
    with path.open("rb") as handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
