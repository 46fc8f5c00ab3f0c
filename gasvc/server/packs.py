"""Small blobs packed together: the folder store's answer to pushes of many small files.

The small blobs of one batch upload (each at most `SMALL_BLOB` bytes) are written one after
another into one new file, `packs/<id>.pack`, which is synced (with its folder entry) before
an index row per blob — (checksum, pack, offset, size) in `packs.sqlite` beside it — is
committed, all of a pack's rows in one transaction. A blob in the index is therefore always
complete on disk; a server killed between the two leaves a pack nobody names, removed at the
next start. A push of 100,000 files then creates a hundred files on the server, not 100,000,
and syncs each of them once.

Packs are never rewritten: blobs are never deleted. A blob packed twice (sent again by a
dataset that had not been granted it) keeps its first place.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from gasvc.server.durable import fsync_dir, write_all

#: The recording connection's page cache, and how many pages its log may hold before they are
#: written back (`PackIndex.record`): 16 MB and 64 MB.
WRITER_CACHE_KIB = 16384
CHECKPOINT_PAGES = 16384

SCHEMA = """
CREATE TABLE IF NOT EXISTS packs (id INTEGER PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS packed (
    checksum TEXT PRIMARY KEY, pack INTEGER NOT NULL, offset INTEGER NOT NULL,
    size INTEGER NOT NULL
) WITHOUT ROWID;
"""


class PackIndex:
    """Where each packed blob is: `packs/<id>.pack` files and their index, both made by the
    first pack (a store that never had one has neither)."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "packs"
        self._db = str(root / "packs.sqlite")
        self._local = threading.local()  # one connection per thread
        self._write = threading.Lock()
        self._writing: sqlite3.Connection | None = None  # `_writer`
        self._held: set[int] = set()  # packs being written by this process

    def _connection(self, create: bool = False) -> sqlite3.Connection | None:
        """This thread's connection to the index; None while there is no index (and `create`
        is false)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open(create)
        return db

    def _open(self, create: bool) -> sqlite3.Connection | None:
        """A new connection to the index (made, if `create`); None while there is none."""
        made = not os.path.exists(self._db)
        if made and not create:
            return None
        db = sqlite3.connect(self._db, timeout=60, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut
        db.executescript(SCHEMA)
        if made:  # the index's own name is durable before a row in it counts
            fsync_dir(self.folder.parent)
        return db

    def file(self, pack: int) -> str:
        return os.path.join(self.folder, f"{pack:016x}.pack")

    def locate(self, checksum: str) -> tuple[str, int, int] | None:
        """(pack file, offset, size) of a packed blob, or None."""
        db = self._connection()
        row = None if db is None else db.execute(
            "SELECT pack, offset, size FROM packed WHERE checksum = ?", (checksum,)).fetchone()
        return None if row is None else (self.file(row[0]), row[1], row[2])

    def locate_many(self, checksums: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """`locate` of each of `checksums` that is packed, asked in one query per 500."""
        db, found = self._connection(), dict[str, tuple[str, int, int]]()
        if db is None:
            return found
        for at in range(0, len(checksums), 500):
            part = checksums[at:at + 500]
            for checksum, pack, offset, size in db.execute(
                    "SELECT checksum, pack, offset, size FROM packed WHERE checksum IN"
                    f" ({','.join('?' * len(part))})", part):
                found[checksum] = (self.file(pack), offset, size)
        return found

    def record(self, pack: int, rows: Sequence[tuple[str, int, int]]) -> None:
        """Name the blobs of a synced pack, (checksum, offset, size) each, all in one
        transaction, by one statement (an `executemany` gives the interpreter lock away, and
        waits to get it back, once a row).

        Checksums are random, so each row lands on a page of its own in a big index: through
        the writer's connection (`_writer`), whose cache holds the index's pages and whose
        checkpoints come every `CHECKPOINT_PAGES` (a page written by many transactions is
        written back once), not every 1,000 pages (~each pack, at a million blobs)."""
        with self._write:
            db = self._writer()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT INTO packs VALUES (?, ?)", (pack, time.time()))
                db.execute("INSERT OR IGNORE INTO packed SELECT json_extract(value, '$[0]'), ?,"
                           " json_extract(value, '$[1]'), json_extract(value, '$[2]')"
                           " FROM json_each(?)", (pack, json.dumps(rows)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _writer(self) -> sqlite3.Connection:
        """The one connection that records (under `_write`)."""
        if self._writing is None:
            db = self._open(create=True)
            assert db is not None
            db.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self._writing = db
        return self._writing

    def new_pack(self) -> tuple[int, int]:
        """A new, empty pack file, held (safe from `sweep`) until released: (id, fd)."""
        if not self.folder.is_dir():
            self.folder.mkdir(exist_ok=True)
            fsync_dir(self.folder.parent)
        while True:
            pack = secrets.randbits(63)
            self._held.add(pack)  # before the file exists: a sweep never sees it unheld
            try:
                return pack, os.open(self.file(pack), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                     0o644)
            except FileExistsError:
                self._held.discard(pack)

    def release(self, pack: int) -> None:
        self._held.discard(pack)

    def blobs(self) -> Iterator[tuple[str, int]]:
        """(checksum, size) of every packed blob, in checksum order."""
        db = self._connection()
        if db is not None:
            yield from db.execute("SELECT checksum, size FROM packed ORDER BY checksum")

    def sweep(self, max_age: float) -> int:
        """Remove pack files no index row names, not written to for `max_age` seconds, that
        this process does not hold (leftovers of killed servers; younger ones may be another
        instance's, being written)."""
        if not self.folder.is_dir():
            return 0
        db = self._connection()
        named = set() if db is None else {row[0] for row in db.execute("SELECT id FROM packs")}
        cutoff, removed = time.time() - max_age, 0
        for entry in os.scandir(self.folder):
            stem, _, suffix = entry.name.partition(".")
            with contextlib.suppress(ValueError, FileNotFoundError):
                pack = int(stem, 16)
                if (suffix == "pack" and pack not in named and pack not in self._held
                        and entry.stat().st_mtime < cutoff):
                    os.unlink(entry.path)
                    removed += 1
        return removed


class PackWriter:
    """Verified small blobs appended to a new pack as they come; `commit()` syncs the pack and
    then records them. Nothing is recorded, and the file is removed, if it is not committed."""

    def __init__(self, index: PackIndex) -> None:
        self.index = index
        self.pack: int | None = None
        self.fd = -1
        self.rows: list[tuple[str, int, int]] = []  # (checksum, offset, size)
        self.offset = 0

    def append(self, checksum: str, pieces: list[bytes | memoryview]) -> None:
        if self.pack is None:
            self.pack, self.fd = self.index.new_pack()
        size = write_all(self.fd, pieces)
        self.rows.append((checksum, self.offset, size))
        self.offset += size

    def commit(self) -> None:
        if self.pack is None:
            return
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        fsync_dir(self.index.folder)  # the pack's name is durable before a row names it
        self.index.record(self.pack, self.rows)
        self.index.release(self.pack)
        self.pack = None

    def abort(self) -> None:
        """Remove an uncommitted pack (nothing names it)."""
        if self.pack is None:
            return
        if self.fd >= 0:  # (closed already when recording it failed)
            os.close(self.fd)
            self.fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.index.file(self.pack))
        self.index.release(self.pack)
        self.pack = None
