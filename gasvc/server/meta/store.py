"""The contract of a metadata store, which the engine is typed against.

A store hands out transactions: `read()` (one consistent snapshot) and `write()` (read-write),
as context managers, or `run(fn)`, which runs `fn(tx)` in a write transaction and runs it again
when the database could not serialise it (`TransactionConflict`). A write transaction takes
`lock(key)` on what it is about to read and change (a dataset, a user), so that writers of one
thing go one at a time across processes and machines; unrelated writers do not wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from gasvc.errors import WireError
from gasvc.server.records import Commit, Dataset, Draft, Job, Ref, StorageConfig, User

T = TypeVar("T")
Page = tuple[list[Any], int]
#: How often a transaction (or a whole API operation) is tried when it conflicts.
ATTEMPTS = 8


class TransactionConflict(WireError):
    """The database could not serialise a transaction (serialization failure, deadlock):
    it was rolled back and may simply be run again. Answered 503 when retries run out."""

    code, status = "InternalServerError", 503

    def __init__(self, message: str = "the database is busy with conflicting writes",
                 hint: str = "try again in a moment") -> None:
        super().__init__(message, hint)


class StoreUnavailable(WireError):
    """A metadata or blob store that cannot be used (not installed, unreachable, missing,
    refusing the credentials): raised while the server opens its stores, before it serves."""

    code, status = "InternalServerError", 503
    exit_code = 2  # as a configuration error of the command that opens them


class MetaTx(Protocol):
    """All metadata reads and writes; one instance lives for one transaction."""

    def lock(self, key: str) -> None:
        """Hold `key` (e.g. "dataset:ID") until the write transaction ends; a no-op when
        reading, and where the store serialises all writers anyway."""

    # settings
    def setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str) -> None: ...
    def add_setting(self, key: str, value: str) -> str:
        """Store `value` unless `key` has one; returns the stored value."""

    # users
    def add_user(self, user: User, now: int) -> None: ...
    def add_key(self, user_id: str, key_hash: str, now: int) -> None: ...
    def user_by_name(self, name: str) -> User | None: ...
    def user_by_key(self, key_hash: str) -> User | None: ...

    # storage configs
    def list_configs(self, user_id: str, name: str | None, offset: int, limit: int,
                     exact: bool = False) -> Page: ...
    def add_config(self, user_id: str, config: StorageConfig) -> None: ...
    def config(self, user_id: str, name: str) -> StorageConfig | None: ...
    def delete_config(self, user_id: str, name: str) -> bool: ...

    # datasets
    def add_dataset(self, ds: Dataset, now: int) -> None: ...
    def dataset(self, dataset_id: str) -> Dataset | None: ...
    def dataset_by_name(self, owner_id: str, name: str) -> Dataset | None: ...
    def list_datasets(self, user_id: str, name: str | None, offset: int, limit: int,
                      exact: bool = False) -> Page: ...
    def update_dataset(self, dataset_id: str, now: int, **fields: Any) -> None: ...
    def touch_dataset(self, dataset_id: str, now: int) -> None: ...
    def delete_dataset(self, dataset_id: str) -> None: ...
    def next_draft_number(self, dataset_id: str) -> int: ...

    # branches
    def branch(self, dataset_id: str, name: str) -> Ref | None: ...
    def list_branches(self, dataset_id: str, name: str | None, offset: int, limit: int,
                      exact: bool = False) -> Page: ...
    def add_branch(self, dataset_id: str, name: str, commit_id: str) -> None: ...
    def move_branch(self, dataset_id: str, name: str, expected: str, new: str) -> bool:
        """Compare-and-swap a branch head; False when it no longer points at `expected`."""
    def delete_branch(self, dataset_id: str, name: str) -> bool: ...

    # tags
    def tag(self, dataset_id: str, name: str) -> Ref | None: ...
    def list_tags(self, dataset_id: str, name: str | None, offset: int, limit: int,
                  exact: bool = False) -> Page: ...
    def tags_at(self, dataset_id: str, commit_id: str) -> list[str]: ...
    def add_tag(self, dataset_id: str, name: str, commit_id: str) -> None: ...
    def delete_tag(self, dataset_id: str, name: str) -> bool: ...

    # commits
    def add_commit(self, dataset_id: str, c: Commit) -> None: ...
    def commit(self, dataset_id: str, commit_id: str) -> Commit | None: ...
    def drop_unused_commit(self, dataset_id: str, commit_id: str) -> bool:
        """Delete a commit no branch, tag, draft or commit names; False if kept (or gone)."""
    def commits_with_prefix(self, dataset_id: str, prefix: str,
                            limit: int = 2) -> list[Commit]: ...
    def ancestors(self, dataset_id: str, commit_id: str, offset: int,
                  limit: int) -> list[Commit]: ...

    # drafts and their pending changes
    def add_draft(self, dataset_id: str, d: Draft) -> None: ...
    def draft(self, dataset_id: str, number: int) -> Draft | None: ...
    def list_drafts(self, dataset_id: str, status: str | None, branch: str | None,
                    offset: int, limit: int) -> Page: ...
    def update_draft(self, dataset_id: str, number: int, **fields: Any) -> None: ...
    def put_change(self, dataset_id: str, number: int, segment: str, key: str,
                   value: str | None) -> None: ...
    def put_changes(self, dataset_id: str, number: int,
                    rows: list[tuple[str, str, str | None]]) -> None:
        """`put_change` of many (segment, key, value) rows."""
    def change(self, dataset_id: str, number: int, segment: str,
               key: str) -> tuple[bool, str | None]: ...
    def changes(self, dataset_id: str, number: int,
                segment: str) -> Iterator[tuple[str, Any]]: ...
    def changed_segments(self, dataset_id: str, number: int) -> list[str]: ...
    def clear_changes(self, dataset_id: str, number: int,
                      segment: str | None = None) -> None: ...

    # content-addressed objects
    def get_object(self, digest: str) -> bytes | None: ...
    def put_object(self, digest: str, data: bytes) -> None: ...
    def has_object(self, digest: str) -> bool: ...

    # which blobs a dataset may reference
    def grant_blob(self, dataset_id: str, checksum: str, size: int | None) -> None: ...
    def has_blob(self, dataset_id: str, checksum: str) -> bool: ...
    def grant_blobs(self, dataset_id: str, sizes: list[tuple[str, int | None]]) -> None: ...
    def blob_size(self, dataset_id: str, checksum: str) -> int | None: ...
    def blob_sizes(self, dataset_id: str, checksums: list[str]) -> dict[str, int | None]: ...
    def missing_blobs(self, dataset_id: str, checksums: list[str]) -> list[str]: ...

    # jobs (meta/sqljobs.py)
    def add_job(self, job: Job, seq: int) -> None: ...
    def job(self, dataset_id: str, job_id: str) -> Job | None: ...
    def job_by_id(self, job_id: str) -> Job | None:
        """A job of any dataset (the caller checks the user may read its dataset)."""
    def list_jobs(self, dataset_id: str, job_type: str, status: str | None, offset: int,
                  limit: int) -> Page: ...
    def update_job(self, job_id: str, expect: tuple[str, ...] | None = None,
                   holder: str | None = None, **fields: Any) -> bool:
        """Set fields while the job's status is one of `expect` (held by worker `holder`)."""
    def search_results(self, dataset_id: str) -> list[Job]:
        """The dataset's basic searches with a result not dropped yet, the newest first."""
    def search_of_result(self, dataset_id: str, commit_id: str) -> Job | None:
        """The basic search whose result is that commit."""
    def delete_job(self, dataset_id: str, job_id: str) -> bool: ...
    def claimable(self, now: int) -> bool:
        """Whether a job waits for a worker (a cheap read before claiming in a write)."""
    def claim_job(self, worker: str, now: int, lease: int) -> tuple[Job, bool] | None:
        """The oldest queued (or abandoned) job, now PROCESSING under `worker`, and whether
        it had been interrupted."""

    # cached figures of immutable versions
    def version_stat(self, dataset_id: str, root: str, kind: str) -> str | None: ...
    def set_version_stat(self, dataset_id: str, root: str, kind: str, value: str) -> None: ...


class MetaStore(Protocol):
    #: "sqlite" or "postgresql"
    dialect: str

    def read(self) -> AbstractContextManager[MetaTx]:
        """A read transaction on one consistent snapshot."""

    def write(self) -> AbstractContextManager[MetaTx]:
        """A read-write transaction; raises `TransactionConflict` when it must be run again."""

    def run(self, fn: Callable[[MetaTx], T]) -> T:
        """`fn(tx)` in a write transaction, run again on a conflict."""

    def ping(self) -> None:
        """Raise unless the database answers (the health check)."""

    def close(self) -> None: ...


def retry_conflicts(fn: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`fn()`, called again (after a short random pause) while it raises
    `TransactionConflict`; the last conflict is raised."""
    for attempt in range(attempts):
        try:
            return fn()
        except TransactionConflict:
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


def run_in(store: MetaStore, fn: Callable[[MetaTx], T]) -> T:
    """`store.run(fn)` for stores built on `write()`."""

    def once() -> T:
        with store.write() as tx:
            return fn(tx)

    return retry_conflicts(once)
