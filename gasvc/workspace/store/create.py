"""`gas init`: making a folder a workspace (its `.gas/` state database and object store)."""

from __future__ import annotations

from pathlib import Path

from gasvc.workspace.store.layout import AlreadyAWorkspace, Layout
from gasvc.workspace.store.refs import set_head
from gasvc.workspace.store.relocate import LAYOUT_KEY, LAYOUT_VERSION
from gasvc.workspace.store.state import State


def init(root: Path, branch: str = "main") -> Layout:
    """Make `root` a workspace; files already there become untracked changes."""
    layout = Layout(root)
    if layout.state_db.exists():
        raise AlreadyAWorkspace(f"{root} is already a gas workspace",
                                "work in it, or choose another folder")
    layout.gas.mkdir(parents=True, exist_ok=True)
    layout.objects.mkdir(exist_ok=True)
    state = State(layout.state_db)
    try:
        with state.transaction():
            set_head(state, branch)
            state.set(LAYOUT_KEY, LAYOUT_VERSION)
    finally:
        state.close()
    return layout
