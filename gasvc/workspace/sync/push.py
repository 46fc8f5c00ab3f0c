"""`gas push`: the current branch's unpushed local commits, oldest first, each as one server
commit: CreateDraft → send the commit's changes (upload.py) → CommitDataset → record the server
id and move `remotes/<branch>`.

The server moves a branch by compare-and-swap only. A draft not based on the commit the local
parent was pushed as, or a commit refused because the branch moved (403 Forbidden), means
someone else pushed first: the draft is closed, nothing changes locally, and the user is told to
pull. An interrupted push resumes: the intent to make a draft is recorded before CreateDraft
(`push.<commit id>` in meta), its number right after; the draft is reused while OPEN (one whose
number was never recorded is found by the marker naming the local commit in its description);
if it was committed after all, the server commit it became is adopted.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import NoReturn

from gasvc.errors import ClientError, Forbidden, GasError
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.trailers import with_merged_from
from gasvc.workspace.store.pending import require_finished
from gasvc.workspace.store.refs import DetachedHead, ancestry, current_branch, head_commit, key
from gasvc.workspace.store.state import CommitRecord, State, is_fusion
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.drafts import DraftInfo, get_draft, record_draft
from gasvc.workspace.sync.drafts import _info as draft_info
from gasvc.workspace.sync.fetch import fetch_history
from gasvc.workspace.sync.upload import SendStats, send_version
from gasvc.workspace.versions.commit import commit_state


class NeedPull(ClientError):
    """A push behind the server's branch: pull first."""


class NoBaseOnServer(ClientError):
    """A new branch whose base commit is not on the server."""


PULL_HINT = "run `gas pull`, then push again"


@dataclass(frozen=True)
class Pushed:
    commit: CommitRecord
    server_id: str | None  # None: left as an open draft
    draft: int
    sent: SendStats


@dataclass
class PushResult:
    branch: str
    pushed: list[Pushed] = field(default_factory=list)
    created_branch: bool = False

    @property
    def draft(self) -> int | None:
        """The draft left open by `push --draft`."""
        last = self.pushed[-1] if self.pushed else None
        return last.draft if last is not None and last.server_id is None else None


def unpushed(state: State, head: str | None) -> list[CommitRecord]:
    """Local commits not on the server yet, oldest first."""
    found = []
    for commit in ancestry(state, head):
        if commit.server_id is not None:
            break
        found.append(commit)
    return found[::-1]


def push(conn: Connection, state: State, leave_draft: bool = False) -> PushResult:
    branch = current_branch(state)
    if branch is None:
        raise DetachedHead("HEAD is detached, so there is no branch to push",
                           "switch to a branch (`gas switch -c NAME` keeps these commits)")
    require_finished(state, "push")
    result = PushResult(branch)
    todo = unpushed(state, head_commit(state))
    if not todo:
        return result
    _check_kind(conn, state)
    result.created_branch = _prepare_branch(conn, state, branch, todo[0])
    for index, commit in enumerate(todo):
        leave_open = leave_draft and index == len(todo) - 1
        result.pushed.append(_push_commit(conn, state, branch, commit, leave_open))
    return result


class WrongDatasetKind(ClientError):
    """A push of a fusion workspace to a normal dataset, or the other way round."""


def _check_kind(conn: Connection, state: State) -> None:
    """The remote dataset must be of the workspace's kind (`gas remote set` may point it at
    any dataset): a fusion commit cannot be pushed into a normal dataset, nor the reverse."""
    fusion = conn.client.get_dataset(conn.dataset_id).get("type") == 1
    if fusion != is_fusion(state):
        kinds = ("fusion", "normal") if fusion else ("normal", "fusion")
        raise WrongDatasetKind(f"the remote dataset is a {kinds[0]} dataset, this workspace a"
                               f" {kinds[1]} one; nothing was pushed",
                               "point the workspace at a dataset of its kind with `gas remote"
                               " set URL DATASET`")


def _parent_key(state: State, commit: CommitRecord) -> str:
    parent = state.commit(commit.parent) if commit.parent != ROOT_COMMIT else None
    return key(parent) if parent is not None else ROOT_COMMIT


def _prepare_branch(conn: Connection, state: State, branch: str, first: CommitRecord) -> bool:
    """Check the server's branch is where the push starts from; create it if it is missing."""
    base = _parent_key(state, first)
    found = conn.client.get_branch(conn.dataset_id, branch)
    if found is None:
        if base == ROOT_COMMIT:
            raise NoBaseOnServer(f"branch {branch!r} has no commit on the server to start"
                                 " from", "push the branch it was made from first")
        conn.client.create_branch(conn.dataset_id, branch, base)
        return True
    if found["commitId"] != base and state.get(f"push.{first.id}") is None:
        _track_server_head(conn, state, branch, str(found["commitId"]))
        raise NeedPull(f"the server's branch {branch!r} has commits you do not have", PULL_HINT)
    return False


def _track_server_head(conn: Connection, state: State, branch: str, head: str | None) -> None:
    """A refused push still learns where the server's branch is: `origin/BRANCH` moves there
    (its history fetched), so `gas status` says the branches diverged, not "ahead"."""
    if head is None or head == ROOT_COMMIT:
        return
    with contextlib.suppress(GasError):  # the refusal matters more than this
        fetch_history(conn, state, head)
    commit = state.commit(head)
    if commit is not None:
        with state.transaction():
            state.set_ref(f"remotes/{branch}", commit.id)


