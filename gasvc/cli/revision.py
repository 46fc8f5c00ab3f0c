"""Revision and draft arguments, plain or as TBRNs (spec 5): `v1`, `tb:DATASET@v1`, `tb:DATASET#3`.

A TBRN must name this workspace's dataset. A TBRN path (`tb:DATASET:SEGMENT://PATH`) names a
workspace path (`resolve_path_arg`). `tb:DATASET` alone means the head of the dataset's
default branch as last fetched (`origin/main`). Commands call `resolve_revision_arg` where they
need a commit and `resolve_draft_arg` where they need a draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.model.tbrn import TBRN, TBRNError, is_tbrn, parse_tbrn
from gasvc.workspace.store.layout import shown_path
from gasvc.workspace.store.state import State

DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class RevisionArg:
    """What a revision argument names: a revision (branch, tag, commit, HEAD~N) or a draft."""

    revision: str | None
    draft: int | None


def parse_revision_arg(state: State, text: str) -> RevisionArg:
    if not is_tbrn(text):
        return RevisionArg(text, None)
    tbrn = parse_tbrn(text)
    _check_dataset(state, text, tbrn)
    if tbrn.segment is not None:
        raise TBRNError(f"{text!r} names a segment or file, not a revision",
                        f"write tb:{tbrn.dataset}@REVISION or tb:{tbrn.dataset}#DRAFT; paths "
                        "go after `--` (gas diff REV -- tb:DATASET:SEGMENT://PATH)")
    if tbrn.draft is not None:
        return RevisionArg(None, tbrn.draft)
    return RevisionArg(tbrn.revision or f"origin/{DEFAULT_BRANCH}", None)


def resolve_revision_arg(state: State, text: str) -> str:
    """The revision a commit argument names (`tb:DATASET@REV` → `REV`); drafts are refused."""
    found = parse_revision_arg(state, text)
    if found.revision is None:
        raise TBRNError(f"{text!r} is a draft; this command needs a commit",
                        f"see the draft with `gas draft show {found.draft}`, or commit it with "
                        f"`gas draft commit {found.draft} -m MESSAGE`")
    return found.revision


def resolve_range_arg(state: State, text: str) -> str:
    """A revision or a range (`A..B`, `A...B`) with TBRNs on either side made plain."""
    dots = "..." if "..." in text else ".." if ".." in text else ""
    if dots:
        return dots.join(resolve_range_arg(state, side) for side in text.split(dots, 1))
    return resolve_revision_arg(state, text) if is_tbrn(text) else text


def resolve_draft_arg(state: State, text: str) -> int:
    """The draft number in `3`, `#3` or `tb:DATASET#3`."""
    if is_tbrn(text):
        found = parse_revision_arg(state, text)
        if found.draft is None:
            raise TBRNError(f"{text!r} is not a draft", "write tb:DATASET#NUMBER")
        return found.draft
    number = text.removeprefix("#")
    if not number.isdigit():
        raise TBRNError(f"invalid draft {text!r}", "give its number: 3, #3 or tb:DATASET#3")
    return int(number)


def resolve_path_arg(state: State, text: str) -> str:
    """The workspace-relative path a TBRN path names: `tb:DATASET:train://a/b.jpg` → `train/a/b.jpg`
    (the segment's folder and the path in it)."""
    tbrn = parse_tbrn(text)
    _check_dataset(state, text, tbrn)
    if tbrn.segment is None:
        raise TBRNError(f"{text!r} names no segment or file",
                        f"write tb:{tbrn.dataset}:SEGMENT or tb:{tbrn.dataset}:SEGMENT://PATH")
    if tbrn.revision is not None or tbrn.draft is not None:
        at = f"@{tbrn.revision}" if tbrn.draft is None else f"#{tbrn.draft}"
        plain = str(TBRN(tbrn.dataset, segment=tbrn.segment, path=tbrn.path))
        raise TBRNError(f"{text!r} names a revision ({at}) in a path; paths name no revision",
                        f"give the revision as a revision argument and the path without it: "
                        f"tb:{tbrn.dataset}{at} -- {plain}")
    return shown_path(tbrn.segment, tbrn.path or "")


def _check_dataset(state: State, text: str, tbrn: TBRN) -> None:
    from gasvc.workspace.sync.remote import workspace_dataset  # only for a TBRN

    mine = workspace_dataset(state)
    if mine is None:
        raise TBRNError(f"{text!r} names dataset {tbrn.dataset!r}, but this workspace has none",
                        "set it with `gas remote set URL DATASET`")
    if tbrn.dataset != mine:
        raise TBRNError(f"{text!r} names dataset {tbrn.dataset!r}, but this workspace is "
                        f"{mine!r}", f"write tb:{mine}@REVISION, or work in a workspace of "
                        f"{tbrn.dataset!r}")
