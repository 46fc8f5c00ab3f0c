"""The server engine in-process on a temp dir: drafts, commits, compare-and-swap, sharing, diffs."""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gasvc.errors import AccessDenied, Forbidden, GasError, InvalidParams, ResourceNotExist
from gasvc.model.names import ROOT_COMMIT
from gasvc.server.blobs import DirectoryBlobStore
from gasvc.server.engine import Engine
from gasvc.server.meta import SqliteMetaStore
from gasvc.server.records import User

BASE = "http://gas.test"


class Harness:
    """An engine on `tmp_path` with user alice, and short verbs for the calls tests repeat."""

    def __init__(self, tmp_path: Path, meta: str = "disk") -> None:
        self.meta_path = tmp_path / "meta.sqlite"
        store = SqliteMetaStore(self.meta_path if meta == "disk" else ":memory:")
        self.engine = Engine(store, DirectoryBlobStore(tmp_path / "b"))
        self.alice = self.user("alice")

    def user(self, name: str) -> User:
        datasets = self.engine.datasets
        return datasets.authenticate(datasets.add_user(name))

    def blob(self, data: bytes) -> dict[str, Any]:
        """Store `data` as the storage upload would; return its callback fields."""
        async def chunks() -> AsyncIterator[bytes]:
            yield data

        checksum = hashlib.sha1(data).hexdigest()
        asyncio.run(self.engine.ctx.blobs.receive(checksum, chunks(), len(data)))
        return {"checksum": checksum, "fileSize": len(data)}

    def dataset(self, name: str, **body: Any) -> str:
        return self.engine.datasets.create(self.alice, {"name": name, **body})

    def draft(self, ds: str, branch: str = "main") -> int:
        return self.engine.versions.create_draft(
            self.alice, ds, {"branchName": branch, "title": "draft"})

    def put(self, ds: str, number: int, items: dict[str, dict[str, Any]],
            segment: str = "train") -> None:
        objects = [{"remotePath": path, **fields} for path, fields in items.items()]
        for obj in objects:  # as the upload into `ds` would
            self.engine.data.grant_blob(ds, obj["checksum"], obj["fileSize"])
        for start in range(0, len(objects), 1000):
            self.engine.data.callback(self.alice, ds, {
                "draftNumber": number, "segmentName": segment,
                "objects": objects[start : start + 1000]})

    def commit(self, ds: str, number: int, title: str = "commit") -> str:
        return self.engine.versions.commit(self.alice, ds, {"draftNumber": number,
                                                            "title": title})

    def head(self, ds: str, branch: str = "main") -> str:
        branches, _ = self.engine.versions.list_branches(self.alice, ds, branch, 0, 1)
        commit_id: str = branches[0]["commitId"]
        return commit_id

    def details(self, ds: str, status: dict[str, Any], segment: str = "train"
                ) -> dict[str, dict[str, Any]]:
        items, total = self.engine.data.details(self.alice, ds, status, segment, 0, 1000,
                                                None, BASE)
        assert total == len(items)
        return {item["remotePath"]: item for item in items}

    def object_count(self) -> int:
        with sqlite3.connect(self.meta_path) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM objects").fetchone()
        return int(count)


@pytest.fixture(params=["disk", "memory"])
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """The engine over the on-disk and over the in-memory metadata store."""
    return Harness(tmp_path, request.param)


@pytest.fixture
def on_disk(tmp_path: Path) -> Harness:
    return Harness(tmp_path, "disk")


def first_commit(h: Harness, ds: str, items: dict[str, dict[str, Any]]) -> str:
    number = h.draft(ds)
    h.engine.content.create_segment(h.alice, ds, {"name": "train", "draftNumber": number})
    h.put(ds, number, items)
    return h.commit(ds, number, "first")


def test_round_trip_draft_segment_callback_commit_read(h: Harness) -> None:
    ds = h.dataset("cats")
    assert h.head(ds) == ROOT_COMMIT
    number = h.draft(ds)
    assert number == 1
    h.engine.content.create_segment(h.alice, ds, {"name": "train", "draftNumber": number})
    label = {"CLASSIFICATION": {"category": "cat"}}
    a, b = h.blob(b"first image"), h.blob(b"second image")
    h.put(ds, number, {"img/a.jpg": {**a, "label": label}, "img/b.jpg": b})
    commit_id = h.commit(ds, number, "first")

    assert h.head(ds) == commit_id
    assert h.engine.datasets.get(h.alice, ds)["commitId"] == commit_id
    items = h.details(ds, {"commit": commit_id})
    assert sorted(items) == ["img/a.jpg", "img/b.jpg"]
    assert items["img/a.jpg"]["checksum"] == a["checksum"]
    assert items["img/a.jpg"]["fileSize"] == a["fileSize"]
    assert items["img/a.jpg"]["label"] == label
    assert items["img/b.jpg"]["label"] == {}
    assert items["img/a.jpg"]["url"].startswith(BASE)
    commits, total = h.engine.versions.list_commits(h.alice, ds, None, 0, 10)
    assert total == 1 and commits[0]["commitId"] == commit_id
    assert commits[0]["parentCommitId"] == ROOT_COMMIT and commits[0]["title"] == "first"
    drafts, _ = h.engine.versions.list_drafts(h.alice, ds, "COMMITTED", None, 0, 10)
    assert [d["number"] for d in drafts] == [number]


