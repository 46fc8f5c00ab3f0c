"""What a push of many small files goes through on the server, made cheaper per file: the same
answers as the general ways (frame headers read without the JSON decoder, paths checked by one
match, staged items written directly, a batch's rows written and read by one SQLite statement).
Small blobs, packed together: test_packs.py."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gasvc.errors import InvalidParams
from gasvc.model.frames import Frame, FrameError, header, parse_header
from gasvc.model.names import _check_path_rules, check_remote_path
from gasvc.model.snapshot import Item
from gasvc.server.engine.callbacks import _staged_item
from gasvc.server.engine.overlay import staged_text
from gasvc.server.meta import MetaStore, MetaTx, SqliteMetaStore, open_meta

SETTINGS = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


# frame headers ------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [-1, 0, 1, 4096, 10**17, 10**18 - 1, 10**18, 2**63])
def test_headers_as_written_read_back(size: int) -> None:
    checksum = sha1(str(size).encode())
    assert parse_header(header(checksum, size)[:-1]) == Frame(checksum, size)


A = "a" * 40


@pytest.mark.parametrize(("line", "expected"), [
    (b'{"size": 5, "checksum": "%s"}' % A.encode(), Frame(A, 5)),  # other order and spacing
    (b'{"checksum":"%s","size":5,"x":1}' % A.encode(), Frame(A, 5)),
    (b'{"checksum":"%s","size":5.0}' % A.encode(), None),
    (b'{"checksum":"%s","size":05}' % A.encode(), None),
    (b'{"checksum":"%s","size":-2}' % A.encode(), None),
    (b'{"checksum":"%s","size":true}' % A.encode(), None),
    (b'{"checksum":"%s","size":5}' % A.upper().encode(), None),
    (b'{"checksum":"%s","size":5} ' % A.encode(), Frame(A, 5)),
])
def test_other_headers_take_the_general_way(line: bytes, expected: Frame | None) -> None:
    if expected is None:
        with pytest.raises(FrameError):
            parse_header(line)
    else:
        assert parse_header(line) == expected


# remote paths -------------------------------------------------------------------------------
def _verdict(check: object, value: object) -> object:
    try:
        return check(value)  # type: ignore[operator]
    except InvalidParams:
        return InvalidParams


PLAIN = st.text("ab.-_/9Z", max_size=12)


@SETTINGS
@given(PLAIN | st.text(max_size=12) | st.sampled_from([
    ".gas", "a/.GAS/b", "a/.gas", ".a/b", "a/./b", "a/../b", "a//b", "/a", "a/", "-a/_b.c",
    "a" * 1024, "a" * 1025, "a/" * 512 + "b", "ä/b", "a\\b", "a\x7fb"]))
def test_the_one_match_accepts_only_what_the_rules_accept(value: str) -> None:
    assert _verdict(check_remote_path, value) == _verdict(_check_path_rules, value)


# staged items -------------------------------------------------------------------------------
@pytest.mark.parametrize("label", [None, "f" * 40])
@pytest.mark.parametrize("timestamp", [None, 1.5, 7, 1e300])
def test_staged_items_written_directly_are_what_the_encoder_writes(
        label: str | None, timestamp: float | None) -> None:
    item = Item("e" * 40, 4096, timestamp, label)
    assert _staged_item("e" * 40, 4096, timestamp, label) == staged_text(item.stored())


# a batch's rows in one statement --------------------------------------------------------------
@pytest.fixture(params=["memory", "disk", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    opened = (open_meta(request.getfixturevalue("pg_cluster").new_database())
              if request.param == "postgresql"
              else open_meta(":memory:" if request.param == "memory"
                             else str(tmp_path / "meta.sqlite")))
    yield opened
    opened.close()


def test_many_rows_written_and_read_as_one_by_one(store: MetaStore) -> None:
    paths = [f"images/{n:04d}.jpg" for n in range(1500)] + ["ünï/cödé ☃.jpg", "a\"b'c.jpg"]
    rows: list[tuple[str, str, str | None]] = [
        ("seg", path, None if n % 7 == 0 else json.dumps([n, path])) for n, path in
        enumerate(paths)]
    rows += [("seg", paths[3], '["again"]'), ("other", paths[0], "[]")]  # the last one wins
    sizes: list[tuple[str, int | None]] = [(f"{n:040x}", None if n % 5 == 0 else n)
                                          for n in range(1500)]
    with store.write() as tx:
        tx.put_changes("d", 1, rows)
        tx.put_changes("d", 1, [])
        tx.grant_blobs("d", sizes)
        tx.grant_blobs("d", [(f"{n:040x}", 10**12) for n in range(0, 20)])  # NULL ones filled
        tx.grant_blobs("d", [])
    with store.read() as tx:
        expected = {key: value for segment, key, value in rows if segment == "seg"}
        assert dict(tx.changes("d", 1, "seg")) == expected
        assert dict(tx.changes("d", 1, "other")) == {paths[0]: "[]"}
        asked = [f"{n:040x}" for n in range(1400, 1600)] + ["0" * 40]
        expect_sizes = {f"{n:040x}": (10**12 if n < 20 else None) if n % 5 == 0 else n
                        for n in range(1400, 1500)}
        assert tx.blob_sizes("d", asked) == expect_sizes | {"0" * 40: 10**12}
        assert tx.blob_sizes("d", []) == {} and tx.blob_sizes("x", asked) == {}
        assert tx.missing_blobs("d", asked) == [f"{n:040x}" for n in range(1500, 1600)]


def _steps(store: SqliteMetaStore, work: object) -> int:
    """Statements SQLite began to run while `work(tx)` ran in a write transaction."""
    conn: sqlite3.Connection = store._conn()
    began: list[str] = []
    with store.write() as tx:
        conn.set_trace_callback(began.append)
        try:
            work(tx)  # type: ignore[operator]
        finally:
            conn.set_trace_callback(None)
    return len(began)


def test_sqlite_writes_and_reads_a_batch_in_one_statement_each(tmp_path: Path) -> None:
    """Python's sqlite3 lets the GIL go at each row's step: a callback's or a batch's 1,000
    rows are one step each (was 1,000), so the one writer is not kept waiting to get it back."""
    store = SqliteMetaStore(tmp_path / "meta.sqlite")
    sums = [f"{n:040x}" for n in range(1000)]

    def grant(tx: MetaTx) -> None:
        tx.grant_blobs("d", [(c, 4096) for c in sums])

    assert _steps(store, grant) == 1
    assert _steps(store, lambda tx: tx.put_changes(
        "d", 1, [("s", f"{n}.jpg", "[]") for n in range(1000)])) == 1
    found: dict[str, int | None] = {}
    assert _steps(store, lambda tx: found.update(tx.blob_sizes("d", sums))) == 1
    assert found == dict.fromkeys(sums, 4096)
