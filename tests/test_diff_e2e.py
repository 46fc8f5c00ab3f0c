"""End to end: two revisions pushed with `gas push`, diffed in a fresh clone, where the older one
is known by its metadata only — so `gas diff` asks the server, and must agree with the local diff
in the workspace that made the commits.

Skipped until `gas push` and `gas clone` are registered commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from serverproc import ServerProcess
from test_diff_server import CATALOG_1, CATALOG_2, V1, V2, write_version

from gasvc.cli import main
from gasvc.workspace.store.refs import resolve
from gasvc.workspace.store.state import State


@pytest.fixture(scope="module")
def server(http_server: ServerProcess) -> ServerProcess:
    return http_server


@pytest.fixture(scope="module")
def env(server: ServerProcess) -> dict[str, str | None]:
    return {"GAS_URL": server.url, "GAS_ACCESS_KEY": server.add_user("alice"),
            "GAS_CONFIG": "/nonexistent/gasconfig", "GAS_AUTHOR": "alice",
            "GAS_COMMIT_DATE": "1700000000"}


def gas(root: Path, env: dict[str, str | None], *args: str) -> str:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, list(args), env=env)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, f"gas {' '.join(args)}: {result.output}"
    return result.stdout


def test_diff_of_pushed_revisions_in_a_clone(tmp_path: Path,
                                             env: dict[str, str | None]) -> None:
    maker = tmp_path / "maker"
    maker.mkdir()
    gas(maker, env, "init", "diffe2e")
    write_version(maker, V1, CATALOG_1)
    gas(maker, env, "add", "-A")
    gas(maker, env, "add", "catalog.json")
    gas(maker, env, "commit", "-m", "Import")
    gas(maker, env, "push", "-q")
    (maker / "train/images/3.jpg").unlink()
    write_version(maker, V2, CATALOG_2)
    gas(maker, env, "commit", "-a", "-m", "Relabel and extend")
    gas(maker, env, "add", "-A")
    gas(maker, env, "add", "catalog.json")
    gas(maker, env, "commit", "-m", "Add the new files")
    gas(maker, env, "push", "-q")

    gas(tmp_path, env, "clone", "diffe2e", "copy", "-q")
    copy = tmp_path / "copy"
    state = State(copy / ".gas" / "state.sqlite")
    try:
        old = resolve(state, "HEAD~2")
        assert old.server_id is not None
        materialized = old.state is not None
    finally:
        state.close()
    for options in ([], ["--stat"], ["--name-status"]):
        assert gas(copy, env, "diff", "HEAD~2", "HEAD", *options) == gas(
            maker, env, "diff", "HEAD~2", "HEAD", *options)
    body = json.loads(gas(copy, env, "diff", "HEAD~2", "HEAD", "--json"))
    assert body["source"] == ("local" if materialized else "server")
    shown, original = gas(copy, env, "show", "HEAD~1"), gas(maker, env, "show", "HEAD~1")
    assert "[not pushed]" not in shown and "[not pushed]" not in original
    # the same server id and changes; the date is the server's in the clone
    assert without_date(shown) == without_date(original)


def without_date(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("Date:")]
