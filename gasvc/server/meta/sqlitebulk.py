"""SQLite's `MetaTx`: `SqlTx` with a push's many rows written, or read, in one statement step.

Python's sqlite3 lets other threads run while a statement steps: it releases the GIL around
every `sqlite3_step`, once per row of an `executemany` or of a fetch. A callback's 1,000
changes, a batch's 1,000 grants and their 1,000 granted sizes each gave the GIL away 1,000
times and waited as often to get it back from the server's busy threads (blob writes, JSON
decoding) — inside the one write transaction every upload and callback of a push queues for.
Here such rows travel as one JSON array, expanded by `json_each` or gathered by
`json_group_array`, in one step: the same statements' effects, in the same order.
"""

from __future__ import annotations

import json
from typing import Any

from gasvc.server.meta.sqltx import SqlTx


def _array(rows: Any) -> str:
    return json.dumps(rows, separators=(",", ":"))


class SqliteTx(SqlTx):
    def put_changes(self, dataset_id: str, number: int,
                    rows: list[tuple[str, str, str | None]]) -> None:
        if rows:
            self._exec(
                "INSERT INTO draft_changes (dataset_id, number, segment, key, value)"
                " SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
                " json_extract(value, '$[2]') FROM json_each(?) WHERE true"
                " ON CONFLICT (dataset_id, number, segment, key)"
                " DO UPDATE SET value = excluded.value",
                (dataset_id, number, _array(rows)))

    def grant_blobs(self, dataset_id: str, sizes: list[tuple[str, int | None]]) -> None:
        if sizes:
            self._exec(
                "INSERT INTO dataset_blobs (dataset_id, checksum, size)"
                " SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]')"
                " FROM json_each(?) WHERE true"
                " ON CONFLICT (dataset_id, checksum) DO UPDATE SET size = excluded.size"
                " WHERE dataset_blobs.size IS NULL AND excluded.size IS NOT NULL",
                (dataset_id, _array(sizes)))

    def blob_sizes(self, dataset_id: str, checksums: list[str]) -> dict[str, int | None]:
        if not checksums:
            return {}
        row = self._one(
            "SELECT json_group_array(json_array(b.checksum, b.size))"
            " FROM json_each(?) AS asked CROSS JOIN dataset_blobs AS b"  # one key lookup each
            " ON b.dataset_id = ? AND b.checksum = asked.value",
            _array(checksums), dataset_id)
        assert row is not None  # an aggregate always gives one row
        return {str(checksum): size for checksum, size in json.loads(row[0])}
