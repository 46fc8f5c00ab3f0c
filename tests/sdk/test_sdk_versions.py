"""Version control through the unmodified tensorbay 1.24.2 SDK (scenarios: scn_versions).

The last tests speak raw HTTP, for writes the SDK refuses locally.
"""

from __future__ import annotations

from typing import Any

import pytest
from rawapi import RawApi, sha1
from sdkrunner import SdkRunner
from serverproc import ServerProcess

#: Every test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
pytestmark = [pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True,
                                      scope="module"),
              pytest.mark.slow(seconds=80)]


def test_upload_dataset_new(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "upload_dataset_new")


def test_upload_dataset_reuses_open_draft(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "upload_dataset_reuses_open_draft")


def test_read_committed_dataset(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "read_committed_dataset")


def test_branch_draft_commit_tag(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "branch_draft_commit_tag")


def test_draft_numbers_across_branches(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "draft_numbers_across_branches")


def test_list_drafts_by_status_and_branch(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "list_drafts_by_status_and_branch")


def test_update_draft(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "update_draft")


def test_close_draft(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "close_draft")


def test_get_committed_draft_missing(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "get_committed_draft_missing")


def test_create_draft_unknown_branch(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "create_draft_unknown_branch")


def test_draft_inherits_parent_content(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "draft_inherits_parent_content")


def test_commit_empty_draft(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "commit_empty_draft")


def test_commit_duplicate_tag(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "commit_duplicate_tag")


def test_list_commits_by_revision(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "list_commits_by_revision")


def test_multi_branch_commits(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "multi_branch_commits")


def test_create_branch_on_empty_dataset(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "create_branch_on_empty_dataset")


def test_create_branch_on_revision(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "create_branch_on_revision")


def test_get_branch_follows_commits(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "get_branch_follows_commits")


def test_list_branches_sorted(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "list_branches_sorted")


def test_delete_branch(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "delete_branch")


def test_create_and_list_tags(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "create_and_list_tags")


def test_create_tag_while_draft_open(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "create_tag_while_draft_open")


def test_checkout_revisions(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "checkout_revisions")


def test_branch_wins_over_tag(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "branch_wins_over_tag")


def test_other_user_cannot_touch_versions(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "other_user_cannot_touch_versions")


def test_similar_names_resolve_exactly(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "similar_names_resolve_exactly")


def test_long_history_pages(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "long_history_pages")



def test_revisions_are_per_dataset(sdk: SdkRunner) -> None:
    sdk.run("scn_versions", "revisions_are_per_dataset")


# raw HTTP: the SDK refuses these writes locally, the server must refuse them too (spec 3.4) ----
def finished_draft(api: RawApi, name: str, status: str) -> tuple[str, int, str]:
    """(dataset id, number of a draft in `status`, main's head) with train = {a.txt}."""
    dataset_id = api.create_dataset(name)
    draft = api.create_draft(dataset_id, "first")
    api.create_segment(dataset_id, draft, "train")
    api.upload_file(dataset_id, draft, "train", "a.txt", b"a")
    head = api.commit(dataset_id, draft, "first")
    if status == "CLOSED":
        draft = api.create_draft(dataset_id, "to close")
        api.call("PATCH", f"datasets/{dataset_id}/drafts/{draft}", json={"status": "CLOSED"})
    return dataset_id, draft, head


def finished_draft_writes(dataset_id: str, draft: int) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body or query) of the writes a normal dataset's draft takes."""
    d = f"datasets/{dataset_id}/"
    obj = {"remotePath": "b.txt", "checksum": sha1(b"a"), "fileSize": 1}
    label = {"CLASSIFICATION": {"category": "cat"}}
    return [
        ("POST", d + "segments", {"name": "new", "draftNumber": draft}),
        ("DELETE", d + "segments", {"segmentName": "train", "draftNumber": draft}),
        ("PUT", d + "labels/catalogs", {"catalog": {"CLASSIFICATION": {"categories": [
            {"name": "cat"}]}}, "draftNumber": draft}),
        ("PATCH", d + "notes", {"isContinuous": True, "draftNumber": draft}),
        ("GET", d + "policies", {"expired": 240, "segmentName": "train", "draftNumber": draft}),
        ("PUT", d + "multi/callback", {"segmentName": "train", "objects": [obj],
                                       "draftNumber": draft}),
        ("PUT", d + "multi/data/labels", {"segmentName": "train", "objects": [
            {"remotePath": "a.txt", "label": label}], "draftNumber": draft}),
        ("DELETE", d + "data", {"segmentName": "train", "remotePath": "a.txt",
                                "draftNumber": draft}),
        ("PATCH", d + f"drafts/{draft}", {"title": "renamed"}),
        ("PATCH", d + f"drafts/{draft}", {"status": "CLOSED"}),
        ("POST", d + "commits", {"title": "again", "draftNumber": draft}),
    ]


@pytest.mark.parametrize("status", ["COMMITTED", "CLOSED"])
def test_writes_to_a_finished_draft_are_forbidden(
    server: ServerProcess, alice: str, status: str
) -> None:
    api = RawApi(server.api, alice, server.verify)
    dataset_id, draft, head = finished_draft(api, f"vc_raw_{status.lower()}", status)
    for method, path, args in finished_draft_writes(dataset_id, draft):
        if method == "GET":
            response = api.request(method, path, params=args)
        else:
            response = api.request(method, path, json=args)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "Forbidden", (method, path, response.text)

    drafts = api.call("GET", f"datasets/{dataset_id}/drafts",
                      params={"status": "ALL", "offset": 0, "limit": 128})["drafts"]
    (finished,) = [d for d in drafts if d["number"] == draft]
    title = "first" if status == "COMMITTED" else "to close"
    assert (finished["status"], finished["title"]) == (status, title)
    branches = api.call("GET", f"datasets/{dataset_id}/branches",
                        params={"offset": 0, "limit": 128})["branches"]
    assert [(b["name"], b["commitId"]) for b in branches] == [("main", head)]
    segments = api.call("GET", f"datasets/{dataset_id}/segments",
                        params={"commit": head, "offset": 0, "limit": 128})["segments"]
    assert [s["name"] for s in segments] == ["train"]
    details = api.data_details(dataset_id, "train", commit=head)
    assert [(i["remotePath"], i.get("label")) for i in details] == [("a.txt", {})]
