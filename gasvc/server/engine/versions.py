"""Branches, drafts, commits and tags: the version graph of a dataset (spec 2.3, 3.3–3.6)."""

from __future__ import annotations

import uuid
from typing import Any

from gasvc.errors import Forbidden, InvalidParams, NameConflict, ParamsMissing, ResourceNotExist
from gasvc.model.names import ROOT_COMMIT, check_ref_name, is_commit_id
from gasvc.model.trailers import merged_from, with_merged_from
from gasvc.server.engine.context import Context, save_draft_state
from gasvc.server.engine.overlay import flush
from gasvc.server.meta import MetaTx
from gasvc.server.params import MAX_DESCRIPTION, MAX_TITLE, check_text
from gasvc.server.records import Commit, Dataset, Draft, User

DRAFT_STATUSES = ("OPEN", "CLOSED", "COMMITTED")
MIN_ABBREV = 7


def commit_info(commit: Commit) -> dict[str, Any]:
    return {
        "commitId": commit.id, "parentCommitId": commit.parent_id, "title": commit.title,
        "description": commit.description,
        "committer": {"name": commit.committer, "date": commit.date},
    }


def draft_info(draft: Draft) -> dict[str, Any]:
    return {
        "number": draft.number, "title": draft.title, "branchName": draft.branch,
        "status": draft.status, "parentCommitId": draft.parent_commit,
        "author": {"name": draft.author, "date": draft.created}, "updatedAt": draft.updated,
        "description": draft.description,
    }


def resolve_revision(tx: MetaTx, dataset_id: str, revision: str) -> str | None:
    """A commit id for a revision: commit id, branch, tag, or an unambiguous id prefix."""
    if revision == ROOT_COMMIT or (is_commit_id(revision) and tx.commit(dataset_id, revision)):
        return revision
    for ref in (tx.branch(dataset_id, revision), tx.tag(dataset_id, revision)):
        if ref is not None:
            return ref.commit_id
    if len(revision) >= MIN_ABBREV and all(c in "0123456789abcdef" for c in revision):
        found = tx.commits_with_prefix(dataset_id, revision)
        if len(found) == 1:
            return found[0].id
    return None


def _keep_merged_from(description: str, draft: Draft) -> str:
    """A commit of a merge draft (squash-and-merge) keeps the draft's "Merged-from" trailer,
    whatever description the commit is given: later merges find their base by it."""
    merged = merged_from(draft.description)
    if merged is None or merged_from(description) is not None:
        return description
    return with_merged_from(description, merged)


