"""`gas fetch`: the server's branches become `remotes/*` refs and its tags `tags/*`; the metadata
of every commit they reach is recorded (state NULL until something needs it: see remote_state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gasvc.model.names import ROOT_COMMIT
from gasvc.model.trailers import merged_from
from gasvc.workspace.store.state import CommitRecord, State
from gasvc.workspace.sync.connection import Connection


@dataclass(frozen=True)
class RefUpdate:
    name: str
    old: str | None  # shown ids (server ids)
    new: str | None


@dataclass
class FetchResult:
    branches: list[RefUpdate] = field(default_factory=list)
    tags: list[RefUpdate] = field(default_factory=list)
    commits: int = 0


def server_commit(raw: dict[str, Any]) -> CommitRecord:
    """A commit as ListCommit describes it; its id is the server's, its second parent the one
    its description's "Merged-from" trailer names (model/trailers.py)."""
    committer = raw.get("committer") or {}
    commit_id = str(raw["commitId"])
    description = str(raw.get("description") or "")
    return CommitRecord(commit_id, str(raw.get("parentCommitId") or ROOT_COMMIT),
                        str(raw.get("title") or ""), description,
                        str(committer.get("name") or ""), int(committer.get("date") or 0),
                        None, commit_id, merged_from(description))


def fetch_history(conn: Connection, state: State, head: str) -> int:
    """Record `head` and its ancestors down to the first one already known; returns how many."""
    if head == ROOT_COMMIT or state.commit(head) is not None:
        return 0
    added = 0
    for page in conn.client.page_lists("commits", "commits", conn.dataset_id, {"commit": head}):
        known = False
        with state.transaction():
            for raw in page:
                if state.commit(str(raw["commitId"])) is not None:
                    known = True
                    break
                state.add_commit(server_commit(raw))
                added += 1
        if known:
            break
    return added


def _shown(state: State, commit_id: str | None) -> str | None:
    commit = state.commit(commit_id) if commit_id else None
    return (commit.server_id or commit.id) if commit else commit_id


def _local_id(state: State, server_id: str) -> str:
    """The id of the row holding a server commit (a pushed local commit keeps its own id)."""
    commit = state.commit(server_id)
    return commit.id if commit else server_id


def fetch(conn: Connection, state: State) -> FetchResult:
    result = FetchResult()
    listed_branches = list(conn.client.list_branches(conn.dataset_id))
    listed_tags = list(conn.client.list_tags(conn.dataset_id))
    branches = {str(b["name"]): str(b["commitId"]) for b in listed_branches}
    tags = {str(t["name"]): str(t["commitId"]) for t in listed_tags}
    for head in sorted(set(branches.values()) | set(tags.values())):
        result.commits += fetch_history(conn, state, head)
    with state.transaction():
        _correct_messages(state, [*listed_branches, *listed_tags])
        result.branches = _update(state, "remotes/", branches, prune=True)
        result.tags = _update(state, "tags/", tags, prune=False)
    return result


def _correct_messages(state: State, heads: list[dict[str, Any]]) -> None:
    """Known commits take the message the server lists for them (a drafted commit may have been
    committed under another title, which an older gas did not record)."""
    for raw in heads:
        commit = state.commit(str(raw["commitId"]))
        if commit is None or raw.get("title") is None:
            continue
        listed = server_commit(raw)
        if (commit.title, commit.description) != (listed.title, listed.description):
            state.set_message(commit.id, listed.title, listed.description)


def _update(state: State, prefix: str, heads: dict[str, str], prune: bool) -> list[RefUpdate]:
    """Point `prefix` refs at the server's heads; ROOT heads (no commits yet) are no ref."""
    updates = []
    current = state.refs(prefix)
    for name, head in sorted(heads.items()):
        old = _shown(state, current.get(name))
        new = None if head == ROOT_COMMIT else head
        if old != new:
            state.set_ref(prefix + name, _local_id(state, new) if new else None)
            updates.append(RefUpdate(name, old, new))
    for name in sorted(current.keys() - heads.keys()) if prune else []:
        state.set_ref(prefix + name, None)
        updates.append(RefUpdate(name, _shown(state, current[name]), None))
    return updates
