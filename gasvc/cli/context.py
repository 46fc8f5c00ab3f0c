"""What the CLI reads from the environment: the workspace around the cwd, path arguments, who
the author is. Only the CLI reads the cwd and environment variables.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gasvc.errors import InvalidParams
from gasvc.workspace.layout import Layout, find_workspace
from gasvc.workspace.stage import PathSpec, parse_pathspec
from gasvc.workspace.state import State


@dataclass
class Opened:
    layout: Layout
    state: State


@contextmanager
def workspace() -> Iterator[Opened]:
    layout = find_workspace(Path.cwd())
    state = State(layout.state_db)
    try:
        yield Opened(layout, state)
    finally:
        state.close()


def pathspecs(layout: Layout, paths: tuple[str, ...]) -> list[PathSpec]:
    """Path arguments (relative to the cwd) as workspace path specs."""
    specs = []
    for raw in paths:
        absolute = (Path.cwd() / raw).absolute()
        resolved = Path(os.path.normpath(absolute))
        try:
            relative = resolved.relative_to(layout.root.resolve())
        except ValueError:
            raise InvalidParams(f"{raw!r} is outside the workspace {layout.root}") from None
        specs.append(parse_pathspec(relative.as_posix()))
    return specs


def author_name() -> str:
    return os.environ.get("GAS_AUTHOR") or getpass.getuser()
