"""Branches, tags, commits, drafts and a draft's pending changes, in SQL both stores accept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gasvc.server.meta.sqlbase import Page, SqlBase, name_filter
from gasvc.server.records import Commit, Draft, Ref


class VersionRows(SqlBase):
    # branches and tags: the same shape in two tables ---------------------------------------
    def branch(self, dataset_id: str, name: str) -> Ref | None:
        return self._ref("branches", dataset_id, name)

    def tag(self, dataset_id: str, name: str) -> Ref | None:
        return self._ref("tags", dataset_id, name)

    def list_branches(self, dataset_id: str, name: str | None, offset: int, limit: int,
                      exact: bool = False) -> Page:
        return self._list_refs("branches", dataset_id, name, offset, limit, exact)

    def list_tags(self, dataset_id: str, name: str | None, offset: int, limit: int,
                  exact: bool = False) -> Page:
        return self._list_refs("tags", dataset_id, name, offset, limit, exact)

    def add_branch(self, dataset_id: str, name: str, commit_id: str) -> None:
        self._exec("INSERT INTO branches VALUES (?, ?, ?)", (dataset_id, name, commit_id))

    def add_tag(self, dataset_id: str, name: str, commit_id: str) -> None:
        self._exec("INSERT INTO tags VALUES (?, ?, ?)", (dataset_id, name, commit_id))

    def delete_branch(self, dataset_id: str, name: str) -> bool:
        cur = self._exec("DELETE FROM branches WHERE dataset_id = ? AND name = ?",
                         (dataset_id, name))
        return bool(cur.rowcount > 0)

    def delete_tag(self, dataset_id: str, name: str) -> bool:
        cur = self._exec("DELETE FROM tags WHERE dataset_id = ? AND name = ?", (dataset_id, name))
        return bool(cur.rowcount > 0)

    def tags_at(self, dataset_id: str, commit_id: str) -> list[str]:
        rows = self._all("SELECT name FROM tags WHERE dataset_id = ? AND commit_id = ?"
                         " ORDER BY name", dataset_id, commit_id)
        return [str(r[0]) for r in rows]

    def move_branch(self, dataset_id: str, name: str, expected: str, new: str) -> bool:
        """Compare-and-swap a branch head; False when it no longer points at `expected`."""
        cur = self._exec(
            "UPDATE branches SET commit_id = ? WHERE dataset_id = ? AND name = ? AND commit_id = ?",
            (new, dataset_id, name, expected),
        )
        return bool(cur.rowcount == 1)

    def _ref(self, table: str, dataset_id: str, name: str) -> Ref | None:
        row = self._one(f"SELECT name, commit_id FROM {table} WHERE dataset_id = ? AND name = ?",
                        dataset_id, name)
        return Ref(*row) if row else None

    def _list_refs(self, table: str, dataset_id: str, name: str | None, offset: int,
                   limit: int, exact: bool) -> Page:
        where, args, order = name_filter(name, exact)
        base = f"FROM {table} WHERE dataset_id = ?{where}"
        rows = self._all(
            f"SELECT name, commit_id {base} ORDER BY {order}name LIMIT ? OFFSET ?",
            dataset_id, *args, limit, offset,
        )
        total = self._count(f"SELECT COUNT(*) {base}", dataset_id, *args[:-1] if order else args)
        return [Ref(*r) for r in rows], total

    # commits ------------------------------------------------------------------------------
    _COMMIT = "id, parent_id, root, title, description, committer, date, depth"

    def add_commit(self, dataset_id: str, c: Commit) -> None:
        self._exec(
            f"INSERT INTO commits (dataset_id, {self._COMMIT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dataset_id, c.id, c.parent_id, c.root, c.title, c.description, c.committer, c.date,
             c.depth),
        )

    def commit(self, dataset_id: str, commit_id: str) -> Commit | None:
        row = self._one(
            f"SELECT {self._COMMIT} FROM commits WHERE dataset_id = ? AND id = ?",
            dataset_id, commit_id,
        )
        return Commit(*row) if row else None

    def drop_unused_commit(self, dataset_id: str, commit_id: str) -> bool:
        """Delete a commit nothing is built on (no branch, tag, draft or commit names it);
        False when something does, or it is gone already."""
        cur = self._exec(
            "DELETE FROM commits WHERE dataset_id = ? AND id = ?"
            " AND NOT EXISTS (SELECT 1 FROM branches WHERE dataset_id = ? AND commit_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM tags WHERE dataset_id = ? AND commit_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM drafts WHERE dataset_id = ? AND parent_commit = ?)"
            " AND NOT EXISTS (SELECT 1 FROM commits c WHERE c.dataset_id = ?"
            " AND c.parent_id = ?)", (dataset_id, commit_id) * 5)
        return bool(cur.rowcount > 0)

    def commits_with_prefix(self, dataset_id: str, prefix: str, limit: int = 2) -> list[Commit]:
        rows = self._all(
            f"SELECT {self._COMMIT} FROM commits WHERE dataset_id = ? AND id >= ? AND id < ?"
            " ORDER BY id LIMIT ?",
            dataset_id, prefix, prefix + "g", limit,
        )
        return [Commit(*r) for r in rows]

    def ancestors(self, dataset_id: str, commit_id: str, offset: int, limit: int) -> list[Commit]:
        """`commit_id` and its ancestors, newest first (the ROOT commit is not stored).

        The walk stops after `offset + limit` commits by a bound on its depth (PostgreSQL
        takes no LIMIT inside a recursive query)."""
        columns = ", ".join("c." + f for f in self._COMMIT.split(", "))
        rows = self._all(
            "WITH RECURSIVE chain(id, n) AS ("
            " SELECT id, 0 FROM commits WHERE dataset_id = ? AND id = ?"
            " UNION ALL SELECT c.parent_id, chain.n + 1 FROM commits c JOIN chain"
            " ON c.dataset_id = ? AND c.id = chain.id WHERE chain.n + 1 < ?)"
            f" SELECT {columns} FROM chain JOIN commits c ON c.dataset_id = ? AND c.id = chain.id"
            " ORDER BY chain.n LIMIT ? OFFSET ?",
            dataset_id, commit_id, dataset_id, offset + limit, dataset_id, limit, offset,
        )
        return [Commit(*r) for r in rows]

    # drafts -------------------------------------------------------------------------------
    _DRAFT = (
        "number, branch, parent_commit, title, description, status, author, created, updated,"
        " state"
    )

    def add_draft(self, dataset_id: str, d: Draft) -> None:
        self._exec(
            f"INSERT INTO drafts (dataset_id, {self._DRAFT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?)",
            (dataset_id, d.number, d.branch, d.parent_commit, d.title, d.description, d.status,
             d.author, d.created, d.updated, d.state),
        )

    def draft(self, dataset_id: str, number: int) -> Draft | None:
        row = self._one(
            f"SELECT {self._DRAFT} FROM drafts WHERE dataset_id = ? AND number = ?",
            dataset_id, number,
        )
        return Draft(*row) if row else None

    def list_drafts(
        self, dataset_id: str, status: str | None, branch: str | None, offset: int, limit: int
    ) -> Page:
        where, args = "", list[Any]()
        if status is not None:
            where, args = where + " AND status = ?", [*args, status]
        if branch is not None:
            where, args = where + " AND branch = ?", [*args, branch]
        base = f"FROM drafts WHERE dataset_id = ?{where}"
        rows = self._all(
            f"SELECT {self._DRAFT} {base} ORDER BY number LIMIT ? OFFSET ?",
            dataset_id, *args, limit, offset,
        )
        return [Draft(*r) for r in rows], self._count(f"SELECT COUNT(*) {base}", dataset_id, *args)

    def update_draft(self, dataset_id: str, number: int, **fields: Any) -> None:
        allowed = {"title", "description", "status", "updated", "state"}
        assert set(fields) <= allowed
        sets = ", ".join(f"{key} = ?" for key in fields)
        self._exec(
            f"UPDATE drafts SET {sets} WHERE dataset_id = ? AND number = ?",
            (*fields.values(), dataset_id, number),
        )

    # draft changes: the mutable overlay of a draft on its segment trees -------------------
    def put_change(
        self, dataset_id: str, number: int, segment: str, key: str, value: str | None
    ) -> None:
        self._exec(
            "INSERT INTO draft_changes VALUES (?, ?, ?, ?, ?) ON CONFLICT"
            " (dataset_id, number, segment, key) DO UPDATE SET value = excluded.value",
            (dataset_id, number, segment, key, value),
        )

    def put_changes(
        self, dataset_id: str, number: int, rows: list[tuple[str, str, str | None]]
    ) -> None:
        self.execute_many(
            "INSERT INTO draft_changes VALUES (?, ?, ?, ?, ?) ON CONFLICT"
            " (dataset_id, number, segment, key) DO UPDATE SET value = excluded.value",
            [(dataset_id, number, segment, key, value) for segment, key, value in rows],
        )

    def change(
        self, dataset_id: str, number: int, segment: str, key: str
    ) -> tuple[bool, str | None]:
        """(found, value): value None with found True is a deletion."""
        row = self._one(
            "SELECT value FROM draft_changes WHERE dataset_id = ? AND number = ? AND segment = ?"
            " AND key = ?",
            dataset_id, number, segment, key,
        )
        return (True, row[0]) if row else (False, None)

    def changes(self, dataset_id: str, number: int, segment: str) -> Iterator[tuple[str, Any]]:
        """The pending changes of one segment, sorted by key."""
        cur = self._exec(
            "SELECT key, value FROM draft_changes WHERE dataset_id = ? AND number = ?"
            " AND segment = ? ORDER BY key",
            (dataset_id, number, segment),
        )
        yield from cur

    def changed_segments(self, dataset_id: str, number: int) -> list[str]:
        rows = self._all(
            "SELECT DISTINCT segment FROM draft_changes WHERE dataset_id = ? AND number = ?",
            dataset_id, number,
        )
        return [str(r[0]) for r in rows]

    def clear_changes(self, dataset_id: str, number: int, segment: str | None = None) -> None:
        if segment is None:
            self._exec(
                "DELETE FROM draft_changes WHERE dataset_id = ? AND number = ?",
                (dataset_id, number),
            )
        else:
            self._exec(
                "DELETE FROM draft_changes WHERE dataset_id = ? AND number = ? AND segment = ?",
                (dataset_id, number, segment),
            )
