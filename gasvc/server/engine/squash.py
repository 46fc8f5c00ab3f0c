"""Squash-and-merge: a source branch's changes since its merge base with the target branch,
merged by the label-aware engine (model/merge.py) into a new OPEN draft on the target branch.

Strategies: `abort` (any conflict fails the job, naming the items, and changes nothing),
`override` (the source wins each conflict), `skip` (the target wins). Fields that do not
conflict merge from both sides whatever the strategy. The draft's description ends with the
"Merged-from" trailer naming the source head, so a later merge of the same branch starts from
there and repeats no conflict.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from gasvc.errors import InvalidParams, ParamsMissing, ResourceNotExist
from gasvc.model.merge import OURS, THEIRS, Conflict, merge_states
from gasvc.model.names import ROOT_COMMIT
from gasvc.model.trailers import merged_from, with_merged_from
from gasvc.server.engine.context import Context, save_draft_state
from gasvc.server.meta import MetaTx
from gasvc.server.params import MAX_DESCRIPTION, MAX_TITLE, check_text
from gasvc.server.records import Dataset, Draft

STRATEGIES = {"abort": None, "override": THEIRS, "skip": OURS}
#: Conflicts named in a failed job's message at most.
NAMED_CONFLICTS = 20


class MergeConflicts(InvalidParams):
    """Squash-and-merge with strategy `abort` met conflicts: the job fails with this message."""


def check_arguments(arguments: dict[str, Any]) -> None:
    """Refuse a squash-and-merge job whose arguments cannot run, when it is created."""
    for name in ("title", "sourceBranchName", "targetBranchName"):
        if not isinstance(arguments.get(name), str) or not arguments[name]:
            raise ParamsMissing(f"arguments.{name} is required")
    check_text(arguments["title"], "arguments.title", MAX_TITLE)
    check_text(arguments.get("description"), "arguments.description", MAX_DESCRIPTION)
    strategy = arguments.get("strategy", "abort")
    if strategy not in STRATEGIES:
        raise InvalidParams(f"invalid strategy {strategy!r}", "use abort, override or skip")


def parents(tx: MetaTx, dataset_id: str, commit_id: str) -> list[str]:
    """A commit's parent and the commit its "Merged-from" trailer names."""
    commit = tx.commit(dataset_id, commit_id)
    if commit is None:
        return []
    found = [commit.parent_id] if commit.parent_id != ROOT_COMMIT else []
    merged = merged_from(commit.description)
    if merged and tx.commit(dataset_id, merged) is not None:
        found.append(merged)
    return found


def ancestry(tx: MetaTx, dataset_id: str, commit_id: str) -> set[str]:
    found: set[str] = set()
    todo = deque([commit_id] if commit_id != ROOT_COMMIT else [])
    while todo:
        current = todo.popleft()
        if current not in found:
            found.add(current)
            todo.extend(parents(tx, dataset_id, current))
    return found


def merge_base(tx: MetaTx, dataset_id: str, ours: str, theirs: str) -> str:
    """The newest common ancestor of two commits (along both parents of merges), or ROOT."""
    mine = ancestry(tx, dataset_id, ours)
    common: list[str] = []
    seen: set[str] = set()
    todo = deque([theirs] if theirs != ROOT_COMMIT else [])
    while todo:
        current = todo.popleft()
        if current in seen:
            continue
        seen.add(current)
        if current in mine:
            common.append(current)
        else:
            todo.extend(parents(tx, dataset_id, current))
    if not common:
        return ROOT_COMMIT
    best = [tx.commit(dataset_id, c) for c in common]
    return max((c for c in best if c is not None), key=lambda c: (c.depth, c.date)).id


def _head(tx: MetaTx, dataset: Dataset, branch: str) -> str:
    head = tx.branch(dataset.id, branch)
    if head is None:
        raise ResourceNotExist(f"branch {branch!r} does not exist")
    return head.commit_id


def describe(conflicts: list[Conflict]) -> str:
    named = [f"{c.segment}/{c.path}" + (f" ({c.part} {c.field})" if c.field else f" ({c.part})")
             if c.path else (f"segment {c.segment}" if c.segment else f"{c.part} {c.field}")
             for c in conflicts[:NAMED_CONFLICTS]]
    more = len(conflicts) - len(named)
    return (f"{len(conflicts)} conflict(s): " + "; ".join(named)
            + (f"; and {more} more" if more > 0 else "")
            + " — run again with strategy override (source wins) or skip (target wins)")


def squash_and_merge(ctx: Context, tx: MetaTx, dataset: Dataset, author: str,
                     arguments: dict[str, Any]) -> dict[str, Any]:
    """Make the merge draft in `tx`; its result (`{"draftNumber": n}`), or raise."""
    source, target = arguments["sourceBranchName"], arguments["targetBranchName"]
    theirs_id, ours_id = _head(tx, dataset, source), _head(tx, dataset, target)
    base_id = merge_base(tx, dataset.id, ours_id, theirs_id)
    objects = ctx.objects(tx)
    base, ours, theirs = (ctx.commit_state(tx, dataset, c) for c in (base_id, ours_id, theirs_id))
    merged = merge_states(base, ours, theirs, objects.get, objects.put,
                          STRATEGIES[arguments.get("strategy", "abort")])
    if merged.conflicts and arguments.get("strategy", "abort") == "abort":
        raise MergeConflicts(describe(merged.conflicts))
    now = ctx.now()
    number = tx.next_draft_number(dataset.id)
    description = with_merged_from(arguments.get("description") or "", theirs_id)
    tx.add_draft(dataset.id, Draft(number, target, ours_id, arguments["title"], description,
                                   "OPEN", author, now, now, save_draft_state(merged.state)))
    tx.touch_dataset(dataset.id, now)
    return {"draftNumber": number}
