"""`gas tag`: tags live on the server and name pushed commits; `tags/NAME` refs mirror them locally.

Tagging a commit that is not pushed yet is refused ("push first"): a tag is created on the server
at once, by the commit's server id, and recorded locally under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.api.client import ApiClient
from gasvc.errors import ClientError, NameConflict, ResourceNotExist
from gasvc.model.names import check_ref_name
from gasvc.workspace.store.refs import key, resolve
from gasvc.workspace.store.state import State
from gasvc.workspace.sync.remote import NoRemote, get_remote, workspace_dataset


@dataclass(frozen=True)
class TagInfo:
    name: str
    commit: str
    title: str
    local: bool
    server: bool


class NotPushed(ClientError):
    """A tag or operation that needs a commit the server does not have yet."""


class UnknownTag(ClientError):
    """A tag that is neither local nor on the server."""


def require_remote_for_tags(state: State) -> None:
    """Tagging offline is refused, saying why: a tag is made on the server, by server id."""
    if get_remote(state) is None:
        name = workspace_dataset(state) or "DATASET"
        raise NoRemote(f"tags are made on the server, and this workspace has no remote "
                       f"(dataset {name!r}, offline)",
                       f"connect it with `gas remote set URL {name}` and `gas push`, then tag; "
                       "`gas tag` lists the tags this workspace has")


def create_tag(state: State, client: ApiClient, dataset_id: str, name: str,
               revision: str = "HEAD") -> TagInfo:
    check_ref_name("tag", name)
    if state.ref(f"tags/{name}") is not None:
        raise NameConflict(f"tag {name!r} already exists", f"delete it first: `gas tag -d {name}`")
    commit = resolve(state, revision)
    if commit.server_id is None:
        raise NotPushed(f"commit {commit.id[:7]} is not pushed, so it cannot be tagged yet",
                        f"push first (`gas push`), then run `gas tag {name} {revision}` again")
    client.create_tag(dataset_id, name, commit.server_id)
    with state.transaction():
        state.set_ref(f"tags/{name}", commit.id)
    return TagInfo(name, commit.server_id, commit.title, True, True)


def delete_tag(state: State, client: ApiClient | None, dataset_id: str, name: str) -> TagInfo:
    """Delete the tag on the server (if there) and locally (if there)."""
    on_server = False
    if client is not None:
        try:
            client.delete_tag(dataset_id, name)
            on_server = True
        except ResourceNotExist:
            pass
    local = state.ref(f"tags/{name}")
    if local is None and not on_server:
        raise UnknownTag(f"tag {name!r} not found", "see `gas tag`")
    commit = state.commit(local) if local else None
    with state.transaction():
        state.set_ref(f"tags/{name}", None)
    return TagInfo(name, key(commit) if commit else (local or ""),
                   commit.title if commit else "", local is not None, on_server)


def list_tags(state: State, client: ApiClient | None, dataset_id: str) -> list[TagInfo]:
    """Local tags and, with a client, the server's; a tag in both shows the server's commit."""
    found: dict[str, TagInfo] = {}
    for name, commit_id in state.refs("tags/").items():
        commit = state.commit(commit_id)
        found[name] = TagInfo(name, key(commit) if commit else commit_id,
                              commit.title if commit else "", True, False)
    for raw in client.list_tags(dataset_id) if client is not None else []:
        name = str(raw["name"])
        found[name] = TagInfo(name, str(raw["commitId"]), str(raw.get("title") or ""),
                              name in found, True)
    return sorted(found.values(), key=lambda tag: tag.name)
