"""`gas draft`: server drafts, made by `gas push --draft` or by anyone else (spec 2.3.4–2.3.8).

`push --draft` calls `record_draft(state, number, commit_id)`; when that draft is later committed
with `gas draft commit`, the local commit takes the new server commit id and the remote-tracking
branch moves to it, as if the commit had been pushed directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gasvc.api.client import ApiClient
from gasvc.errors import ClientError, EmptyMessage, ResourceNotExist
from gasvc.workspace.store.refs import key
from gasvc.workspace.store.state import CommitRecord, State


@dataclass(frozen=True)
class DraftInfo:
    number: int
    title: str
    description: str
    branch: str
    status: str
    base: str
    author: str
    created: int
    updated: int


@dataclass(frozen=True)
class SegmentChange:
    segment: str
    action: str
    additions: int
    deletions: int
    modifications: int


@dataclass(frozen=True)
class DraftDetails:
    draft: DraftInfo
    changes: list[SegmentChange]


@dataclass(frozen=True)
class DraftCommit:
    draft: DraftInfo
    commit_id: str
    local: CommitRecord | None


class DraftNotOpen(ClientError):
    """A draft that is closed or committed, asked to take changes."""


def _info(raw: dict[str, Any]) -> DraftInfo:
    author = raw.get("author") or {}
    return DraftInfo(int(raw["number"]), str(raw["title"]), str(raw.get("description") or ""),
                     str(raw["branchName"]), str(raw["status"]), str(raw["parentCommitId"]),
                     str(author.get("name", "")), int(author.get("date") or 0),
                     int(raw.get("updatedAt") or 0))


def list_drafts(client: ApiClient, dataset_id: str, status: str = "OPEN") -> list[DraftInfo]:
    return [_info(raw) for raw in client.list_drafts(dataset_id, status)]


def get_draft(client: ApiClient, dataset_id: str, number: int) -> DraftInfo:
    for draft in list_drafts(client, dataset_id, "ALL"):
        if draft.number == number:
            return draft
    raise ResourceNotExist(f"draft #{number} does not exist", "see `gas draft list --all`")


def open_draft(client: ApiClient, dataset_id: str, number: int) -> DraftInfo:
    """The draft, refused unless it is open."""
    draft = get_draft(client, dataset_id, number)
    if draft.status != "OPEN":
        raise DraftNotOpen(f"draft #{number} is {draft.status.lower()}, not open",
                           "only open drafts can be committed or closed; see `gas draft list`")
    return draft


def show_draft(client: ApiClient, dataset_id: str, number: int) -> DraftDetails:
    """The draft and, while it is open, what it changes per segment."""
    draft = get_draft(client, dataset_id, number)
    if draft.status != "OPEN":
        return DraftDetails(draft, [])
    changes = []
    for raw in client.segment_diffs(dataset_id, f"draft-{number}"):
        stats = (raw.get("data") or {}).get("stats") or {}
        changes.append(SegmentChange(str(raw["name"]), str(raw["action"]),
                                     int(stats.get("additions", 0)),
                                     int(stats.get("deletions", 0)),
                                     int(stats.get("modifications", 0))))
    return DraftDetails(draft, changes)


def commit_draft(state: State | None, client: ApiClient, dataset_id: str, number: int,
                 message: str) -> DraftCommit:
    """Commit an open draft (first message line = title, the rest = description)."""
    draft = open_draft(client, dataset_id, number)
    title, _, description = message.strip().partition("\n")
    if not title.strip():
        raise EmptyMessage("empty commit message", 'give one with -m "MESSAGE"')
    title, description = title.strip(), description.strip()
    commit_id = client.commit(dataset_id, number, title, description)
    local = _adopt(state, draft, commit_id, title, description) if state is not None else None
    return DraftCommit(draft, commit_id, local)


def close_draft(client: ApiClient, dataset_id: str, number: int) -> DraftInfo:
    draft = open_draft(client, dataset_id, number)
    client.update_draft(dataset_id, number, {"status": "CLOSED"})
    return draft


# drafts pushed from this workspace --------------------------------------------------------
def record_draft(state: State, number: int, commit_id: str) -> None:
    """Remember that draft `number` holds the local commit `commit_id` (for `push --draft`)."""
    with state.transaction():
        state.set(f"draft.{number}", commit_id)


def drafted_commit(state: State, number: int) -> CommitRecord | None:
    commit_id = state.get(f"draft.{number}")
    return state.commit(commit_id) if commit_id else None


def _adopt(state: State, draft: DraftInfo, server_id: str, title: str, description: str
           ) -> CommitRecord | None:
    """If the draft came from a local commit, that commit is now pushed as `server_id`, with
    the message it was committed with.

    The server moved the draft's branch to the new commit, so the remote-tracking branch does too.
    """
    commit = drafted_commit(state, draft.number)
    if commit is None or commit.server_id is not None or _parent_key(state, commit) != draft.base:
        return None
    with state.transaction():
        state.set_server_id(commit.id, server_id)
        state.set_message(commit.id, title, description)
        state.set(f"draft.{draft.number}", None)
        state.set(f"push.{commit.id}", None)  # push.py's resume record of that draft
        state.set_ref(f"remotes/{draft.branch}", commit.id)
    return state.commit(commit.id)


def _parent_key(state: State, commit: CommitRecord) -> str:
    parent = state.commit(commit.parent)
    return key(parent) if parent is not None else commit.parent
