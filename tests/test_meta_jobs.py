"""The jobs table on both metadata stores: claiming by compare-and-swap, leases, and status
changes guarded by status and holder (meta/sqljobs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gasvc.server.meta import MetaStore, MetaTx, open_meta
from gasvc.server.records import Job


@pytest.fixture(params=["disk", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    if request.param == "postgresql":
        opened = open_meta(request.getfixturevalue("pg_cluster").new_database())
    else:
        opened = open_meta(str(tmp_path / "meta.sqlite"))
    yield opened
    opened.close()


def job(job_id: str, status: str = "QUEUING") -> Job:
    return Job(job_id, "ds", "squashAndMerge", "t", "", "{}", status, "", None, "alice", 1,
               None, None)


def add(store: MetaStore, *jobs: Job) -> None:
    def write(tx: MetaTx) -> None:
        for seq, found in enumerate(jobs):
            tx.add_job(found, seq)

    store.run(write)


def test_each_job_is_claimed_by_one_worker_oldest_first(store: MetaStore) -> None:
    add(store, job("a"), job("b"), job("c"))

    def claim(worker: str) -> str | None:
        found = store.run(lambda tx: tx.claim_job(worker, 100, 130))
        return None if found is None else found[0].id

    with ThreadPoolExecutor(6) as pool:
        claimed = [c for c in pool.map(claim, [f"w{i}" for i in range(12)]) if c]
    assert sorted(claimed) == ["a", "b", "c"]  # each once, none twice
    with store.read() as tx:
        assert tx.list_jobs("ds", "squashAndMerge", "PROCESSING", 0, 10)[1] == 3
        assert not tx.claimable(129)
        assert tx.claimable(131)  # every lease ran out: the jobs may be taken over


def test_an_expired_lease_is_taken_over_and_the_old_holder_changes_nothing(
        store: MetaStore) -> None:
    add(store, job("a"))
    first = store.run(lambda tx: tx.claim_job("w1", 100, 130))
    assert first is not None and first[1] is False and first[0].attempts == 1
    assert store.run(lambda tx: tx.claim_job("w2", 120, 150)) is None  # w1 still holds it
    second = store.run(lambda tx: tx.claim_job("w2", 131, 160))
    assert second is not None and second[1] is True and second[0].attempts == 2
    assert second[0].started == 100  # started when first claimed
    assert not store.run(lambda tx: tx.update_job("a", ("PROCESSING",), "w1", status="SUCCESS"))
    assert store.run(lambda tx: tx.update_job("a", ("PROCESSING",), "w2", status="SUCCESS"))
    with store.read() as tx:
        done = tx.job("ds", "a")
    assert done is not None and done.status == "SUCCESS"


def test_an_aborted_job_is_not_finished_by_its_worker(store: MetaStore) -> None:
    add(store, job("a"))
    store.run(lambda tx: tx.claim_job("w1", 100, 130))
    assert store.run(lambda tx: tx.update_job("a", ("QUEUING", "PROCESSING"), status="ABORTED"))
    assert not store.run(lambda tx: tx.update_job("a", ("PROCESSING",), "w1", status="SUCCESS"))
    assert store.run(lambda tx: tx.claim_job("w2", 200, 230)) is None
    with store.read() as tx:
        aborted = tx.job("ds", "a")
    assert aborted is not None and aborted.status == "ABORTED"
