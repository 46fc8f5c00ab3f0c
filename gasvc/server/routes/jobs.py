"""Jobs: squash-and-merge and basic search (spec 2.13)."""

from __future__ import annotations

from typing import Any

from gasvc.server.engine import Engine
from gasvc.server.http import paged

D = "/datasets/{dataset_id}"
J = D + "/jobs/{job_id}"


def routes(engine: Engine) -> list[tuple[str, str, Any]]:
    jobs = engine.jobs
    return [
        ("POST", D + "/jobs", lambda c: jobs.create(c.user, c.dataset_id, c.body)),
        ("GET", D + "/jobs", paged("jobs", lambda c, o, n: jobs.list(
            c.user, c.dataset_id, c.query.get("jobType"), c.query.get("status"), o, n))),
        ("GET", J, lambda c: jobs.get(c.user, c.dataset_id, c.path["job_id"],
                                      c.query.get("jobType"))),
        ("DELETE", J, lambda c: jobs.delete(c.user, c.dataset_id, c.path["job_id"],
                                            c.query.get("jobType"))),
        ("POST", J + "/abort", lambda c: jobs.abort(c.user, c.dataset_id, c.path["job_id"],
                                                    c.query.get("jobType"))),
        ("POST", "/searchResults/{job_id}/datasets",
         lambda c: jobs.search_dataset(c.user, c.path["job_id"], c.body)),
        ("POST", J + "/retry", lambda c: jobs.retry(c.user, c.dataset_id, c.path["job_id"],
                                                    c.query.get("jobType"))),
    ]
