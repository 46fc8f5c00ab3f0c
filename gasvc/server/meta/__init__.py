"""Metadata stores: users, datasets, refs, commits, drafts and content-addressed objects.

`MetaStore` hands out transactions (`MetaTx`), the contract both stores follow: SQLite (the
embedded default) and PostgreSQL (several server instances on one database). `open_meta`
opens the one a location names.
"""

import contextlib
from collections.abc import Iterator

from gasvc.server.meta.sqlite import SqliteMetaStore
from gasvc.server.meta.store import (
    MetaStore,
    MetaTx,
    StoreUnavailable,
    TransactionConflict,
    retry_conflicts,
)

__all__ = ["MetaStore", "MetaTx", "SqliteMetaStore", "StoreUnavailable", "TransactionConflict",
           "open_meta",
           "retry_conflicts", "scale_extra"]


def open_meta(location: str) -> MetaStore:
    """A store for `postgresql://…` (or `postgres://…`), else a SQLite file path."""
    if location.startswith(("postgresql://", "postgres://")):
        with scale_extra():
            from gasvc.server.meta.postgres import PostgresMetaStore

            return PostgresMetaStore(location)
    return SqliteMetaStore(location)


@contextlib.contextmanager
def scale_extra() -> Iterator[None]:
    """Turn a missing PostgreSQL or S3 client library into an error that says what to install."""
    try:
        yield
    except ModuleNotFoundError as error:
        raise StoreUnavailable(f"{error.name} is not installed (needed for PostgreSQL and S3)",
                          "pip install 'gasvc[server-scale]'") from None