def test_callbacks_check_sizes_recorded_or_from_the_blob_store(h: Harness) -> None:
    """A grant records the blob's size; one from before sizes were recorded is checked
    against the blob store, and gets its size recorded then."""
    ds = h.dataset("sizes")
    number = h.draft(ds)
    h.engine.content.create_segment(h.alice, ds, {"name": "train", "draftNumber": number})
    new, old = h.blob(b"new file"), h.blob(b"old file")
    h.engine.data.grant_blob(ds, new["checksum"], new["fileSize"])
    h.engine.ctx.meta.run(lambda tx: tx.grant_blob(ds, old["checksum"], None))
    for wrong in (new, old):
        with pytest.raises(InvalidParams, match="bytes, not 99"):
            h.engine.data.callback(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                                 "objects": [{**wrong, "remotePath": "x",
                                                              "fileSize": 99}]})
    h.engine.data.callback(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                         "objects": [{**new, "remotePath": "new"},
                                                     {**old, "remotePath": "old"}]})
    with h.engine.ctx.meta.read() as tx:
        assert tx.blob_size(ds, old["checksum"]) == old["fileSize"]
    assert sorted(h.details(ds, {"draftNumber": number})) == ["new", "old"]


def test_draft_inherits_its_parent_commit(h: Harness) -> None:
    ds = h.dataset("inherit")
    first = first_commit(h, ds, {"a.jpg": h.blob(b"a")})
    number = h.draft(ds)
    drafts, _ = h.engine.versions.list_drafts(h.alice, ds, "OPEN", None, 0, 10)
    assert drafts[0]["parentCommitId"] == first
    assert sorted(h.details(ds, {"draftNumber": number})) == ["a.jpg"]
    h.put(ds, number, {"b.jpg": h.blob(b"b")})
    assert sorted(h.details(ds, {"draftNumber": number})) == ["a.jpg", "b.jpg"]
    assert sorted(h.details(ds, {"commit": first})) == ["a.jpg"]  # commits are immutable
    second = h.commit(ds, number)
    assert sorted(h.details(ds, {"commit": second})) == ["a.jpg", "b.jpg"]
    commits, total = h.engine.versions.list_commits(h.alice, ds, None, 0, 10)
    assert [c["commitId"] for c in commits] == [second, first] and total == 2


def test_committing_a_stale_draft_is_forbidden(h: Harness) -> None:
    ds = h.dataset("stale")
    first_commit(h, ds, {"a.jpg": h.blob(b"a")})
    winner, stale = h.draft(ds), h.draft(ds)
    h.put(ds, winner, {"w.jpg": h.blob(b"w")})
    h.put(ds, stale, {"s.jpg": h.blob(b"s")})
    won = h.commit(ds, winner)
    with pytest.raises(Forbidden, match="moved"):
        h.commit(ds, stale)
    assert h.head(ds) == won
    assert sorted(h.details(ds, {"commit": won})) == ["a.jpg", "w.jpg"]
    open_drafts, _ = h.engine.versions.list_drafts(h.alice, ds, "OPEN", None, 0, 10)
    assert [d["number"] for d in open_drafts] == [stale]  # refused: left as it was


def test_concurrent_commits_from_one_base_exactly_one_wins(h: Harness) -> None:
    ds = h.dataset("race")
    base = first_commit(h, ds, {"base.jpg": h.blob(b"base")})
    numbers = [h.draft(ds) for _ in range(8)]
    for number in numbers:
        h.put(ds, number, {f"from-{number}.jpg": h.blob(f"{number}".encode())})
    barrier = threading.Barrier(len(numbers))
    won: dict[int, str] = {}
    refused: dict[int, Exception] = {}

    def run(number: int) -> None:
        barrier.wait()
        try:
            won[number] = h.commit(ds, number)
        except Exception as error:  # collected and checked below
            refused[number] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(won) == 1, (won, refused)
    assert all(isinstance(error, Forbidden) for error in refused.values()), refused
    assert len(refused) == 7
    [(winner, commit_id)] = won.items()
    assert h.head(ds) == commit_id
    assert sorted(h.details(ds, {"commit": commit_id})) == ["base.jpg", f"from-{winner}.jpg"]
    commits, total = h.engine.versions.list_commits(h.alice, ds, None, 0, 10)
    assert [c["commitId"] for c in commits] == [commit_id, base] and total == 2


