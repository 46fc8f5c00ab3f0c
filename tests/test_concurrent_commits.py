"""Branches move by compare-and-swap: concurrent and stale commits never drop a commit.

Raw HTTP against a real server process (spec 3.5 and section 9 item 6: committing a draft whose
branch head moved since the draft was created is refused with `Forbidden`). Every thread gets
its own `RawApi`, i.e. its own HTTP session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import requests
from rawapi import RawApi, sha1
from serverproc import ServerProcess

RACERS = 8
T = TypeVar("T")


@pytest.fixture(scope="module")
def api(server: ServerProcess, alice: str) -> Iterator[RawApi]:
    with RawApi(server.api, alice, server.verify) as api:
        yield api


def race(server: ServerProcess, key: str, jobs: list[Callable[[RawApi], T]]) -> list[T]:
    """Run every job in a thread of its own, all released at once; results in job order."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[RawApi], T]) -> T:
        with RawApi(server.api, key, server.verify) as own:
            barrier.wait(timeout=30)
            return job(own)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def post_commit(api: RawApi, dataset_id: str, draft: int, title: str) -> requests.Response:
    return api.request("POST", f"datasets/{dataset_id}/commits",
                       json={"title": title, "draftNumber": draft})


def assert_forbidden(response: requests.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "Forbidden"


def branch_head(api: RawApi, dataset_id: str, branch: str) -> str:
    page = api.call("GET", f"datasets/{dataset_id}/branches",
                    params={"name": branch, "offset": 0, "limit": 128})
    assert [b["name"] for b in page["branches"]] == [branch]
    head: str = page["branches"][0]["commitId"]
    return head


def log(api: RawApi, dataset_id: str, revision: str) -> list[dict[str, Any]]:
    """Commits from `revision` down to the first, newest first."""
    page = api.call("GET", f"datasets/{dataset_id}/commits",
                    params={"commit": revision, "offset": 0, "limit": 128})
    commits: list[dict[str, Any]] = page["commits"]
    assert page["totalCount"] == len(commits)
    return commits


def draft_statuses(api: RawApi, dataset_id: str) -> dict[int, str]:
    page = api.call("GET", f"datasets/{dataset_id}/drafts",
                    params={"status": "ALL", "offset": 0, "limit": 128})
    return {d["number"]: d["status"] for d in page["drafts"]}


def committed_paths(api: RawApi, dataset_id: str, commit_id: str, segment: str) -> list[str]:
    page = api.call("GET", f"datasets/{dataset_id}/data", params={
        "segmentName": segment, "commit": commit_id, "offset": 0, "limit": 128})
    return [item["remotePath"] for item in page["data"]]


def dataset_with_base(api: RawApi, name: str) -> tuple[str, str]:
    """A dataset whose main holds one commit with segment `train` = {base.txt}."""
    dataset_id = api.create_dataset(name)
    draft = api.create_draft(dataset_id, "base")
    api.create_segment(dataset_id, draft, "train")
    api.upload_file(dataset_id, draft, "train", "base.txt", b"base")
    return dataset_id, api.commit(dataset_id, draft, "base")


def test_concurrent_commits_on_one_head_exactly_one_wins(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    dataset_id, old_head = dataset_with_base(api, "cc_race")
    drafts = [api.create_draft(dataset_id, f"racer {i}") for i in range(RACERS)]
    for i, draft in enumerate(drafts):
        api.upload_file(dataset_id, draft, "train", f"racer-{i}.txt", f"racer {i}".encode())

    def committer(i: int) -> Callable[[RawApi], requests.Response]:
        return lambda own: post_commit(own, dataset_id, drafts[i], f"racer {i}")

    responses = race(server, alice, [committer(i) for i in range(RACERS)])

    winners = [i for i, r in enumerate(responses) if r.status_code == 200]
    assert len(winners) == 1, [(r.status_code, r.text) for r in responses]
    (winner,) = winners
    for i, response in enumerate(responses):
        if i != winner:
            assert_forbidden(response)
    new_head = responses[winner].json()["commitId"]

    assert branch_head(api, dataset_id, "main") == new_head
    history = log(api, dataset_id, "main")
    assert [c["commitId"] for c in history] == [new_head, old_head]
    assert history[0]["parentCommitId"] == old_head
    assert history[0]["title"] == f"racer {winner}"
    assert committed_paths(api, dataset_id, new_head, "train") == [
        "base.txt", f"racer-{winner}.txt"]
    statuses = draft_statuses(api, dataset_id)
    assert statuses[drafts[winner]] == "COMMITTED"
    assert all(statuses[d] == "OPEN" for i, d in enumerate(drafts) if i != winner)

    # a loser stays stale; a draft made from the new head commits on top of the winner
    assert_forbidden(post_commit(api, dataset_id, drafts[(winner + 1) % RACERS], "retry"))
    follow_up = api.create_draft(dataset_id, "follow-up")
    api.upload_file(dataset_id, follow_up, "train", "after.txt", b"after")
    after = api.commit(dataset_id, follow_up, "follow-up")
    assert [c["commitId"] for c in log(api, dataset_id, "main")] == [after, new_head, old_head]
    assert committed_paths(api, dataset_id, after, "train") == [
        "after.txt", "base.txt", f"racer-{winner}.txt"]


def test_second_draft_on_the_same_base_is_stale(api: RawApi) -> None:
    dataset_id, base = dataset_with_base(api, "cc_stale")
    first = api.create_draft(dataset_id, "first")
    second = api.create_draft(dataset_id, "second")
    api.upload_file(dataset_id, second, "train", "second.txt", b"second")
    head = api.commit(dataset_id, first, "first")

    assert_forbidden(post_commit(api, dataset_id, second, "second"))
    assert branch_head(api, dataset_id, "main") == head
    assert [c["commitId"] for c in log(api, dataset_id, "main")] == [head, base]
    assert draft_statuses(api, dataset_id)[second] == "OPEN"
    assert api.remote_paths(dataset_id, "train", draft=second) == ["base.txt", "second.txt"]


def test_same_draft_committed_twice_concurrently(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    """A double-submitted commit (e.g. a client retry) makes exactly one commit."""
    dataset_id, base = dataset_with_base(api, "cc_double")
    draft = api.create_draft(dataset_id, "once")
    responses = race(server, alice, [
        lambda own: post_commit(own, dataset_id, draft, "once") for _ in range(RACERS)])

    assert sorted(r.status_code for r in responses) == [200] + [403] * (RACERS - 1)
    for response in responses:
        if response.status_code != 200:
            assert_forbidden(response)
    (winner,) = [r.json()["commitId"] for r in responses if r.status_code == 200]
    assert [c["commitId"] for c in log(api, dataset_id, "main")] == [winner, base]
    assert draft_statuses(api, dataset_id)[draft] == "COMMITTED"


def test_concurrent_commits_on_different_branches_all_succeed(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    dataset_id, base = dataset_with_base(api, "cc_branches")
    branches = [f"b{i}" for i in range(RACERS)]
    for branch in branches:
        api.call("POST", f"datasets/{dataset_id}/branches", json={"name": branch, "commit": base})
    drafts = [api.create_draft(dataset_id, branch, branch=branch) for branch in branches]
    for draft, branch in zip(drafts, branches, strict=True):
        api.upload_file(dataset_id, draft, "train", f"{branch}.txt", branch.encode())

    def committer(draft: int) -> Callable[[RawApi], requests.Response]:
        return lambda own: post_commit(own, dataset_id, draft, "on a branch")

    responses = race(server, alice, [committer(draft) for draft in drafts])

    assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
    for response, branch in zip(responses, branches, strict=True):
        head = response.json()["commitId"]
        assert branch_head(api, dataset_id, branch) == head
        assert [c["commitId"] for c in log(api, dataset_id, branch)] == [head, base]
        assert committed_paths(api, dataset_id, head, "train") == [f"{branch}.txt", "base.txt"]
    assert branch_head(api, dataset_id, "main") == base


def test_concurrent_draft_creation_numbers_are_unique(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    dataset_id = api.create_dataset("cc_numbers")
    numbers = race(server, alice, [
        lambda own: own.create_draft(dataset_id, "racing draft") for _ in range(2 * RACERS)])
    assert sorted(numbers) == list(range(1, 2 * RACERS + 1))
    assert sorted(draft_statuses(api, dataset_id)) == sorted(numbers)


def test_concurrent_refs_of_one_name_exactly_one_created(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    dataset_id, base = dataset_with_base(api, "cc_refs")
    def creator(kind: str) -> Callable[[RawApi], requests.Response]:
        return lambda own: own.request("POST", f"datasets/{dataset_id}/{kind}",
                                       json={"name": "same", "commit": base})

    for kind in ("tags", "branches"):
        responses = race(server, alice, [creator(kind) for _ in range(RACERS)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * (RACERS - 1), [r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"NameConflict"}
        page = api.call("GET", f"datasets/{dataset_id}/{kind}", params={"offset": 0, "limit": 128})
        assert [ref["name"] for ref in page[kind]].count("same") == 1


def test_writes_racing_a_commit_are_either_in_it_or_refused(
    api: RawApi, server: ServerProcess, alice: str
) -> None:
    """Every callback acknowledged while a commit races is in that commit; the rest got 403."""
    dataset_id, _ = dataset_with_base(api, "cc_write_race")
    draft = api.create_draft(dataset_id, "busy")
    writers = 2 * RACERS
    contents = {f"w{i:02}.txt": f"writer {i}".encode() for i in range(writers)}
    policy = api.policy(dataset_id, draft, "train")
    for content in contents.values():
        assert api.upload_blob(policy, content).status_code in (200, 201)

    def writer(path: str) -> Callable[[RawApi], requests.Response]:
        content = contents[path]
        obj = {"remotePath": path, "checksum": sha1(content), "fileSize": len(content)}
        return lambda own: own.callback(dataset_id, draft, "train", [obj])

    jobs = [writer(path) for path in contents]
    jobs.insert(writers // 2, lambda own: post_commit(own, dataset_id, draft, "mid-flight"))
    responses = race(server, alice, jobs)

    commit = responses.pop(writers // 2)
    assert commit.status_code == 200, commit.text
    acknowledged = []
    for path, response in zip(contents, responses, strict=True):
        if response.status_code == 200:
            acknowledged.append(path)
        else:
            assert_forbidden(response)
    head = commit.json()["commitId"]
    assert committed_paths(api, dataset_id, head, "train") == ["base.txt", *acknowledged]


def test_draft_of_a_deleted_branch_cannot_commit(api: RawApi) -> None:
    """A commit never resurrects a deleted branch nor leaves an unreachable commit behind."""
    dataset_id, base = dataset_with_base(api, "cc_deleted_branch")
    branches = f"datasets/{dataset_id}/branches"
    api.call("POST", branches, json={"name": "dev", "commit": base})
    draft = api.create_draft(dataset_id, "orphan", branch="dev")
    api.call("DELETE", branches, json={"name": "dev"})

    response = post_commit(api, dataset_id, draft, "orphan")
    assert response.status_code in (403, 404), response.text
    assert response.json()["code"] in ("Forbidden", "ResourceNotExist")
    page = api.call("GET", branches, params={"offset": 0, "limit": 128})
    assert [(b["name"], b["commitId"]) for b in page["branches"]] == [("main", base)]
    assert draft_statuses(api, dataset_id)[draft] == "OPEN"
