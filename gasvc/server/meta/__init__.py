"""Metadata stores: users, datasets, refs, commits, drafts and content-addressed objects.

`MetaStore` hands out transactions (`MetaTx`); the SQLite store is the embedded default and the
contract a PostgreSQL store will follow (see docs/server.md).
"""

from gasvc.server.meta.sqlite import MetaTx, SqliteMetaStore

__all__ = ["MetaTx", "SqliteMetaStore"]