def test_small_change_to_a_large_segment_writes_few_objects(on_disk: Harness) -> None:
    h = on_disk
    ds = h.dataset("sharing")
    blob = h.blob(b"same bytes for every item")
    items = {f"img/{i:05d}.jpg": blob for i in range(5000)}
    first = first_commit(h, ds, items)
    before = h.object_count()
    assert before > 10  # 5,000 items span many leaves

    number = h.draft(ds)
    h.put(ds, number, {"img/02500.jpg": h.blob(b"a new version of one item")})
    second = h.commit(ds, number)
    new_rows = h.object_count() - before
    # a changed leaf or two, the manifest and the commit state: not proportional to 5,000
    assert 2 <= new_rows <= 6, new_rows
    diffs, total = h.engine.diffs.list_data_diffs(
        h.alice, ds, f"commit-{first}...commit-{second}", "train", 0, 10)
    assert total == 1 and diffs[0]["remotePath"] == "img/02500.jpg"
    assert h.engine.data.details(h.alice, ds, {"commit": second}, "train", 0, 1, None,
                                 BASE)[1] == 5000


def test_concurrent_writes_and_reads_of_one_draft_lose_nothing(h: Harness) -> None:
    ds = h.dataset("busy")
    first_commit(h, ds, {"base.jpg": h.blob(b"base")})
    number = h.draft(ds)
    blobs = [h.blob(f"blob {i}".encode()) for i in range(8)]
    barrier = threading.Barrier(9)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        barrier.wait()
        try:
            for batch in range(5):
                h.put(ds, number, {f"w{worker}/{batch}-{i}.jpg": blobs[worker]
                                   for i in range(20)})
        except BaseException as error:  # collected and checked below
            failures.append(error)

    def read() -> None:
        barrier.wait()
        try:
            for _ in range(20):
                h.engine.data.list_paths(h.alice, ds, {"draftNumber": number}, "train", 0, 10)
        except BaseException as error:  # collected and checked below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    commit_id = h.commit(ds, number)
    items = h.engine.data.list_paths(h.alice, ds, {"commit": commit_id}, "train", 0, 1000)
    assert items[1] == 1 + 8 * 5 * 20


def test_a_closed_draft_refuses_writes(h: Harness) -> None:
    ds = h.dataset("closed")
    first_commit(h, ds, {"a.jpg": h.blob(b"a")})
    number = h.draft(ds)
    h.put(ds, number, {"pending.jpg": h.blob(b"pending")})
    assert h.engine.versions.update_draft(h.alice, ds, str(number), {"status": "CLOSED"}) == {
        "draftNumber": number, "status": "CLOSED"}
    with pytest.raises(Forbidden, match="CLOSED"):
        h.put(ds, number, {"b.jpg": h.blob(b"b")})
    with pytest.raises(Forbidden):
        h.engine.content.create_segment(h.alice, ds, {"name": "more", "draftNumber": number})
    with pytest.raises(Forbidden):
        h.engine.data.delete(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                           "remotePath": "a.jpg"}, "remotePath")
    with pytest.raises(Forbidden):
        h.commit(ds, number)
    with pytest.raises(Forbidden):
        h.engine.versions.update_draft(h.alice, ds, str(number), {"title": "reopen?"})
    closed, _ = h.engine.versions.list_drafts(h.alice, ds, "CLOSED", None, 0, 10)
    assert [d["number"] for d in closed] == [number]


