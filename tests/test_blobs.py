"""The directory blob store: verified streaming writes, id validation, ranged reads."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from gasvc.errors import ChecksumMismatch, InvalidParams, RequestTooLarge
from gasvc.server.blobs import STALE_TMP_SECONDS, DirectoryBlobStore

LIMIT = 1 << 20
BAD_IDS = [
    "../../x",
    "../" * 13 + "etc/passwd",
    "A" * 40,  # uppercase hex
    "0123456789abcdef0123456789ABCDEF01234567",
    "abc",  # short
    "0" * 41,
    "",
    "g" * 40,
    "ab/" + "0" * 37,
]


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


async def _stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def receive(store: DirectoryBlobStore, checksum: str, chunks: Iterable[bytes],
            max_bytes: int = LIMIT) -> int:
    return asyncio.run(store.receive(checksum, _stream(chunks), max_bytes))


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> DirectoryBlobStore:
    return DirectoryBlobStore(tmp_path / "blobs")


def test_receive_streamed_chunks(store: DirectoryBlobStore) -> None:
    chunks = [b"hello ", b"", b"streamed ", b"world" * 1000]
    data = b"".join(chunks)
    checksum = sha1(data)
    assert receive(store, checksum, chunks) == len(data)
    path = store.root / checksum[:2] / checksum[2:]
    assert store.path(checksum) == path
    assert path.read_bytes() == data
    assert store.has(checksum) and store.size(checksum) == len(data)
    assert files(store.root) == [path]  # no temporary file left


def test_receive_again_is_idempotent(store: DirectoryBlobStore) -> None:
    data = b"twice"
    assert receive(store, sha1(data), [data]) == 5
    assert receive(store, sha1(data), [b"tw", b"ice"]) == 5
    assert files(store.root) == [store.path(sha1(data))]


def test_empty_blob(store: DirectoryBlobStore) -> None:
    assert receive(store, sha1(b""), []) == 0
    assert store.size(sha1(b"")) == 0
    assert b"".join(store.read(sha1(b""))) == b""


def test_checksum_mismatch_leaves_nothing(store: DirectoryBlobStore) -> None:
    claimed = sha1(b"what the client announced")
    with pytest.raises(ChecksumMismatch):
        receive(store, claimed, [b"what ", b"it sent"])
    assert not store.has(claimed)
    assert files(store.root) == []


def test_too_large_leaves_nothing(store: DirectoryBlobStore) -> None:
    data = b"x" * 100
    with pytest.raises(RequestTooLarge):
        receive(store, sha1(data), [data[:60], data[60:]], max_bytes=99)
    assert not store.has(sha1(data))
    assert files(store.root) == []
    assert receive(store, sha1(data), [data], max_bytes=100) == 100  # exactly the limit is fine


def test_failing_stream_leaves_nothing(store: DirectoryBlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.receive(sha1(b"partial upload"), broken(), LIMIT))
    assert files(store.root) == []


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_ids_are_refused_before_any_path_is_built(
    store: DirectoryBlobStore, tmp_path: Path, bad: str
) -> None:
    chunks_read: list[bytes] = []

    async def spy() -> AsyncIterator[bytes]:
        chunks_read.append(b"x")
        yield b"x"

    with pytest.raises(InvalidParams):
        asyncio.run(store.receive(bad, spy(), LIMIT))
    assert chunks_read == []  # refused before reading the body
    for call in (store.path, store.has, store.size):
        with pytest.raises(InvalidParams):
            call(bad)
    with pytest.raises(InvalidParams):
        next(iter(store.read(bad)))
    assert files(tmp_path) == []
    assert sorted(p.name for p in store.root.iterdir()) == ["tmp"]


def test_missing_blob(store: DirectoryBlobStore) -> None:
    checksum = sha1(b"never uploaded")
    assert not store.has(checksum)
    assert store.size(checksum) is None
    with pytest.raises(FileNotFoundError):
        next(iter(store.read(checksum)))


@pytest.mark.parametrize(("start", "end"), [
    (0, None), (0, 1), (10, 20), (0, 3_000_000), (2_999_999, None), (1_048_570, 1_048_580),
    (3_000_000, None), (5, 5), (100, 10_000_000),
])
def test_ranged_read(store: DirectoryBlobStore, start: int, end: int | None) -> None:
    data = bytes(range(256)) * (3_000_000 // 256) + b"tail"[: 3_000_000 % 256]
    data = data.ljust(3_000_000, b"!")
    checksum = sha1(data)
    receive(store, checksum, [data[i : i + 65536] for i in range(0, len(data), 65536)],
            max_bytes=len(data))
    chunks = list(store.read(checksum, start, end))
    assert b"".join(chunks) == data[start:end]
    assert all(len(chunk) <= 1024 * 1024 for chunk in chunks)


def test_opening_removes_stale_temporary_files_only(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    DirectoryBlobStore(root)
    stale, fresh = root / "tmp" / "tmpstale", root / "tmp" / "tmpfresh"
    stale.write_bytes(b"left by a killed upload")
    fresh.write_bytes(b"maybe another instance's upload in progress")
    old = time.time() - STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    store = DirectoryBlobStore(root)
    assert not stale.exists() and fresh.exists()
    assert receive(store, sha1(b"ok"), [b"ok"]) == 2  # leftovers do not get in the way


def test_group_sync_covers_every_write_made_before_it_was_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads asking at once share syncs, but none returns before a sync that started after
    it asked has finished; a failed sync counts for no one."""
    import threading
    import time

    from gasvc.server import durable

    started: list[float] = []
    finished: list[float] = []
    fail = [True]

    def slow_sync(path: Path) -> None:
        started.append(time.monotonic())
        time.sleep(0.05)
        if fail[0]:
            fail[0] = False
            raise OSError("disk on fire")
        finished.append(time.monotonic())

    monkeypatch.setattr(durable, "sync_filesystem", slow_sync)
    group = durable.GroupSync(tmp_path)
    with pytest.raises(OSError, match="disk on fire"):
        group.sync()
    asked: dict[int, float] = {}
    done: dict[int, float] = {}

    def ask(number: int) -> None:
        asked[number] = time.monotonic()
        group.sync()
        done[number] = time.monotonic()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert len(started) < 1 + 12  # shared
    for number in range(12):  # a sync started after the ask finished before the answer
        assert any(asked[number] <= s and f <= done[number]
                   for s, f in zip(started[1:], finished, strict=True))
