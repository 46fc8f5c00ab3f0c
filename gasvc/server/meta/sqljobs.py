"""Jobs' rows, in SQL both stores accept: add, read, list, change, and the claim by a worker.

A worker claims a job by compare-and-swap (an UPDATE whose WHERE repeats what it read), so two
instances on one database never both run a job; the claim holds a lease the worker renews while
it runs. A PROCESSING job whose lease ran out (its worker died) is claimed again.
"""

from __future__ import annotations

import re
from typing import Any

from gasvc.server.meta.sqlbase import Page, SqlBase
from gasvc.server.records import Job

_JOB = ("id, dataset_id, type, title, description, arguments, status, error, result, author,"
        " created, started, finished, attempts")
_COLUMNS = {"status", "error", "result", "started", "finished", "worker", "lease", "attempts",
            "result_dropped"}
#: A commit id the server makes (uuid4().hex).
_HEX_ID = re.compile("[0-9a-f]{32}")
#: What a worker may claim: a queued job, or a running one whose worker stopped renewing it.
_CLAIMABLE = "(status = 'QUEUING' OR (status = 'PROCESSING' AND lease < ?))"


class JobRows(SqlBase):
    def add_job(self, job: Job, seq: int) -> None:
        self._exec(
            f"INSERT INTO jobs ({_JOB}, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job.id, job.dataset_id, job.type, job.title, job.description, job.arguments,
             job.status, job.error, job.result, job.author, job.created, job.started,
             job.finished, job.attempts, seq),
        )

    def job(self, dataset_id: str, job_id: str) -> Job | None:
        row = self._one(f"SELECT {_JOB} FROM jobs WHERE dataset_id = ? AND id = ?",
                        dataset_id, job_id)
        return Job(*row) if row else None

    def job_by_id(self, job_id: str) -> Job | None:
        row = self._one(f"SELECT {_JOB} FROM jobs WHERE id = ?", job_id)
        return Job(*row) if row else None

    def list_jobs(self, dataset_id: str, job_type: str, status: str | None, offset: int,
                  limit: int) -> Page:
        where, args = "dataset_id = ? AND type = ?", [dataset_id, job_type]
        if status is not None:
            where, args = where + " AND status = ?", [*args, status]
        rows = self._all(f"SELECT {_JOB} FROM jobs WHERE {where} ORDER BY seq DESC, id"
                         " LIMIT ? OFFSET ?", *args, limit, offset)
        return [Job(*r) for r in rows], self._count(f"SELECT COUNT(*) FROM jobs WHERE {where}",
                                                    *args)

    def update_job(self, job_id: str, expect: tuple[str, ...] | None = None,
                   holder: str | None = None, **fields: Any) -> bool:
        """Set `fields`; only while the job's status is one of `expect` (and, given `holder`,
        while that worker holds it). False when the job was not in that state."""
        assert set(fields) <= _COLUMNS
        sets = ", ".join(f"{name} = ?" for name in fields)
        where, args = "id = ?", [job_id]
        if expect is not None:
            where += f" AND status IN ({', '.join('?' * len(expect))})"
            args += list(expect)
        if holder is not None:
            where, args = where + " AND worker = ?", [*args, holder]
        cur = self._exec(f"UPDATE jobs SET {sets} WHERE {where}", (*fields.values(), *args))
        return bool(cur.rowcount > 0)

    def search_results(self, dataset_id: str) -> list[Job]:
        """The dataset's basic searches that have a result not dropped yet (`result_dropped`),
        the newest result first."""
        rows = self._all(f"SELECT {_JOB} FROM jobs WHERE dataset_id = ? AND type = ?"
                         " AND status = 'SUCCESS' AND result IS NOT NULL AND result_dropped = 0"
                         " ORDER BY finished DESC, seq DESC", dataset_id, "basicSearch")
        return [Job(*r) for r in rows]

    def search_of_result(self, dataset_id: str, commit_id: str) -> Job | None:
        """The basic search whose result is the commit `commit_id` (None for an id the server
        never makes: only hex digits are matched, which LIKE takes as they are)."""
        if not _HEX_ID.fullmatch(commit_id):
            return None
        row = self._one(f"SELECT {_JOB} FROM jobs WHERE dataset_id = ? AND type = ?"
                        " AND result LIKE ? LIMIT 1", dataset_id, "basicSearch",
                        f'%"{commit_id}"%')
        return Job(*row) if row else None

    def delete_job(self, dataset_id: str, job_id: str) -> bool:
        cur = self._exec("DELETE FROM jobs WHERE dataset_id = ? AND id = ?", (dataset_id, job_id))
        return bool(cur.rowcount > 0)

    def claimable(self, now: int) -> bool:
        return self._one(f"SELECT 1 FROM jobs WHERE {_CLAIMABLE} LIMIT 1", now) is not None

    def claim_job(self, worker: str, now: int, lease: int) -> tuple[Job, bool] | None:
        """The oldest claimable job, now PROCESSING under `worker` until `lease`, and whether a
        worker held it before (it was interrupted); None when there is none (or another
        worker claimed it first)."""
        row = self._one(f"SELECT id, status FROM jobs WHERE {_CLAIMABLE} ORDER BY seq LIMIT 1",
                        now)
        if row is None:
            return None
        job_id, status = str(row[0]), str(row[1])
        cur = self._exec(
            "UPDATE jobs SET status = 'PROCESSING', worker = ?, lease = ?, attempts = attempts + 1,"
            f" started = COALESCE(started, ?) WHERE id = ? AND status = ? AND {_CLAIMABLE}",
            (worker, lease, now, job_id, status, now),
        )
        if cur.rowcount == 0:
            return None
        found = self._one(f"SELECT {_JOB} FROM jobs WHERE id = ?", job_id)
        assert found is not None
        return Job(*found), status == "PROCESSING"
