"""A bounded, lazy thread pool: at most `jobs` calls run and as many wait, so memory stays flat
however many items stream in. Results come back to the submitting thread, in completion order,
so only that thread touches state that is not thread-safe (the SQLite connection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Pool(Generic[T, R]):
    """`fn(item)` on worker threads; `done(result)` on the caller's thread as each ends.

    Use as a context manager: leaving it waits for the work submitted (or, after an error,
    cancels what has not started). The first error raised by `fn` comes out of `submit` or
    `finish`.
    """

    def __init__(self, fn: Callable[[T], R], done: Callable[[R], None], jobs: int) -> None:
        self.fn, self.done, self.jobs = fn, done, max(1, jobs)
        self._executor = ThreadPoolExecutor(self.jobs, thread_name_prefix="gas-transfer")
        self._running: set[Future[R]] = set()

    def submit(self, item: T) -> None:
        while len(self._running) >= 2 * self.jobs:
            self._collect(block=True)
        self._running.add(self._executor.submit(self.fn, item))
        self._collect(block=False)

    def finish(self) -> None:
        while self._running:
            self._collect(block=True)

    def _collect(self, block: bool) -> None:
        finished, _ = wait(self._running, timeout=None if block else 0,
                           return_when=FIRST_COMPLETED)
        for future in finished:
            self._running.discard(future)
            self.done(future.result())

    def __enter__(self) -> Pool[T, R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if error is None:
                self.finish()
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)


def run_all(fn: Callable[[T], R], items: Iterable[T], done: Callable[[R], None],
            jobs: int) -> None:
    """`fn` over every item with a bounded pool; `done` on this thread for each result."""
    with Pool(fn, done, jobs) as pool:
        for item in items:
            pool.submit(item)
