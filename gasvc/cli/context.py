"""What the CLI reads from the environment: the workspace around the cwd, path arguments, who
the author is. Only the CLI reads the cwd and environment variables.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gasvc.errors import ConfigError, InvalidParams
from gasvc.workspace import Workspace
from gasvc.workspace.store.layout import Layout
from gasvc.workspace.store.relocate import Relocated
from gasvc.workspace.store.state import State

if TYPE_CHECKING:
    from gasvc.api.client import ApiClient
    from gasvc.workspace.sync.connection import Connect
    from gasvc.workspace.worktree.pathspec import PathSpec


@contextmanager
def workspace() -> Iterator[Workspace]:
    """The workspace around the cwd, told what its opening moved, closed after the command."""
    with Workspace.open(Path.cwd()) as opened:
        _relocated(opened.relocated)
        yield opened


def _relocated(moved: Relocated) -> None:
    """Tell what opening a workspace made by an older gas moved (once)."""
    if moved.root_files:
        click.echo(f"gas: moved the default segment's {moved.root_files} file"
                   f"{'s' if moved.root_files != 1 else ''} from the workspace root into "
                   "default/ (its folder now)", err=True)
    for old, new in moved.folders:
        click.echo(f"gas: moved segment folder {old} to {new}", err=True)


def server(ws: Workspace) -> Connect:
    """The workspace's server for the verbs that may need it, reached only when one does (the
    HTTP client loads then)."""
    def connect() -> tuple[ApiClient, str]:
        from gasvc.cli.loading import without_collection

        with without_collection():  # the HTTP client's modules (requests: ~60 ms) load here
            from gasvc.cli.connect import connect_workspace
        on = connect_workspace(ws.state)
        return on.client, on.dataset_id
    return connect


def server_now(ws: Workspace) -> Connect:
    """The workspace's server, reached now: for the commands that always need it, so that having
    no remote (or no server) is said before their other arguments are looked at."""
    reached = server(ws)()
    return lambda: reached


def pathspecs(layout: Layout, state: State, paths: tuple[str, ...]) -> list[PathSpec]:
    """Path arguments (relative to the cwd, or TBRNs `tb:DATASET:SEGMENT://PATH`) as workspace
    path specs."""
    if not paths:
        return []
    from gasvc.workspace.worktree import pathspec

    return [pathspec.parse_pathspec(relative, layout.root)
            for relative in workspace_paths(layout, state, paths)]


def workspace_paths(layout: Layout, state: State, paths: tuple[str, ...]) -> list[str]:
    """Path arguments (relative to the cwd, or TBRNs of this dataset) as workspace-relative POSIX
    paths ("." the root)."""
    from gasvc.cli.revision import resolve_path_arg
    from gasvc.model.tbrn import is_tbrn

    found = []
    for raw in paths:
        if is_tbrn(raw):
            found.append(resolve_path_arg(state, raw))
            continue
        absolute = (Path.cwd() / raw).absolute()
        resolved = Path(os.path.normpath(absolute))
        try:
            relative = resolved.relative_to(layout.root.resolve())
        except ValueError:
            raise InvalidParams(f"{raw!r} is outside the workspace {layout.root}") from None
        found.append(relative.as_posix())
    return found


def config_path() -> Path:
    """`~/.gasconfig`, or the file `GAS_CONFIG` names."""
    return Path(os.environ.get("GAS_CONFIG") or Path.home() / ".gasconfig")


#: `gas config commit.strict true`: `gas commit` refuses labels that do not fit the catalog.
STRICT_OPTION = "commit.strict"


def commit_strict(flag: bool | None) -> bool:
    """`--strict`/`--no-strict` when given, else the `commit.strict` setting (default false)."""
    if flag is not None:
        return flag
    if not config_path().is_file():  # no settings (ConfigParser reads a missing file as empty)
        return False
    import configparser  # here: most commands never read the settings file

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config_path(), encoding="utf-8")
    except configparser.Error as error:
        raise ConfigError(f"cannot read {config_path()}: {error.message}",
                          "fix the file by hand") from None
    value = parser.get("config", STRICT_OPTION, fallback="false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ConfigError(f'the option "{STRICT_OPTION}" in {config_path()} is {value!r}, not'
                          " true or false", f"set it: gas config {STRICT_OPTION} true")
    return value in ("true", "1")


def author_name() -> str:
    if os.environ.get("GAS_AUTHOR"):
        return os.environ["GAS_AUTHOR"]
    import getpass

    return getpass.getuser()


def commit_time() -> int:
    """When a new commit is made, in epoch seconds: now, or `GAS_COMMIT_DATE` when set.

    `GAS_COMMIT_DATE` (epoch seconds, or ISO 8601 like `2024-01-02T03:04:05Z`) makes commit
    ids reproducible, like git's GIT_COMMITTER_DATE; the golden-output tests use it.
    """
    fixed = os.environ.get("GAS_COMMIT_DATE", "").strip()
    if not fixed:
        return int(time.time())
    if fixed.isdigit():
        return int(fixed)
    try:
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"GAS_COMMIT_DATE={fixed!r} is not a date",
                          "give epoch seconds or ISO 8601, e.g. 2024-01-02T03:04:05Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())
