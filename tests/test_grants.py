"""Grants of concurrent uploads are committed together (engine/grants.py): every caller's grant
is committed when its call returns, those that waited for the writer go in one transaction,
and a failed transaction fails each grant in it without leaving another caller waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gasvc.server.engine.grants import GrantWriter
from gasvc.server.meta import MetaStore, MetaTx, open_meta

T = TypeVar("T")


class CountingStore:
    """The real store, counting the transactions run through it."""

    def __init__(self, real: MetaStore) -> None:
        self.real, self.runs = real, 0

    def run(self, fn: Callable[[MetaTx], T]) -> T:
        self.runs += 1
        return self.real.run(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture(params=["disk", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    opened = (open_meta(request.getfixturevalue("pg_cluster").new_database())
              if request.param == "postgresql" else open_meta(str(tmp_path / "meta.sqlite")))
    yield opened
    opened.close()


def checksum(number: int) -> str:
    return f"{number:040x}"


def granted(store: MetaStore, dataset_id: str, count: int) -> dict[str, int | None]:
    with store.read() as tx:
        return tx.blob_sizes(dataset_id, [checksum(n) for n in range(count)])


def test_grants_waiting_for_the_writer_share_one_transaction(tmp_path: Path) -> None:
    """On SQLite, whose writers go one at a time (PostgreSQL's run side by side)."""
    store = open_meta(str(tmp_path / "meta.sqlite"))
    counting = CountingStore(store)
    writer = GrantWriter(counting)  # type: ignore[arg-type]
    callers = [threading.Thread(target=writer.grant,
                                args=(f"d{n % 3}", {checksum(n): n, checksum(n + 100): 1}))
               for n in range(8)]
    with store.write() as tx:  # the writer is busy (a callback, say) while they all arrive
        tx.grant_blobs("other", [(checksum(999), 5)])
        for caller in callers:
            caller.start()
        time.sleep(0.5)
    for caller in callers:
        caller.join(30)
    assert not any(caller.is_alive() for caller in callers)
    assert counting.runs == 1
    for dataset in range(3):
        numbers = [n for n in range(8) if n % 3 == dataset]
        found = granted(store, f"d{dataset}", 200)
        assert found == {**{checksum(n): n for n in numbers},
                         **{checksum(n + 100): 1 for n in numbers}}
    store.close()


def test_each_caller_returns_with_its_grant_committed(store: MetaStore) -> None:
    writer = GrantWriter(store)
    seen: list[bool] = []

    def grant_and_check(number: int) -> None:
        writer.grant("d", {checksum(number): number})
        seen.append(granted(store, "d", 50).get(checksum(number)) == number)

    callers = [threading.Thread(target=grant_and_check, args=(n,)) for n in range(40)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(60)
    assert seen == [True] * 40
    assert len(granted(store, "d", 50)) == 40


class FailingStore:
    """The real store, whose transactions fail while `broken` is set."""

    def __init__(self, real: MetaStore) -> None:
        self.real, self.broken = real, True

    def run(self, fn: Callable[[MetaTx], T]) -> T:
        if self.broken:
            raise RuntimeError("the database is gone")
        return self.real.run(fn)


def test_a_failed_transaction_fails_its_grants_and_no_one_waits(store: MetaStore) -> None:
    failing = FailingStore(store)
    writer = GrantWriter(failing)  # type: ignore[arg-type]
    errors: list[str] = []

    def grant(number: int) -> None:
        try:
            writer.grant("d", {checksum(number): 1})
        except RuntimeError as error:
            errors.append(str(error))

    callers = [threading.Thread(target=grant, args=(n,)) for n in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert not any(caller.is_alive() for caller in callers)
    assert errors == ["the database is gone"] * 6
    failing.broken = False
    writer.grant("d", {checksum(7): 7})  # the writer works again
    assert granted(store, "d", 10) == {checksum(7): 7}
