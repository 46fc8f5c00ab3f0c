"""Operations that change the workspace in several steps record what they are doing while they
run, so that one interrupted half-way (killed, power cut) is never mistaken for a finished one.

- A move of the working tree (checkout, switch, pull): `pending_move` holds the target commit id
  and `pending_move.how` how to finish it or go back; both go in the transaction that settles
  the index and moves HEAD or the branch (checkout.py).
- A clone: `clone.pending` (clone.py), until its refs and HEAD are written.
- A merge, revert or cherry-pick: its result and conflicts are recorded first (mergestate.py),
  then the tree moves as above with `gas merge --continue` / `--abort` as the ways on and back.

`gas status` reports such an operation; commands that would build on the half-moved working
tree (add, rm, commit, push) refuse while one is pending, saying how to finish or undo it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gasvc.errors import ClientError
from gasvc.workspace.store.state import State

MOVE = "pending_move"
MOVE_HOW = "pending_move.how"
CLONE = "clone.pending"


@dataclass(frozen=True)
class MoveIntent:
    """What a move is for: its target commit id ("" for none), the command that finishes it,
    the one that goes back, and its kind ("checkout" or "pull") and branch."""

    target: str
    redo: str
    undo: str
    kind: str = "checkout"
    branch: str | None = None

    @property
    def hint(self) -> str:
        return f"run `{self.redo}` to finish it, or `{self.undo}` to go back"

    def record(self, state: State) -> None:
        """Write the intent (inside the caller's transaction)."""
        state.set(MOVE, self.target)
        state.set(MOVE_HOW, json.dumps({"redo": self.redo, "undo": self.undo,
                                        "kind": self.kind, "branch": self.branch}))


def clear_move(state: State) -> None:
    """Forget the intent (inside the transaction that finishes the move)."""
    state.set(MOVE, None)
    state.set(MOVE_HOW, None)


def pending_move(state: State) -> MoveIntent | None:
    target = state.get(MOVE)
    if target is None:
        return None
    how = json.loads(state.get(MOVE_HOW) or "{}")  # {} from gasvc versions before it
    return MoveIntent(target, str(how.get("redo") or "gas checkout REVISION"),
                      str(how.get("undo") or "gas checkout -f BRANCH"),
                      str(how.get("kind") or "checkout"), how.get("branch"))


@dataclass(frozen=True)
class Interrupted:
    """An operation that did not finish: what it was, what that left, how to finish or undo it."""

    operation: str
    left: str
    hint: str


BETWEEN = "the working tree is part-way between two versions"


def interrupted(state: State) -> Interrupted | None:
    move = pending_move(state)
    if move is not None:
        return Interrupted(move.redo, BETWEEN, move.hint)
    clone = state.get(CLONE)
    if clone is not None:
        record = json.loads(clone)
        name, folder = record.get("name") or "DATASET", record.get("folder") or "DIR"
        return Interrupted(f"gas clone {name}", "the workspace is not complete",
                           f"run `gas clone {name} {folder}` in the folder above to finish it")
    return None


class OperationInterrupted(ClientError):
    """An earlier command was interrupted and must be finished first."""


def require_finished(state: State, doing: str) -> None:
    """Refuse to `doing` while an interrupted operation is pending."""
    found = interrupted(state)
    if found is not None:
        raise OperationInterrupted(
            f"cannot {doing}: `{found.operation}` was interrupted, so {found.left}", found.hint)
