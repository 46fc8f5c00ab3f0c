"""The job worker inside a server: a thread that claims queued jobs one at a time and runs them,
renewing its lease while a job runs (so another instance takes the job over only if this one
dies). No external queue: the jobs table is the queue (meta/sqljobs.py)."""

from __future__ import annotations

import logging
import threading
import uuid

from gasvc.server.engine.jobs import Jobs
from gasvc.server.records import Job

log = logging.getLogger("gasvc.server.jobs")


class JobWorker:
    def __init__(self, jobs: Jobs, lease: float, poll: float) -> None:
        self.jobs = jobs
        self.lease = lease
        self.poll = poll
        self.name = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gasvc-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.jobs.claim(self.name, self.lease)
            except Exception:
                log.exception("claiming a job failed")
                job = None
            if job is None:
                self._stop.wait(self.poll)
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        """Run a claimed job, renewing its lease from another thread until it ends."""
        done = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(job, done), daemon=True)
        renewer.start()
        try:
            status = self.jobs.run(job, self.name)
            log.info("job %s (%s) of dataset %s: %s", job.id, job.type, job.dataset_id, status)
        except Exception as error:
            log.exception("job %s failed", job.id)
            try:
                self.jobs.fail(job, self.name, f"the server failed running the job: {error}")
            except Exception:
                log.exception("recording the failure of job %s failed", job.id)
        finally:
            done.set()
            renewer.join()

    def _renew(self, job: Job, done: threading.Event) -> None:
        while not done.wait(self.lease / 3):
            try:
                if not self.jobs.renew(job, self.name, self.lease):
                    return
            except Exception:
                log.exception("renewing the lease of job %s failed", job.id)
