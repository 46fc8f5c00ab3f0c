"""A dataset keeps the results of its latest five searches (engine/search.py): each new search
drops the result that fell out of the window and marks its job, so no search looks at a
result dealt with before. A real server, searched over raw HTTP; the jobs' rows read from its
database."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rawapi import RawApi
from serverproc import ServerProcess

from gasvc.server.engine.search import KEPT_RESULTS

SEARCHES = KEPT_RESULTS + 4


@pytest.fixture
def api(server: ServerProcess, alice: str) -> Iterator[RawApi]:
    with RawApi(server.api, alice, server.verify) as opened:
        yield opened


def search(api: RawApi, dataset_id: str, commit_id: str) -> dict[str, Any]:
    """Run a basic search to its end; the finished job."""
    body = {"title": "search", "jobType": "basicSearch", "arguments": {
        "commit": commit_id, "conjunction": "and", "unit": "file",
        "filters": [{"key": "size", "operator": ">", "value": 0}]}}
    job_id = api.call("POST", f"datasets/{dataset_id}/jobs", json=body)["jobId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.call("GET", f"datasets/{dataset_id}/jobs/{job_id}",
                                       params={"jobType": "basicSearch"})
        if job["status"] not in ("QUEUING", "PROCESSING"):
            assert job["status"] == "SUCCESS", job
            return job
        time.sleep(0.05)
    raise AssertionError(f"search job {job_id} did not finish")


def marks(server: ServerProcess, dataset_id: str) -> dict[str, int]:
    """Each search job's `result_dropped`, as the server recorded it."""
    with sqlite3.connect(f"file:{server.data_dir / 'meta.sqlite'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT id, result_dropped FROM jobs WHERE dataset_id = ?",
                          (dataset_id,)).fetchall()
    return {str(job_id): int(dropped) for job_id, dropped in rows}


def readable(api: RawApi, dataset_id: str, job: dict[str, Any]) -> bool:
    response = api.request("GET", f"datasets/{dataset_id}/segments",
                           params={"commit": job["result"]["searchResultCommitId"]})
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_each_search_drops_and_marks_only_the_result_that_left_the_window(
        server: ServerProcess, api: RawApi) -> None:
    dataset_id = api.create_dataset("kept_results")
    number = api.create_draft(dataset_id)
    api.create_segment(dataset_id, number, "s")
    api.upload_file(dataset_id, number, "s", "a.txt", b"a file to find")
    commit_id = api.commit(dataset_id, number)
    jobs: list[dict[str, Any]] = []
    for count in range(1, SEARCHES + 1):
        jobs.append(search(api, dataset_id, commit_id))
        dropped = max(0, count - KEPT_RESULTS)
        # the results a next search looks at: the kept ones, never one dealt with before
        assert [marks(server, dataset_id)[job["jobId"]] for job in jobs] == (
            [1] * dropped + [0] * (count - dropped))
    assert [readable(api, dataset_id, job) for job in jobs] == (
        [False] * (SEARCHES - KEPT_RESULTS) + [True] * KEPT_RESULTS)
    listed = api.call("GET", f"datasets/{dataset_id}/jobs",
                      params={"jobType": "basicSearch", "limit": 128})
    assert listed["totalCount"] == SEARCHES  # the jobs stay, with their result ids
    assert all("result" in job for job in listed["jobs"])


def test_the_results_not_dropped_are_found_by_an_index(server: ServerProcess) -> None:
    """The query a new search runs reads the results not marked yet through the partial index
    that holds only them, however many searches the dataset ran."""
    with sqlite3.connect(f"file:{server.data_dir / 'meta.sqlite'}?mode=ro", uri=True) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE dataset_id = ? AND type = ?"
            " AND status = 'SUCCESS' AND result IS NOT NULL AND result_dropped = 0"
            " ORDER BY finished DESC, seq DESC", ("d", "basicSearch")).fetchall()
    assert any("jobs_live_results" in str(row[-1]) for row in plan), plan


def test_a_tagged_result_is_kept_and_marked_all_the_same(server: ServerProcess, api: RawApi
                                                         ) -> None:
    dataset_id = api.create_dataset("tagged_result")
    number = api.create_draft(dataset_id)
    api.create_segment(dataset_id, number, "s")
    api.upload_file(dataset_id, number, "s", "a.txt", b"a file to tag")
    commit_id = api.commit(dataset_id, number)
    tagged = search(api, dataset_id, commit_id)
    api.call("POST", f"datasets/{dataset_id}/tags", json={
        "name": "found", "commit": tagged["result"]["searchResultCommitId"]})
    jobs = [tagged] + [search(api, dataset_id, commit_id) for _ in range(KEPT_RESULTS + 1)]
    assert [marks(server, dataset_id)[job["jobId"]] for job in jobs] == [1, 1] + [0] * 5
    assert [readable(api, dataset_id, job) for job in jobs] == [True, False] + [True] * 5

