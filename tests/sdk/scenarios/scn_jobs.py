"""Jobs through the unmodified SDK: squash-and-merge with each strategy, and the job calls
(create, get, list, abort, retry, delete). Spec 2.13 and 3.16.

The history every merge scenario starts from (segment "Segment1", one box per file, instance 1):
- base (main): hello0..3, category "cat", attribute occluded False;
- dev: hello0..3 recategorised "dog", hello4..9 added ("dog");
- main after base: hello0 occluded True (a field dev did not touch), hello1 category "bird"
  (a true conflict with dev's "dog").
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from tensorbay import GAS
from tensorbay.client.dataset import DatasetClient
from tensorbay.dataset import Data
from tensorbay.exception import ForbiddenError, ResourceNotExistError
from tensorbay.label import LabeledBox2D

SEGMENT = "Segment1"


def box(category: str, occluded: bool) -> LabeledBox2D:
    return LabeledBox2D(1, 2, 3, 4, category=category, attributes={"occluded": occluded},
                        instance="1")


def upload(client: DatasetClient, labels: dict[str, tuple[str, bool]]) -> None:
    """Upload (or relabel) files hello<N>.txt with one box each into the open draft."""
    root = Path(tempfile.mkdtemp(prefix="scn_jobs_"))
    segment = client.get_or_create_segment(SEGMENT)
    for name, (category, occluded) in labels.items():
        path = root / name
        path.write_bytes(f"content of {name}".encode())
        data = Data(str(path), target_remote_path=name)
        data.label.box2d = [box(category, occluded)]
        segment.upload_data(data)


def history(gas: GAS, name: str) -> DatasetClient:
    client = gas.create_dataset(name)
    client.create_draft("base")
    upload(client, {f"hello{i}.txt": ("cat", False) for i in range(4)})
    client.commit("base")
    client.create_branch("dev")
    client.create_draft("dev work")
    upload(client, {f"hello{i}.txt": ("dog", False) for i in range(10)})
    client.commit("dev work")
    client.checkout("main")
    client.create_draft("main work")
    upload(client, {"hello0.txt": ("cat", True), "hello1.txt": ("bird", False)})
    client.commit("main work")
    return client


def finished(job: Any, timeout: float = 60) -> Any:
    """Poll the job until it leaves QUEUING/PROCESSING."""
    deadline = time.monotonic() + timeout
    job.update()
    while job.status in ("QUEUING", "PROCESSING"):
        assert time.monotonic() < deadline, f"job still {job.status}"
        time.sleep(0.2)
        job.update()
    return job


def labels(client: DatasetClient) -> dict[str, tuple[str, bool]]:
    found = {}
    for data in client.get_segment(SEGMENT).list_data():
        (only,) = data.label.box2d
        found[data.path] = (only.category, only.attributes["occluded"])
    return found


def merge(client: DatasetClient, strategy: str) -> Any:
    job = client.squash_and_merge.create_job(
        draft_title=f"merge by {strategy}", source_branch_name="dev",
        target_branch_name="main", strategy=strategy, draft_description="merged")
    assert job.status == "QUEUING" and job.job_id
    return finished(job)


def squash_override(gas: GAS, gas_other: GAS) -> None:
    client = history(gas, "jobs_override")
    job = merge(client, "override")
    assert job.status == "SUCCESS", job.error_message
    draft = job.result
    assert draft.title == "merge by override" and draft.branch_name == "main"
    assert draft.status == "OPEN"
    client.checkout(draft_number=draft.number)
    found = labels(client)
    assert found["hello0.txt"] == ("dog", True)  # dev's category, main's attribute: both kept
    assert found["hello1.txt"] == ("dog", False)  # the conflict: the source wins
    assert found["hello2.txt"] == ("dog", False)
    assert sorted(found) == sorted(f"hello{i}.txt" for i in range(10))
    client.commit("merged")
    assert client.get_commit().description.endswith("Merged-from: "
                                                    + client.get_branch("dev").commit_id)


def squash_skip(gas: GAS, gas_other: GAS) -> None:
    client = history(gas, "jobs_skip")
    job = merge(client, "skip")
    assert job.status == "SUCCESS", job.error_message
    client.checkout(draft_number=job.result.number)
    found = labels(client)
    assert found["hello0.txt"] == ("dog", True)
    assert found["hello1.txt"] == ("bird", False)  # the conflict: the target wins
    assert found["hello9.txt"] == ("dog", False)


def squash_abort(gas: GAS, gas_other: GAS) -> None:
    client = history(gas, "jobs_abort")
    drafts_before = len(list(client.list_drafts(status="ALL")))
    job = merge(client, "abort")
    assert job.status == "FAILED"
    assert "Segment1/hello1.txt" in job.error_message, job.error_message
    assert "hello0.txt" not in job.error_message  # merged field by field: no conflict
    assert job.result is None
    assert len(list(client.list_drafts(status="ALL"))) == drafts_before


def squash_twice(gas: GAS, gas_other: GAS) -> None:
    """Merged and committed, then merged again: the base is the first merge, no conflict."""
    client = history(gas, "jobs_twice")
    job = merge(client, "override")
    client.checkout(draft_number=job.result.number)
    client.commit("merged")
    again = merge(client, "abort")
    assert again.status == "SUCCESS", again.error_message


def job_calls(gas: GAS, gas_other: GAS) -> None:
    """Against a server running no job worker: jobs stay QUEUING until aborted."""
    client = history(gas, "jobs_calls")
    smj = client.squash_and_merge
    first = smj.create_job(draft_title="one", source_branch_name="dev",
                           target_branch_name="main", strategy="skip")
    second = smj.create_job(title="custom", draft_title="two", source_branch_name="dev",
                            target_branch_name="main", strategy="override")
    got = smj.get_job(first.job_id)
    assert got.status == "QUEUING" and got.title == "dev->main(skip)"
    assert got.arguments["strategy"] == "skip"
    assert [j.job_id for j in smj.list_jobs()] == [second.job_id, first.job_id]
    assert len(smj.list_jobs(status="QUEUING")) == 2
    try:
        smj.delete_job(first.job_id)
        raise AssertionError("deleting a queued job must be refused")
    except ForbiddenError:
        pass
    first.abort()
    first.update()
    assert first.status == "ABORTED" and first.finished_at is not None
    assert [j.job_id for j in smj.list_jobs(status="ABORTED")] == [first.job_id]
    first.retry()
    first.update()
    assert first.status == "QUEUING" and first.finished_at is None
    for job in (first, second):
        job.abort()
        smj.delete_job(job.job_id)
    assert len(smj.list_jobs()) == 0
    try:
        smj.get_job(first.job_id)
        raise AssertionError("a deleted job must be gone")
    except ResourceNotExistError:
        pass
    assert len(client.basic_search.list_jobs()) == 0


def job_created_queued(gas: GAS, gas_other: GAS) -> None:
    """Creates a job on a server running no worker (the restart test runs it later)."""
    client = history(gas, "jobs_restart")
    client.squash_and_merge.create_job(draft_title="after restart", source_branch_name="dev",
                                       target_branch_name="main", strategy="override")


def job_done_after_restart(gas: GAS, gas_other: GAS) -> None:
    client = gas.get_dataset("jobs_restart")
    (job,) = client.squash_and_merge.list_jobs()
    job = finished(job)
    assert job.status == "SUCCESS", job.error_message
    client.checkout(draft_number=job.result.number)
    assert labels(client)["hello1.txt"] == ("dog", False)


def job_failed_after_restarts(gas: GAS, gas_other: GAS) -> None:
    client = gas.get_dataset("jobs_restart")
    (job,) = client.squash_and_merge.list_jobs()
    job = finished(job)
    assert job.status == "FAILED" and "interrupted" in job.error_message, job.error_message
    assert job.result is None


def many_jobs_once_each(gas: GAS, gas_other: GAS) -> None:
    """Six merges queued at once, run by whichever instances claim them: each job makes
    exactly one draft (a job run twice would make two)."""
    client = history(gas, "jobs_many")
    jobs = [client.squash_and_merge.create_job(
        draft_title=f"merge {index}", source_branch_name="dev", target_branch_name="main",
        strategy="override") for index in range(6)]
    numbers = []
    for job in jobs:
        done = finished(job)
        assert done.status == "SUCCESS", done.error_message
        numbers.append(done.result.number)
    merges = [d for d in client.list_drafts(status="OPEN") if d.title.startswith("merge ")]
    assert sorted(d.number for d in merges) == sorted(numbers)
    assert sorted(d.title for d in merges) == [f"merge {index}" for index in range(6)]
