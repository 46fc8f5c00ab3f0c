"""Small blobs packed together (server/packs.py): what a batch upload stores, how it reads back,
and what a killed server leaves."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gasvc.errors import ChecksumMismatch
from gasvc.server.blobs import DirectoryBlobStore
from gasvc.server.blobwriters import SMALL_BLOB
from gasvc.server.migrate import blob_files

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def blobs(tmp_path: Path) -> DirectoryBlobStore:
    return DirectoryBlobStore(tmp_path / "blobs")


def batch_of(blobs: DirectoryBlobStore, files: list[list[bytes]]) -> None:
    """Upload `files` (each given as the pieces it arrives in) as one batch."""
    batch = blobs.batch()
    try:
        for pieces in files:
            writer = batch.add(sha1(b"".join(pieces)), 1 << 30)
            for piece in pieces:
                writer.write(piece)
            writer.finish()
        batch.commit()
    finally:
        batch.abort()


def packs(blobs: DirectoryBlobStore) -> list[str]:
    folder = blobs.root / "packs"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def loose(blobs: DirectoryBlobStore) -> list[str]:
    return sorted(p.parent.name + p.name for p in blobs.root.glob("??/*"))


def read(blobs: DirectoryBlobStore, checksum: str, start: int = 0,
         end: int | None = None) -> bytes:
    return b"".join(blobs.read(checksum, start, end))


def sized(size: int, seed: int = 0) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[seed % 256:][:size].ljust(size, b"t")


def test_the_small_blobs_of_a_batch_go_into_one_pack(blobs: DirectoryBlobStore) -> None:
    small = [f"file {n}".encode() * n for n in range(50)]
    large = b"L" * (SMALL_BLOB + 1)
    batch_of(blobs, [[data] for data in small] + [[large[:10], large[10:]]])
    assert len(packs(blobs)) == 1
    assert loose(blobs) == [sha1(large)]  # a large one keeps its own file
    for data in [*small, large]:
        assert blobs.has(sha1(data)) and blobs.size(sha1(data)) == len(data)
        assert read(blobs, sha1(data)) == data
    assert read(blobs, sha1(small[7]), 3, 9) == small[7][3:9]
    assert read(blobs, sha1(small[7]), 5) == small[7][5:]
    assert read(blobs, sha1(small[7]), 0, 10**6) == small[7]  # not past its end in the pack
    assert list((blobs.root / "tmp").iterdir()) == []


@pytest.mark.parametrize("size", [0, 1, SMALL_BLOB - 1, SMALL_BLOB, SMALL_BLOB + 1, 3 * SMALL_BLOB])
def test_blobs_around_the_small_size(blobs: DirectoryBlobStore, size: int) -> None:
    data = sized(size)
    batch_of(blobs, [[data[at:at + 5000] for at in range(0, size, 5000)]])
    assert read(blobs, sha1(data)) == data and blobs.size(sha1(data)) == size
    assert (sha1(data) in loose(blobs)) == (size > SMALL_BLOB)
    assert len(packs(blobs)) == (size <= SMALL_BLOB)
    assert list((blobs.root / "tmp").iterdir()) == []


def test_a_blob_sent_again_keeps_its_first_place(blobs: DirectoryBlobStore) -> None:
    data, other = b"twice" * 100, b"other"
    batch_of(blobs, [[data]])
    first = blobs.packs.locate(sha1(data))
    batch_of(blobs, [[other], [data[:7], data[7:]]])
    assert blobs.packs.locate(sha1(data)) == first
    assert read(blobs, sha1(data)) == data and read(blobs, sha1(other)) == other
    assert len(packs(blobs)) == 2


def test_a_small_blob_that_does_not_match_never_reaches_the_disk(
        blobs: DirectoryBlobStore) -> None:
    claimed = sha1(b"announced")
    batch = blobs.batch()
    writer = batch.add(claimed, 1 << 30)
    writer.write(b"sent instead")
    with pytest.raises(ChecksumMismatch):
        writer.finish()
    batch.abort()
    assert packs(blobs) == [] and not blobs.has(claimed)
    assert not (blobs.root / "packs.sqlite").exists()  # no index until a first pack


def test_an_uncommitted_batch_leaves_nothing(blobs: DirectoryBlobStore) -> None:
    batch = blobs.batch()
    for data in (b"one", b"two"):
        writer = batch.add(sha1(data), 1 << 30)
        writer.write(data)
        writer.finish()
    assert len(packs(blobs)) == 1  # written as they came
    batch.abort()  # e.g. a later file of the request failed
    assert packs(blobs) == [] and not blobs.has(sha1(b"one"))


def test_concurrent_batches_each_read_back(blobs: DirectoryBlobStore) -> None:
    files = [[sized(n * 37 % 5000, n)] for n in range(400)]

    def upload(part: int) -> None:
        batch_of(blobs, files[part::4])

    threads = [threading.Thread(target=upload, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(packs(blobs)) == 4
    for (data,) in files:
        assert read(blobs, sha1(data)) == data


def test_migration_lists_every_blob_once_in_order(blobs: DirectoryBlobStore) -> None:
    small, large = [b"a", b"b" * 10, b"c" * 100], b"d" * (SMALL_BLOB + 5)
    batch_of(blobs, [[data] for data in [*small, large]])
    batch_of(blobs, [[small[0]]])  # packed again: listed once
    expected = sorted((sha1(data), len(data)) for data in [*small, large])
    assert list(blob_files(blobs)) == expected


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from gasvc.server.blobs import DirectoryBlobStore
store = DirectoryBlobStore(Path(sys.argv[1]))
batch = store.batch()
writer = batch.add(sys.argv[2], 1 << 30)
writer.write(b"killed before its pack was recorded")
writer.finish()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_pack_a_killed_server_left_unrecorded_is_swept(blobs: DirectoryBlobStore) -> None:
    checksum = sha1(b"killed before its pack was recorded")
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(blobs.root), checksum],
                          check=False)
    assert done.returncode == -signal.SIGKILL
    assert len(packs(blobs)) == 1 and not blobs.has(checksum)
    batch_of(blobs, [[b"recorded"]])
    assert blobs.sweep_tmp(3600) == 0  # too young: it may be another instance's
    assert len(packs(blobs)) == 2
    assert blobs.sweep_tmp(0) == 1  # the recorded pack stays
    assert len(packs(blobs)) == 1 and read(blobs, sha1(b"recorded")) == b"recorded"
    assert not blobs.has(checksum)


def test_a_pack_being_written_is_not_swept(blobs: DirectoryBlobStore) -> None:
    batch = blobs.batch()
    writer = batch.add(sha1(b"in flight"), 1 << 30)
    writer.write(b"in flight")
    writer.finish()
    assert blobs.sweep_tmp(0) == 0
    batch.commit()
    assert read(blobs, sha1(b"in flight")) == b"in flight"


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.integers(0, 2 * SMALL_BLOB), st.integers(1, 9),
                                   st.integers(0, 255)), max_size=12),
                min_size=1, max_size=4),
       st.data())
def test_every_blob_uploaded_reads_back(tmp_path_factory: pytest.TempPathFactory,
                                        batches: list[list[tuple[int, int, int]]],
                                        data: st.DataObject) -> None:
    blobs = DirectoryBlobStore(tmp_path_factory.mktemp("blobs"))
    stored: dict[str, bytes] = {}
    for files in batches:
        pieces = []
        for size, cuts, seed in files:
            content = sized(size, seed)
            step = max(1, size // cuts)
            pieces.append([content[at:at + step] for at in range(0, size, step)] or [b""])
            stored[sha1(content)] = content
        batch_of(blobs, pieces)
    for checksum, content in stored.items():
        assert blobs.size(checksum) == len(content)
        start = data.draw(st.integers(0, len(content)))
        end = data.draw(st.none() | st.integers(start, len(content) + 3))
        assert read(blobs, checksum, start, end) == content[start:end]
    assert [c for c, _ in blob_files(blobs)] == sorted(stored)


def test_a_pack_whose_rows_cannot_be_recorded_is_removed(blobs: DirectoryBlobStore) -> None:
    (blobs.root / "packs.sqlite").mkdir()  # the index cannot be opened
    batch = blobs.batch()
    writer = batch.add(sha1(b"unrecorded"), 1 << 30)
    writer.write(b"unrecorded")
    writer.finish()
    with pytest.raises(sqlite3.OperationalError):
        batch.commit()
    batch.abort()
    assert packs(blobs) == []
    (blobs.root / "packs.sqlite").rmdir()
    assert not blobs.has(sha1(b"unrecorded"))