class Versions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # branches ----------------------------------------------------------------------------
    def list_branches(self, user: User, dataset_id: str, name: str | None, offset: int,
                      limit: int, exact: bool = False) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            refs, total = tx.list_branches(dataset.id, name, offset, limit, exact)
            return [self._ref_info(tx, dataset, r.name, r.commit_id) for r in refs], total

    def _ref_info(self, tx: MetaTx, dataset: Dataset, name: str, commit_id: str
                  ) -> dict[str, Any]:
        info: dict[str, Any] = {"name": name, "commitId": commit_id}
        commit = tx.commit(dataset.id, commit_id)
        if commit is not None:
            info.update(commit_info(commit))
        return info

    def create_branch(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        self._add_ref(user, dataset_id, body, "branches")

    def _add_ref(self, user: User, dataset_id: str, body: dict[str, Any], kind: str) -> None:
        """A new branch or tag (`kind`: "branches" or "tags") at the body's `commit`."""
        what = "branch" if kind == "branches" else "tag"
        name = check_ref_name(what, body.get("name"))
        revision = body.get("commit")
        if not isinstance(revision, str):
            raise ParamsMissing("commit is required", f"give the revision the {what} is made at")
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            commit_id = resolve_revision(tx, dataset.id, revision)
            if commit_id is None:
                raise ResourceNotExist(f"revision {revision!r} does not exist")
            if commit_id == ROOT_COMMIT:
                raise Forbidden(f"cannot make a {what} at the root commit",
                                "commit something first")
            find, add = (tx.branch, tx.add_branch) if kind == "branches" else (tx.tag, tx.add_tag)
            if find(dataset.id, name) is not None:
                raise NameConflict(f"{what} {name!r} already exists")
            add(dataset.id, name, commit_id)

    def delete_branch(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        name = body.get("name")
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            if name == dataset.default_branch:
                raise Forbidden(f"cannot delete the default branch {name!r}")
            if not isinstance(name, str) or not tx.delete_branch(dataset.id, name):
                raise ResourceNotExist(f"branch {name!r} does not exist")

    # drafts ------------------------------------------------------------------------------
    def list_drafts(self, user: User, dataset_id: str, status: str | None, branch: str | None,
                    offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        status = status or "OPEN"
        if status not in (*DRAFT_STATUSES, "ALL"):
            raise InvalidParams(f"invalid draft status {status!r}", "use OPEN, CLOSED, "
                                "COMMITTED or ALL")
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            drafts, total = tx.list_drafts(
                dataset.id, None if status == "ALL" else status, branch, offset, limit
            )
        return [draft_info(d) for d in drafts], total

    def create_draft(self, user: User, dataset_id: str, body: dict[str, Any]) -> int:
        branch = body.get("branchName")
        title = body.get("title")
        if not isinstance(branch, str):
            raise ParamsMissing("branchName is required")
        if not isinstance(title, str) or not title:
            raise ParamsMissing("title is required", "give the draft a title")
        check_text(title, "title", MAX_TITLE)
        description = check_text(body.get("description"), "description", MAX_DESCRIPTION)
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            head = tx.branch(dataset.id, branch)
            if head is None:
                raise ResourceNotExist(f"branch {branch!r} does not exist")
            state = self.ctx.commit_state(tx, dataset, head.commit_id)
            now = self.ctx.now()
            number = tx.next_draft_number(dataset.id)
            tx.add_draft(dataset.id, Draft(
                number, branch, head.commit_id, title, description,
                "OPEN", user.name, now, now, save_draft_state(state),
            ))
            tx.touch_dataset(dataset.id, now)
        return number

    def update_draft(self, user: User, dataset_id: str, number: str,
                     body: dict[str, Any]) -> dict[str, Any]:
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            draft = self.ctx.open_draft(tx, dataset, number)
            fields: dict[str, Any] = {"updated": self.ctx.now()}
            if "status" in body:
                if body["status"] != "CLOSED":
                    raise InvalidParams(f"cannot set draft status {body['status']!r}",
                                        "a draft can only be CLOSED; commit it to commit it")
                fields["status"] = "CLOSED"
                tx.clear_changes(dataset.id, draft.number)
            if "title" in body:
                fields["title"] = check_text(body["title"], "title", MAX_TITLE, required=True)
            if "description" in body:
                fields["description"] = check_text(body["description"], "description",
                                                   MAX_DESCRIPTION)
            tx.update_draft(dataset.id, draft.number, **fields)
        return {"draftNumber": draft.number, **({"status": "CLOSED"} if "status" in body else {})}

    # commits -----------------------------------------------------------------------------
    def list_commits(self, user: User, dataset_id: str, revision: str | None, offset: int,
                     limit: int) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            if revision is None:
                head = tx.branch(dataset.id, dataset.default_branch)
                revision = head.commit_id if head else ROOT_COMMIT
            commit_id = resolve_revision(tx, dataset.id, revision)
            head_commit = tx.commit(dataset.id, commit_id) if commit_id else None
            if head_commit is None:
                return [], 0
            commits = tx.ancestors(dataset.id, head_commit.id, offset, limit)
        return [commit_info(c) for c in commits], head_commit.depth

    def commit(self, user: User, dataset_id: str, body: dict[str, Any]) -> str:
        """Turn an OPEN draft into a commit; its branch moves by compare-and-swap only."""
        title = body.get("title")
        if not isinstance(title, str) or not title:
            raise ParamsMissing("title is required", "give the commit a message")
        check_text(title, "title", MAX_TITLE)
        description = check_text(body.get("description"), "description", MAX_DESCRIPTION)
        tag = body.get("tag") or None
        if tag is not None:
            check_ref_name("tag", tag)
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            draft = self.ctx.open_draft(tx, dataset, body.get("draftNumber"))
            if tag is not None and tx.tag(dataset.id, tag) is not None:
                raise NameConflict(f"tag {tag!r} already exists", "choose another tag name")
            state = flush(self.ctx, tx, dataset, draft)
            description = _keep_merged_from(description, draft)
            parent = tx.commit(dataset.id, draft.parent_commit)
            now = self.ctx.now()
            commit = Commit(
                uuid.uuid4().hex, draft.parent_commit, self.ctx.objects(tx).put(state.stored()),
                title, description, user.name, now,
                (parent.depth if parent else 0) + 1,
            )
            if not tx.move_branch(dataset.id, draft.branch, draft.parent_commit, commit.id):
                raise Forbidden(
                    f"branch {draft.branch!r} moved since draft {draft.number} was created",
                    "the draft is stale: pull the new head, re-apply the changes and commit again",
                )
            tx.add_commit(dataset.id, commit)
            tx.update_draft(dataset.id, draft.number, status="COMMITTED", updated=now)
            if tag is not None:
                tx.add_tag(dataset.id, tag, commit.id)
            tx.touch_dataset(dataset.id, now)
        return commit.id

    # tags --------------------------------------------------------------------------------
    def list_tags(self, user: User, dataset_id: str, name: str | None, offset: int,
                  limit: int, exact: bool = False) -> tuple[list[dict[str, Any]], int]:
        with self.ctx.meta.read() as tx:
            dataset = self.ctx.readable(tx, user, dataset_id)
            refs, total = tx.list_tags(dataset.id, name, offset, limit, exact)
            return [self._ref_info(tx, dataset, r.name, r.commit_id) for r in refs], total

    def create_tag(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        self._add_ref(user, dataset_id, body, "tags")

    def delete_tag(self, user: User, dataset_id: str, body: dict[str, Any]) -> None:
        name = body.get("name")
        with self.ctx.meta.write() as tx:
            dataset = self.ctx.writable(tx, user, dataset_id)
            if not isinstance(name, str) or not tx.delete_tag(dataset.id, name):
                raise ResourceNotExist(f"tag {name!r} does not exist")
