"""`Workspace`: one object opened from a path, one method per verb, each returning the library's
data. The CLI parses, calls one method, renders.

Opening is cheap (the `.gas/` state only); each verb imports its modules when called, so `gas
status` never loads the diff or sync code. Verbs that may need the server take a `Connect`
from the caller, called only when the server is needed (see facade_remote).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gasvc.workspace import facade_remote as remote
from gasvc.workspace.facade_merge import MergeVerbs
from gasvc.workspace.store.layout import Layout, find_workspace
from gasvc.workspace.store.relocate import Relocated, relocate
from gasvc.workspace.store.state import MERGE_INFO, CommitRecord, State

if TYPE_CHECKING:
    from gasvc.workspace.diff.diff_result import DiffRequest, DiffResult
    from gasvc.workspace.diff.show import Shown
    from gasvc.workspace.sync.connection import Connect
    from gasvc.workspace.sync.drafts import DraftCommit, DraftDetails, DraftInfo
    from gasvc.workspace.sync.fetch import FetchResult
    from gasvc.workspace.sync.progress import Progress
    from gasvc.workspace.sync.pull import PullResult
    from gasvc.workspace.sync.push import PushResult
    from gasvc.workspace.sync.remote import Remote
    from gasvc.workspace.sync.tags import TagInfo
    from gasvc.workspace.versions.branches import BranchInfo
    from gasvc.workspace.versions.checkout import (
        CheckoutResult,
        MoveResult,
    )
    from gasvc.workspace.versions.commit import CommitResult
    from gasvc.workspace.worktree.ignore import Rule
    from gasvc.workspace.worktree.pathspec import PathSpec
    from gasvc.workspace.worktree.stage import StageResult
    from gasvc.workspace.worktree.status import Status

LogEntry = tuple[CommitRecord, list[str], list[str]]


class Workspace(MergeVerbs):
    """A workspace folder and its open `.gas/` state; close it (or use `with`) when done."""

    def __init__(self, layout: Layout, state: State, relocated: Relocated) -> None:
        self.layout = layout
        self.state = state
        self.relocated = relocated  # what opening a workspace of an older gas moved (once)

    @classmethod
    def open(cls, path: Path) -> Workspace:
        """The workspace at `path` or the nearest folder above it that has one."""
        layout = find_workspace(path)
        state = State(layout.state_db)
        try:
            return cls(layout, state, relocate(layout, state))
        except BaseException:
            state.close()
            raise

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def require_finished(self, doing: str) -> None:
        """Refuse `doing` while an interrupted checkout or pull waits to be finished."""
        from gasvc.workspace.store.pending import require_finished

        require_finished(self.state, doing)

    def status(self, report_ignored: bool = False) -> Status:
        from gasvc.workspace.worktree.status import status

        found = status(self.layout, self.state, report_ignored)
        info, found.unmerged = self.merge_state()
        found.merging = f"{info.command} {info.name}" if info else None
        return found

    def add(self, specs: list[PathSpec], force: bool = False) -> StageResult:
        from gasvc.workspace.worktree import stage

        self.require_finished("add")
        staged = self._resolve_absent(specs)  # conflicts left deleted
        if not staged and specs:
            return stage.StageResult()
        result = stage.add(self.layout, self.state, staged, force=force)
        self._resolve_staged(staged)
        return result

    def rm(self, specs: list[PathSpec], cached: bool, force: bool = False) -> StageResult:
        from gasvc.workspace.worktree import stage

        self.require_finished("remove files")
        staged = self._resolve_absent(specs)  # conflicts left deleted
        if not staged and specs:
            return stage.StageResult()
        result = stage.remove(self.layout, self.state, staged, cached, force)
        self._resolve_staged(staged)
        return result

    def _resolve_absent(self, specs: list[PathSpec]) -> list[PathSpec]:
        """`resolve.resolve_absent` during a merge; without one, the specs (and nothing of the
        merge machinery is loaded)."""
        if self.state.get(MERGE_INFO) is None:
            return specs
        from gasvc.workspace.versions.resolve import resolve_absent

        return resolve_absent(self.layout, self.state, specs)

    def _resolve_staged(self, specs: list[PathSpec]) -> None:
        if self.state.get(MERGE_INFO) is not None:
            from gasvc.workspace.versions.resolve import resolve_staged

            resolve_staged(self.state, specs)

    def unstage(self, specs: list[PathSpec]) -> StageResult:
        from gasvc.workspace.worktree import stage

        return stage.unstage(self.state, specs)

    def restore(self, specs: list[PathSpec], connect: Connect) -> MoveResult:
        """Working files and labels under `specs` take their staged values again."""
        from gasvc.workspace.versions.restore import restore_worktree

        return restore_worktree(self.layout, self.state,
                                lambda seg, path: any(s.covers(seg, path) for s in specs),
                                remote.blob_source(self.layout, self.state, connect))

    def commit(self, message: str, author: str, now: int, all_tracked: bool = False,
               strict: bool = False) -> CommitResult:
        """A local commit; labels that do not fit the catalog are refused only when `strict`."""
        from gasvc.workspace.versions.commit import commit

        self.require_finished("commit")
        merged, finish = None, None
        if self.state.get(MERGE_INFO) is not None:  # a commit ends a merge in progress
            from gasvc.workspace.versions.merging import conclude_with_commit

            merged, finish = conclude_with_commit(self.state)
        return commit(self.layout, self.state, message, author, now, all_tracked, strict,
                      merged, finish)

    def log(self, revision: str | None = None, limit: int | None = None,
            every_ref: bool = False) -> list[LogEntry]:
        """Commits newest first with their decorations and parents; `revision` may be A..B."""
        from gasvc.workspace.store import history

        if every_ref:
            return history.log_all(self.state, limit)
        if revision is not None and ".." in revision:
            return history.with_parents(history.log_range(self.state, revision, limit))
        return history.with_parents(history.log(self.state, revision, limit))

    def branches(self, include_remote: bool = False) -> list[BranchInfo]:
        from gasvc.workspace.versions import branches

        return branches.list_branches(self.state, include_remote)

    def create_branch(self, name: str, start: str | None = None) -> CommitRecord:
        from gasvc.workspace.versions import branches

        return branches.create_branch(self.state, name, start)

    def delete_branch(self, name: str) -> None:
        from gasvc.workspace.versions import branches

        branches.delete_branch(self.state, name)

    def checkout(self, revision: str, connect: Connect, force: bool = False,
                 new_branch: str | None = None) -> CheckoutResult:
        """Switch to a branch (HEAD follows it) or a commit (detached HEAD)."""
        from gasvc.workspace.versions.checkout import checkout

        self.require_no_merge("switch")
        return checkout(self.layout, self.state, revision,
                        remote.blob_source(self.layout, self.state, connect),
                        remote.materializer(self.layout, self.state, connect), force,
                        new_branch)

    def diff(self, request: DiffRequest, connect: Connect) -> DiffResult:
        """What `request` compares; the server is asked only for revisions only it has."""
        from gasvc.workspace.diff import diff

        return diff.diff(self.layout, self.state, request, self._diff_server(connect),
                         remote.materializer(self.layout, self.state, connect))

    def show(self, revision: str | None, request: DiffRequest, connect: Connect) -> Shown:
        """A commit (default HEAD) and its diff against its parent."""
        from gasvc.workspace.diff.show import show

        return show(self.state, revision, request, self._diff_server(connect),
                         remote.materializer(self.layout, self.state, connect))

    def diff_draft(self, connect: Connect, number: int, request: DiffRequest
                   ) -> tuple[DraftInfo, DiffResult]:
        """An open draft against its base commit (the server compares them)."""
        from gasvc.model.names import ROOT_COMMIT
        from gasvc.workspace.diff.diff_remote import ServerDiff
        from gasvc.workspace.sync import drafts

        client, dataset_id = connect()
        draft = drafts.open_draft(client, dataset_id, number)
        base = draft.base if draft.base and draft.base != "None" else ROOT_COMMIT
        job = ServerDiff(client, dataset_id, base, f"draft-{number}")
        return draft, job.run(request.specs, request.details, request.labels)

    def _diff_server(self, connect: Connect) -> Connect | None:
        from gasvc.workspace.sync.remote import get_remote

        return None if get_remote(self.state) is None else connect

    def fetch(self, connect: Connect) -> FetchResult:
        """The server's branches, tags and commit history (no files)."""
        from gasvc.workspace.sync.fetch import fetch

        return fetch(remote.connection(self.layout, connect), self.state)

    def pull(self, connect: Connect, force: bool = False, prefer: str | None = None,
             jobs: int | None = None, progress: Progress | None = None) -> PullResult:
        """Fetch, then bring the current branch up to the server's."""
        from gasvc.workspace.sync.pull import pull
        from gasvc.workspace.sync.remote_blobs import RemoteBlobs
        from gasvc.workspace.versions.checkout import LocalObjects

        self.require_no_merge("pull")
        conn = remote.connection(self.layout, connect, jobs, progress)
        source = LocalObjects(self.layout, RemoteBlobs(conn, self.state))
        return pull(conn, self.state, source, force, prefer)

    def push(self, connect: Connect, leave_draft: bool = False, jobs: int | None = None,
             progress: Progress | None = None) -> PushResult:
        """Send the current branch's new commits to the server."""
        from gasvc.workspace.sync.push import push

        return push(remote.connection(self.layout, connect, jobs, progress), self.state,
                    leave_draft)

    def remote(self) -> Remote:
        """The server and dataset this workspace syncs with (refused when it has none)."""
        from gasvc.workspace.sync.remote import require_remote

        return require_remote(self.state)

    def dataset(self) -> str | None:
        """The name of the dataset this workspace holds."""
        from gasvc.workspace.sync.remote import workspace_dataset

        return workspace_dataset(self.state)

    def set_remote(self, new: Remote) -> Remote | None:
        """Point the workspace at `new`; returns the remote it had."""
        from gasvc.workspace.sync.datasets import change_remote

        return change_remote(self.state, new)

    def drafts(self, connect: Connect, every: bool = False) -> list[DraftInfo]:
        """The dataset's open drafts (all of them when `every`)."""
        from gasvc.workspace.sync import drafts

        client, dataset_id = connect()
        return drafts.list_drafts(client, dataset_id, "ALL" if every else "OPEN")

    def show_draft(self, connect: Connect, number: int) -> DraftDetails:
        from gasvc.workspace.sync import drafts

        client, dataset_id = connect()
        return drafts.show_draft(client, dataset_id, number)

    def commit_draft(self, connect: Connect, number: int, message: str) -> DraftCommit:
        from gasvc.workspace.sync import drafts

        client, dataset_id = connect()
        return drafts.commit_draft(self.state, client, dataset_id, number, message)

    def close_draft(self, connect: Connect, number: int) -> DraftInfo:
        from gasvc.workspace.sync import drafts

        client, dataset_id = connect()
        return drafts.close_draft(client, dataset_id, number)

    def tags(self, connect: Connect) -> list[TagInfo]:
        """Local tags, and the server's when the workspace has a remote."""
        from gasvc.workspace.sync import tags

        on = self._connected_if_remote(connect)
        return tags.list_tags(self.state, on[0] if on else None, on[1] if on else "")

    def delete_tag(self, connect: Connect, name: str) -> TagInfo:
        """Delete the tag on the server (when the workspace has a remote) and locally."""
        from gasvc.workspace.sync import tags

        on = self._connected_if_remote(connect)
        return tags.delete_tag(self.state, on[0] if on else None, on[1] if on else "", name)

    def create_tag(self, connect: Connect, name: str, commit: str) -> TagInfo:
        """Tag `commit` on the server, which must have it (tags are made there)."""
        from gasvc.workspace.sync import tags

        tags.require_remote_for_tags(self.state)
        client, dataset_id = connect()
        return tags.create_tag(self.state, client, dataset_id, name, commit)

    def _connected_if_remote(self, connect: Connect) -> tuple[Any, str] | None:
        from gasvc.workspace.sync.remote import get_remote

        return connect() if get_remote(self.state) else None

    def check_ignore(self, paths: list[str]) -> list[tuple[Rule | None, bool]]:
        """For each workspace path: the rule that decides, and whether it is ignored."""
        from gasvc.workspace.worktree.ignore import check_paths

        return check_paths(self.layout, self.state, paths)