def _push_commit(conn: Connection, state: State, branch: str, commit: CommitRecord,
                 leave_open: bool) -> Pushed:
    parent = _parent_key(state, commit)
    draft = _draft(conn, state, branch, commit, parent)
    if isinstance(draft, str):
        _record(state, branch, commit, draft)
        return Pushed(commit, draft, 0, SendStats())
    conn.progress.phase(f"pushing {commit.id[:7]}")
    sent = send_version(conn, state, draft, commit_state(state, commit.parent),
                        commit_state(state, commit.id))
    if leave_open:
        record_draft(state, draft, commit.id)
        return Pushed(commit, None, draft, sent)
    try:
        server_id = conn.client.commit(conn.dataset_id, draft, commit.title,
                                       server_description(state, commit))
    except Forbidden:
        server_id = _after_refusal(conn, state, branch, commit, parent, draft)
    _record(state, branch, commit, server_id)
    return Pushed(commit, server_id, draft, sent)


def _draft(conn: Connection, state: State, branch: str, commit: CommitRecord, parent: str
           ) -> int | str:
    """The open draft to send `commit` into, or the server id it was already committed as."""
    saved = json.loads(state.get(f"push.{commit.id}") or "null")
    if saved is not None and saved.get("draft") is not None:
        info = _find_draft(conn, branch, int(saved["draft"]))
        if info.status == "OPEN" and info.base == parent:
            return info.number
        if info.status == "COMMITTED":
            adopted = _adopt(conn, branch, commit, parent)
            if adopted is not None:
                return adopted
    elif saved is not None:  # killed after CreateDraft, before its number was recorded
        orphan = _marked_draft(conn, branch, commit)
        if orphan is not None:
            _remember(state, commit, orphan.number, parent)
            if orphan.base != parent:
                _give_up(conn, state, branch, commit, orphan.number)
            return orphan.number
    with state.transaction():  # the intent first: a draft made below is always found again
        state.set(f"push.{commit.id}", json.dumps({"draft": None, "parent": parent}))
    number = conn.client.create_draft(conn.dataset_id, branch, commit.title,
                                      _marked(state, commit))
    _remember(state, commit, number, parent)
    if _find_draft(conn, branch, number).base != parent:
        _give_up(conn, state, branch, commit, number)
    return number


def _remember(state: State, commit: CommitRecord, number: int, parent: str) -> None:
    with state.transaction():
        state.set(f"push.{commit.id}", json.dumps({"draft": number, "parent": parent}))


def _marker(commit: CommitRecord) -> str:
    return f"[gas push {commit.id}]"


def _marked(state: State, commit: CommitRecord) -> str:
    """The draft's description: the commit's, and a line naming the local commit (the server
    commit takes the commit's own description)."""
    return f"{server_description(state, commit)}\n\n{_marker(commit)}".lstrip("\n")


def server_description(state: State, commit: CommitRecord) -> str:
    """The description a commit is pushed with: a merge's ends with the "Merged-from" trailer
    naming its second parent as the server knows it (model/trailers.py)."""
    merged = state.commit(commit.merged) if commit.merged else None
    if merged is None:
        return commit.description
    return with_merged_from(commit.description, key(merged))


def _marked_draft(conn: Connection, branch: str, commit: CommitRecord) -> DraftInfo | None:
    """The open draft of the branch an interrupted push of `commit` made, if any."""
    for raw in conn.client.pages("drafts", "drafts", conn.dataset_id,
                                 {"status": "OPEN", "branchName": branch}):
        if _marker(commit) in str(raw.get("description") or ""):
            return draft_info(raw)
    return None


def _find_draft(conn: Connection, branch: str, number: int) -> DraftInfo:
    """A draft of the branch: among the (few) open ones, else among all."""
    for raw in conn.client.pages("drafts", "drafts", conn.dataset_id,
                                 {"status": "OPEN", "branchName": branch}):
        if int(raw["number"]) == number:
            return draft_info(raw)
    return get_draft(conn.client, conn.dataset_id, number)


def _adopt(conn: Connection, branch: str, commit: CommitRecord, parent: str) -> str | None:
    """The server commit a draft of `commit` became: on the branch, with its parent and title."""
    head = conn.client.get_branch(conn.dataset_id, branch)
    if head is None:
        return None
    for raw in conn.client.commits(conn.dataset_id, str(head["commitId"])):
        if raw.get("parentCommitId") == parent and raw.get("title") == commit.title:
            return str(raw["commitId"])
        if raw.get("commitId") == parent:
            return None
    return None


def _after_refusal(conn: Connection, state: State, branch: str, commit: CommitRecord,
                   parent: str, draft: int) -> str:
    """CommitDataset was refused: committed already (a retried push), or the branch moved."""
    if _find_draft(conn, branch, draft).status == "COMMITTED":
        adopted = _adopt(conn, branch, commit, parent)
        if adopted is not None:
            return adopted
    _give_up(conn, state, branch, commit, draft)


def _give_up(conn: Connection, state: State, branch: str, commit: CommitRecord, draft: int
             ) -> NoReturn:
    """Someone else pushed first: close our draft, forget it, and tell the user to pull."""
    with contextlib.suppress(GasError):
        conn.client.update_draft(conn.dataset_id, draft, {"status": "CLOSED"})
    with state.transaction():
        state.set(f"push.{commit.id}", None)
    found = None
    with contextlib.suppress(GasError):
        found = conn.client.get_branch(conn.dataset_id, branch)
    _track_server_head(conn, state, branch, str(found["commitId"]) if found else None)
    raise NeedPull("the server's branch moved since this push started: someone else pushed "
                   "first", PULL_HINT)


def _record(state: State, branch: str, commit: CommitRecord, server_id: str) -> None:
    with state.transaction():
        state.set_server_id(commit.id, server_id)
        if commit.merged:  # the description as the server keeps it, trailer and all
            state.set_message(commit.id, commit.title, server_description(state, commit))
        state.set_ref(f"remotes/{branch}", commit.id)
        state.set(f"push.{commit.id}", None)
