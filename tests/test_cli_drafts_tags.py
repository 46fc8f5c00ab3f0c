"""`gas draft list | show | commit | close` and `gas tag`, run for real against a server.

Drafts are made on the server with the raw API, as `gas push --draft` or another user's SDK
would; `drafts.record_draft` is the hook `push --draft` calls, so a draft made "from" a local
commit is emulated by making the draft and recording it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from rawapi import RawApi
from serverproc import ServerProcess

from gasvc.workspace.store.refs import head_commit
from gasvc.workspace.store.state import State
from gasvc.workspace.sync.drafts import record_draft


class Work:
    """A workspace of a fresh dataset on `server`, with one local commit of train/a.jpg."""

    def __init__(self, gas: Gas, root: Path, api: RawApi, name: str) -> None:
        self.gas, self.root, self.api, self.name = gas, root, api, name
        gas(root, "init", name)
        self.dataset_id = api.list_datasets(name)["datasets"][0]["id"]
        write(root, {"train/a.jpg": "A"})
        self("add", "-A")
        self("commit", "-m", "first")

    def __call__(self, *args: str, check: bool = True) -> str:
        result = self.gas(self.root, *args, check=check)
        return result.stdout if check else result.stderr

    def run(self, *args: str):  # type: ignore[no-untyped-def]
        return self.gas(self.root, *args, check=False)

    def state(self) -> State:
        return State(self.root / ".gas" / "state.sqlite")

    def push_as_draft(self, files: dict[str, bytes], title: str = "pushed") -> int:
        """What `gas push --draft` does for HEAD: a draft with its files, remembered locally."""
        number = self.api.create_draft(self.dataset_id, title)
        self.api.create_segment(self.dataset_id, number, "train")
        for path, content in files.items():
            self.api.upload_file(self.dataset_id, number, "train", path, content)
        state = self.state()
        try:
            record_draft(state, number, head_commit(state) or "")
        finally:
            state.close()
        return number

    def server_tags(self) -> dict[str, str]:
        page = self.api.call("GET", f"datasets/{self.dataset_id}/tags",
                             params={"offset": 0, "limit": 128})
        return {t["name"]: t["commitId"] for t in page["tags"]}


@pytest.fixture
def work(tmp_path: Path, server: ServerProcess, alice: str, request: pytest.FixtureRequest
         ) -> Work:
    gas = Gas(tmp_path / "home")
    gas.login(server, alice)
    name = "dt-" + request.node.name.removeprefix("test_").replace("_", "-")[:40]
    return Work(gas, tmp_path / name, RawApi(server.api, alice, server.verify), name)


def test_draft_list_show_and_commit_of_a_pushed_draft(work: Work) -> None:
    number = work.push_as_draft({"a.jpg": b"A"}, "Add a")
    listed = json.loads(work("draft", "list", "--json"))
    assert [(d["number"], d["title"], d["status"]) for d in listed] == [(number, "Add a", "OPEN")]
    assert f"#{number}" in work("draft", "list")
    shown = work("draft", "show", str(number))
    assert "Add a" in shown and "add     train" in shown and "(+1 -0 ~0)" in shown
    assert json.loads(work("draft", "show", f"tb:{work.name}#{number}", "--json"))[
        "changes"][0]["segment"] == "train"
    done = work("draft", "commit", str(number), "-m", "Add a\n\nthe first file")
    assert done.startswith("[main ") and "gas pull" not in done
    server_head = work.api.call("GET", f"datasets/{work.dataset_id}")["commitId"]
    assert server_head.startswith(done[6:13])
    log = json.loads(work("log", "--json"))
    assert log[0]["serverId"] == server_head and log[0]["pushed"]
    assert work("draft", "list").strip() == "no open drafts"
    assert "COMMITTED" in work("draft", "list", "--all")


def test_push_draft_then_draft_commit_then_tag_end_to_end(work: Work) -> None:
    work("push", "--draft", "-q")
    number = json.loads(work("draft", "list", "--json"))[0]["number"]
    assert "gas pull" not in work("draft", "commit", str(number), "-m", "first, reviewed")
    assert "up to date" in work("status")
    assert "up-to-date" in work("push")
    assert work("push", "-q") == ""  # -q prints nothing but errors now (it hid the bar only)
    assert "as v1" in work("tag", "v1")
    head = work.api.call("GET", f"datasets/{work.dataset_id}")["commitId"]
    assert work.server_tags() == {"v1": head}


def test_draft_made_elsewhere_commits_and_says_pull(work: Work) -> None:
    number = work.api.create_draft(work.dataset_id, "someone else's")
    assert "gas pull" in work("draft", "commit", f"#{number}", "-m", "theirs")


def test_draft_close_and_closed_drafts_cannot_be_committed(work: Work) -> None:
    number = work.api.create_draft(work.dataset_id, "to close")
    assert "Closed draft" in work("draft", "close", str(number))
    assert "no open drafts" in work("draft", "list")
    failed(work.run("draft", "commit", str(number), "-m", "x"), "is closed, not open")
    failed(work.run("draft", "show", "99"), "draft #99 does not exist")


def test_committing_a_stale_draft_is_refused(work: Work) -> None:
    first = work.api.create_draft(work.dataset_id, "one")
    second = work.api.create_draft(work.dataset_id, "two")
    work("draft", "commit", str(first), "-m", "one")
    failed(work.run("draft", "commit", str(second), "-m", "two"), "moved since draft")


def test_tag_a_pushed_commit_list_and_delete(work: Work) -> None:
    number = work.push_as_draft({"a.jpg": b"A"})
    work("draft", "commit", str(number), "-m", "first")
    assert "as v1" in work("tag", "v1")
    head = work.api.call("GET", f"datasets/{work.dataset_id}")["commitId"]
    assert work.server_tags() == {"v1": head}
    assert "as v2" in work("tag", "v2", f"tb:{work.name}@HEAD")
    listed = json.loads(work("tag", "--json"))
    assert [(t["name"], t["commit"], t["local"], t["server"]) for t in listed] == [
        ("v1", head, True, True), ("v2", head, True, True)]
    assert json.loads(work("log", "--json"))[0]["refs"]  # the log shows the tags
    assert "Deleted tag v2" in work("tag", "-d", "v2")
    assert work.server_tags() == {"v1": head}
    failed(work.run("tag", "-d", "v2"), "tag 'v2' not found")


def test_server_tags_are_listed_too(work: Work) -> None:
    number = work.push_as_draft({"a.jpg": b"A"})
    work("draft", "commit", str(number), "-m", "first")
    head = work.api.call("GET", f"datasets/{work.dataset_id}")["commitId"]
    work.api.call("POST", f"datasets/{work.dataset_id}/tags", json={"name": "theirs",
                                                                     "commit": head})
    assert "theirs" in work("tag") and "[server only]" in work("tag")
    work("tag", "mine")
    work.api.call("DELETE", f"datasets/{work.dataset_id}/tags", json={"name": "mine"})
    assert "[local only]" in work("tag")
    assert "Deleted tag theirs" in work("tag", "-d", "theirs")
    assert work.server_tags() == {}


def test_checkout_and_branch_take_tbrn_revisions(work: Work) -> None:
    number = work.push_as_draft({"a.jpg": b"A"})
    work("draft", "commit", str(number), "-m", "first")
    work("tag", "v1")
    work("branch", "from-tag", f"tb:{work.name}@v1")
    assert "HEAD is now at" in work("checkout", f"tb:{work.name}@v1")
    work("checkout", f"tb:{work.name}")  # the default branch's head as last fetched
    failed(work.run("checkout", "tb:another@v1"), "but this workspace is")


def test_tagging_an_unpushed_commit_says_push_first(work: Work) -> None:
    result = work.run("tag", "v1")
    failed(result, "is not pushed")
    assert "push first" in result.stderr
    assert work.server_tags() == {}


def test_tag_revision_tbrn_must_name_this_dataset(work: Work) -> None:
    failed(work.run("tag", "v1", "tb:another@HEAD"), "but this workspace is")
    failed(work.run("tag", "v1", f"tb:{work.name}#1"), "is a draft")
    failed(work.run("tag", "v1", f"tb:{work.name}:train"), "not a revision")


def test_tags_in_an_offline_workspace_are_local(tmp_path: Path) -> None:
    gas = Gas(tmp_path / "home")
    root = tmp_path / "offline-tags"
    gas(root, "init", "--no-remote")
    assert gas(root, "tag").stdout == ""
    failed(gas(root, "tag", "v1", check=False), "no remote (dataset 'offline-tags', offline)")