def test_diff_between_two_commits_lists_exactly_the_changed_items(h: Harness) -> None:
    ds = h.dataset("diffs")
    cat, dog = {"CLASSIFICATION": {"category": "cat"}}, {"CLASSIFICATION": {"category": "dog"}}
    first = first_commit(h, ds, {
        "a.jpg": h.blob(b"a"), "b.jpg": h.blob(b"b"), "c.jpg": h.blob(b"c"),
        "d.jpg": {**h.blob(b"d"), "label": cat},
    })
    number = h.draft(ds)
    h.put(ds, number, {"b.jpg": h.blob(b"b, edited"), "e.jpg": h.blob(b"e")})
    h.engine.data.upload_labels(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                              "objects": [{"remotePath": "d.jpg",
                                                           "label": dog}]})
    h.engine.data.delete(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                       "remotePath": ["c.jpg"]}, "remotePath")
    second = h.commit(ds, number)

    expected = [
        ("b.jpg", "modify", "modify", ""), ("c.jpg", "delete", "delete", ""),
        ("d.jpg", "modify", "", "modify"), ("e.jpg", "add", "add", ""),
    ]
    for basehead in (f"commit-{first}...commit-{second}", f"commit-{second}"):
        diffs, total = h.engine.diffs.list_data_diffs(h.alice, ds, basehead, "train", 0, 100)
        found = [(d["remotePath"], d["action"], d["file"]["action"], d["label"]["action"])
                 for d in diffs]
        assert found == expected and total == 4, basehead
    summary = h.engine.diffs.get_diff(h.alice, ds, f"commit-{first}...commit-{second}")
    assert summary["data"]["stats"] == {"total": 4, "additions": 1, "deletions": 1,
                                        "modifications": 2}
    same, total = h.engine.diffs.list_data_diffs(
        h.alice, ds, f"commit-{second}...commit-{second}", "train", 0, 100)
    assert same == [] and total == 0


def test_other_users_cannot_see_private_or_write_public_datasets(h: Harness) -> None:
    bob = h.user("bob")
    private, public = h.dataset("private"), h.dataset("public", isPublic=True)
    with pytest.raises(ResourceNotExist):
        h.engine.datasets.get(bob, private)
    assert h.engine.datasets.get(bob, public)["name"] == "public"
    with pytest.raises(AccessDenied):
        h.engine.versions.create_draft(bob, public, {"branchName": "main", "title": "mine"})


def test_a_callback_is_all_or_nothing_and_names_its_first_bad_item(h: Harness) -> None:
    """A callback's items are prepared in bulk (engine/callbacks.py): one not granted to the
    dataset, or wrong, is refused as item by item, naming the first, and nothing is staged;
    items sharing a label store it once."""
    ds = h.dataset("cb")
    number = h.draft(ds)
    h.engine.content.create_segment(h.alice, ds, {"name": "train", "draftNumber": number})
    good, foreign, bad_size = h.blob(b"good"), h.blob(b"foreign"), h.blob(b"size")
    h.engine.data.grant_blobs(ds, {good["checksum"]: 4, bad_size["checksum"]: 4})
    cat = {"CLASSIFICATION": {"category": "cat"}}
    cases = [
        ([{"remotePath": "a.jpg", **good}, {"remotePath": "b.jpg", **foreign},
          {"remotePath": "c.jpg", **bad_size, "fileSize": 9}],
         f"no uploaded file has checksum {foreign['checksum']}"),
        ([{"remotePath": "a.jpg", **good}, {"remotePath": "c.jpg", **bad_size, "fileSize": 9},
          {"remotePath": "b.jpg", **foreign}], "has 4 bytes, not 9"),
        ([{"remotePath": "a.jpg", **good}, {"remotePath": "../up.jpg", **good}], "up.jpg"),
    ]
    for objects, message in cases:
        with pytest.raises(GasError, match=re.escape(message)):
            h.engine.data.callback(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                                 "objects": objects})
        assert h.details(ds, {"draftNumber": number}) == {}
    objects = [{"remotePath": f"{n}.jpg", **good, "label": cat} for n in range(5)]
    before = h.object_count() if h.meta_path.exists() else 0
    h.engine.data.callback(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                         "objects": objects})
    found = h.details(ds, {"draftNumber": number})
    assert sorted(found) == [f"{n}.jpg" for n in range(5)]
    assert all(item["label"] == cat and item["checksum"] == good["checksum"]
               for item in found.values())
    if h.meta_path.exists():
        assert h.object_count() >= before + 1


def test_a_callback_asks_the_store_once_for_a_size_granted_before_sizes_were_kept(
        h: Harness) -> None:
    """A grant from before the size column (NULL) falls back to the blob store, then keeps it."""
    ds = h.dataset("legacy")
    number = h.draft(ds)
    h.engine.content.create_segment(h.alice, ds, {"name": "train", "draftNumber": number})
    old = h.blob(b"granted long ago")
    h.engine.ctx.meta.run(lambda tx: tx.grant_blob(ds, old["checksum"], None))
    h.engine.data.callback(h.alice, ds, {"draftNumber": number, "segmentName": "train",
                                         "objects": [{"remotePath": "a.jpg", **old}]})
    assert h.details(ds, {"draftNumber": number})["a.jpg"]["checksum"] == old["checksum"]
    assert h.engine.ctx.meta.run(lambda tx: tx.blob_size(ds, old["checksum"])) == 16
