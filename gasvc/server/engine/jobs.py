"""Jobs (spec 2.13, 3.16): created QUEUING, run by a worker inside a server (jobworker.py):
PROCESSING, then SUCCESS, FAILED or ABORTED.

A job's whole effect (the merge draft) and its SUCCESS are written in one transaction, and only
while the job is still PROCESSING under the worker that runs it: an aborted job, or one another
worker took over after this one lost its lease, changes nothing. A job interrupted (its worker
died) is claimed again by any instance, up to `MAX_ATTEMPTS` runs, then FAILED.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from gasvc.errors import Forbidden, InvalidParams, ParamsMissing, ResourceNotExist, WireError
from gasvc.server.engine import search, squash
from gasvc.server.engine.context import Context, dataset_lock
from gasvc.server.engine.datasets import user_lock
from gasvc.server.meta import MetaTx
from gasvc.server.params import MAX_DESCRIPTION, MAX_TITLE, check_text
from gasvc.server.records import Dataset, Job, User

JOB_TYPES = ("squashAndMerge", "basicSearch")
STATUSES = ("QUEUING", "PROCESSING", "SUCCESS", "FAILED", "ABORTED")
RUNNING = ("QUEUING", "PROCESSING")
#: Runs of one job at most (a job whose worker dies each time is failed, not retried forever).
MAX_ATTEMPTS = 3
#: Seconds of lease a job's final transaction takes at least (it may outlast a renewal).
LEASE_FLOOR = 60


def job_info(job: Job) -> dict[str, Any]:
    info: dict[str, Any] = {
        "title": job.title, "jobId": job.id, "jobType": job.type,
        "arguments": json.loads(job.arguments), "createdAt": job.created,
        "status": job.status, "errorMessage": job.error, "description": job.description,
    }
    if job.started is not None:
        info["startedAt"] = job.started
    if job.finished is not None:
        info["finishedAt"] = job.finished
    if job.result is not None:
        info["result"] = json.loads(job.result)
    return info


class Jobs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # the API ---------------------------------------------------------------------------
    def create(self, user: User, dataset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        job_type = _job_type(body.get("jobType"))
        arguments = body.get("arguments")
        if not isinstance(arguments, dict):
            raise ParamsMissing("arguments is required (an object)")
        title = check_text(body.get("title"), "title", MAX_TITLE)
        description = check_text(body.get("description"), "description", MAX_DESCRIPTION)
        if job_type == "squashAndMerge":
            squash.check_arguments(arguments)
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            if job_type == "basicSearch":
                search.check_arguments(self.ctx, tx, dataset, arguments)
            now = self.ctx.now()
            job = Job(uuid.uuid4().hex, dataset.id, job_type, title or "", description or "",
                      json.dumps(arguments), "QUEUING", "", None, user.name, now, None, None)
            tx.add_job(job, time.time_ns() // 1000)
        return {"jobId": job.id, "createdAt": job.created}

    def get(self, user: User, dataset_id: str, job_id: str, job_type: str | None
            ) -> dict[str, Any]:
        with self.ctx.meta.read() as tx:
            return job_info(self._job(tx, user, dataset_id, job_id, job_type))

    def list(self, user: User, dataset_id: str, job_type: str | None, status: str | None,
             offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        kind = _job_type(job_type)
        if status is not None and status not in STATUSES:
            raise InvalidParams(f"invalid job status {status!r}", f"use one of {STATUSES}")
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            jobs, total = tx.list_jobs(dataset.id, kind, status, offset, limit)
        return [job_info(j) for j in jobs], total

    def delete(self, user: User, dataset_id: str, job_id: str, job_type: str | None) -> None:
        with self.ctx.meta.write() as tx:
            self.ctx.writable(tx, user, dataset_id)
            job = self._job(tx, user, dataset_id, job_id, job_type)
            if job.status in RUNNING:
                raise Forbidden(f"job {job_id} is {job.status}", "abort it before deleting it")
            tx.delete_job(job.dataset_id, job.id)

    def abort(self, user: User, dataset_id: str, job_id: str, job_type: str | None) -> None:
        with self.ctx.meta.write() as tx:
            self.ctx.writable(tx, user, dataset_id)
            job = self._job(tx, user, dataset_id, job_id, job_type)
            if not tx.update_job(job.id, RUNNING, status="ABORTED",
                                 finished=self.ctx.now()):
                raise Forbidden(f"job {job_id} is {job.status}; only a queued or running job"
                                " can be aborted")

    def search_dataset(self, user: User, job_id: str, body: dict[str, Any]) -> None:
        """`POST searchResults/{jobId}/datasets`: a new dataset of a search job's result."""
        with self.ctx.meta.write() as tx:
            tx.lock(user_lock(user.id))
            job = tx.job_by_id(job_id)
            if job is None:
                raise ResourceNotExist(f"job {job_id!r} does not exist")
            search.materialize(self.ctx, tx, user, job, body)

    def retry(self, user: User, dataset_id: str, job_id: str, job_type: str | None) -> None:
        with self.ctx.meta.write() as tx:
            self.ctx.writable(tx, user, dataset_id)
            job = self._job(tx, user, dataset_id, job_id, job_type)
            if not tx.update_job(job.id, ("FAILED", "ABORTED"), status="QUEUING", error="",
                                 result=None, started=None, finished=None, worker="",
                                 lease=0, attempts=0):
                raise Forbidden(f"job {job_id} is {job.status}; only a failed or aborted job"
                                " can be retried")

    def _job(self, tx: MetaTx, user: User, dataset_id: str, job_id: str,
             job_type: str | None) -> Job:
        dataset = self.ctx.readable(tx, user, dataset_id)
        job = tx.job(dataset.id, job_id)
        if job is None or (job_type is not None and job.type != job_type):
            raise ResourceNotExist(f"job {job_id!r} does not exist in dataset {dataset.name!r}")
        return job

    # the worker's side -----------------------------------------------------------------
    def claim(self, worker: str, lease: float) -> Job | None:
        """The next job to run, now held by `worker`; an interrupted job that ran too often
        is failed instead."""
        with self.ctx.meta.read() as tx:
            if not tx.claimable(self.ctx.now()):
                return None

        def claim(tx: MetaTx) -> Job | None:
            now = self.ctx.now()
            found = tx.claim_job(worker, now, int(now + lease))
            if found is None:
                return None
            job, interrupted = found
            if interrupted and job.attempts > MAX_ATTEMPTS:
                tx.update_job(job.id, ("PROCESSING",), worker, status="FAILED", finished=now,
                              error=f"the job was interrupted {MAX_ATTEMPTS} times (its "
                              "server stopped while running it); retry it")
                return None
            return job

        return self.ctx.meta.run(claim)

    def renew(self, job: Job, worker: str, lease: float) -> bool:
        """Extend the worker's hold on a running job; False once it lost it (aborted)."""
        return self.ctx.meta.run(lambda tx: tx.update_job(
            job.id, ("PROCESSING",), worker, lease=int(self.ctx.now() + lease)))

    def run(self, job: Job, worker: str) -> str:
        """Run a claimed job and record how it ended: SUCCESS or FAILED, or "lost" when it
        was aborted (or taken over by another worker) meanwhile and nothing was written."""
        def run(tx: MetaTx) -> str:
            tx.lock(dataset_lock(job.dataset_id))
            if not tx.update_job(job.id, ("PROCESSING",), worker,
                                 lease=int(self.ctx.now() + LEASE_FLOOR)):
                return "lost"
            dataset = self.job_dataset(tx, job)
            if found is not None:
                result = search.save_result(self.ctx, tx, dataset, job, found)
            else:
                result = squash.squash_and_merge(self.ctx, tx, dataset, job.author, arguments)
            tx.update_job(job.id, ("PROCESSING",), worker, status="SUCCESS",
                          result=json.dumps(result), finished=self.ctx.now())
            if found is not None:
                search.drop_old_results(tx, dataset)
            return "SUCCESS"

        arguments = json.loads(job.arguments)
        found: search.Matches | None = None
        try:
            if job.type == "basicSearch":  # scanned on a snapshot, written briefly
                with self.ctx.meta.read() as tx:
                    dataset = self.job_dataset(tx, job)
                    found = search.find_matches(self.ctx, tx, dataset, arguments)
            return self.ctx.meta.run(run)
        except WireError as error:
            return self.fail(job, worker, str(error.message))

    @staticmethod
    def job_dataset(tx: MetaTx, job: Job) -> Dataset:
        dataset = tx.dataset(job.dataset_id)
        if dataset is None:
            raise ResourceNotExist("the job's dataset no longer exists")
        return dataset

    def fail(self, job: Job, worker: str, message: str) -> str:
        failed = self.ctx.meta.run(lambda tx: tx.update_job(
            job.id, ("PROCESSING",), worker, status="FAILED", error=message,
            finished=self.ctx.now()))
        return f"FAILED: {message}" if failed else "lost"


def _job_type(value: Any) -> str:
    if value not in JOB_TYPES:
        raise InvalidParams(f"invalid jobType {value!r}", f"use one of {JOB_TYPES}")
    return str(value)
