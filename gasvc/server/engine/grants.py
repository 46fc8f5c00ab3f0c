"""Grants of uploaded blobs, written together: the uploads of a push end at once, and each grant
alone was a write transaction (a commit) queued behind the others and behind the push's
callbacks, which share the one writer.

`GrantWriter.grant` returns once the caller's grant is committed. The thread that finds no
grant being written writes every grant waiting when it holds the transaction (so those that
arrived while it waited for the writer go along), in one order: datasets, then checksums, so
concurrent writers (other instances on the same database) never deadlock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gasvc.server.meta import MetaStore, MetaTx


@dataclass
class _Grant:
    dataset_id: str
    sizes: dict[str, int]
    done: bool = False
    error: BaseException | None = None


class GrantWriter:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self._cond = threading.Condition()
        self._waiting: list[_Grant] = []
        self._writing = False

    def grant(self, dataset_id: str, sizes: dict[str, int]) -> None:
        """Let the dataset reference these blobs (checksum → size), committed on return."""
        mine = _Grant(dataset_id, dict(sizes))
        with self._cond:
            self._waiting.append(mine)
            while not mine.done:
                if self._writing:
                    self._cond.wait()
                else:
                    self._write_waiting()
        if mine.error is not None:
            raise mine.error

    def _write_waiting(self) -> None:
        """Write the waiting grants (called holding the condition, which it releases while
        it writes)."""
        self._writing = True
        group: list[_Grant] = []
        self._cond.release()
        try:
            self.meta.run(lambda tx: self._write(tx, group))
        except BaseException as error:  # each caller of the group raises it
            if not group:  # no transaction began: the grants waiting fail with it
                with self._cond:
                    group += self._waiting
                    self._waiting.clear()
            for grant in group:
                grant.error = error
        finally:
            self._cond.acquire()
            self._writing = False
            for grant in group:
                grant.done = True
            self._cond.notify_all()

    def _write(self, tx: MetaTx, group: list[_Grant]) -> None:
        """Inside the transaction: take the grants waiting now (once: a transaction run again
        after a conflict writes the same ones)."""
        if not group:
            with self._cond:
                group += self._waiting
                self._waiting.clear()
        rows: dict[str, dict[str, int]] = {}
        for grant in group:
            rows.setdefault(grant.dataset_id, {}).update(grant.sizes)
        for dataset_id in sorted(rows):  # one order: concurrent grants never deadlock
            tx.grant_blobs(dataset_id, sorted(rows[dataset_id].items()))
