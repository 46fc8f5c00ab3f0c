"""Every error a user can act on ends as `error: …` + `hint: …`, a non-zero exit and no traceback
(unless `--debug`); and every command's `--help` shows an example.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from gascli import Gas, failed, write
from serverproc import ServerProcess, free_port

from gasvc.cli import main


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def offline(gas: Gas, tmp_path: Path) -> Path:
    """A workspace without a remote, with one file in segment train."""
    root = tmp_path / "err-offline"
    gas(root, "init", "--no-remote")
    write(root, {"train/a.jpg": "A"})
    return root


def test_not_a_workspace(gas: Gas, tmp_path: Path) -> None:
    result = gas(tmp_path, "status", check=False)
    failed(result, "is not inside a gas workspace")
    assert "hint: run `gas init`" in result.stderr


@pytest.mark.parametrize("command", [["draft", "list"], ["push"], ["fetch"], ["pull"],
                                     ["draft", "show", "abc"], ["draft", "close", "abc"],
                                     ["draft", "commit", "abc", "-m", "x"]])
def test_no_remote(gas: Gas, offline: Path, command: list[str]) -> None:
    """Every command that needs the server connects the same way, so says the same thing; the
    draft commands say it before they look at the draft number."""
    result = gas(offline, *command, check=False)
    failed(result, "this workspace has no remote (dataset 'err-offline', offline)")
    assert "gas remote set URL err-offline" in result.stderr


def test_bad_key(gas: Gas, server: ServerProcess, tmp_path: Path) -> None:
    result = gas(tmp_path, "auth", server.url, "Accesskey-" + "0" * 32, "--ca-bundle",
                 str(server.verify), check=False)
    failed(result, "is not a valid access key")
    assert "0" * 32 not in result.stderr  # the key is masked
    assert not gas.config.exists()


def test_bad_key_in_the_profile(gas: Gas, server: ServerProcess, tmp_path: Path) -> None:
    gas.login(server, "Accesskey-" + "1" * 32)
    result = gas(tmp_path, "dataset", "list", check=False)
    failed(result, "error: ")
    assert "hint: check the access key" in result.stderr


def test_server_down(gas: Gas, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/"
    result = gas(tmp_path, "dataset", "list", check=False, GAS_URL=down,
                 GAS_ACCESS_KEY="Accesskey-" + "2" * 32)
    failed(result, f"cannot reach the server at {down}")
    assert "hint: is it running?" in result.stderr


def test_dataset_missing(gas: Gas, server: ServerProcess, alice: str, offline: Path) -> None:
    gas.login(server, alice)
    result = gas(offline, "remote", "set", server.url, "no-such-dataset", check=False)
    failed(result, "dataset 'no-such-dataset' does not exist")
    assert "gas dataset create no-such-dataset" in result.stderr
    failed(gas(offline, "dataset", "delete", "no-such-dataset", "--yes", check=False),
           "does not exist")


@pytest.mark.parametrize("tbrn, message", [
    ("tb:", "no dataset name"),
    ("tb:err-offline@", "empty revision"),
    ("tb:err-offline#x", "is not a number"),
    ("tb:err-offline:a:b:c", "frames and sensors are not supported"),
])
def test_invalid_tbrn(gas: Gas, offline: Path, tbrn: str, message: str) -> None:
    result = gas(offline, "tag", "v1", tbrn, check=False)
    failed(result, message)
    assert "hint: write tb:DATASET" in result.stderr


@pytest.mark.parametrize("line, message", [
    ("{not json", "train/metadata.jsonl:1: not valid JSON"),
    ('{"label": {}}', "train/metadata.jsonl:1: no file_name"),
    ('{"file_name": "../a.jpg", "label": {}}', "train/metadata.jsonl:1: invalid remote path"),
])
def test_invalid_metadata_line(gas: Gas, offline: Path, line: str, message: str) -> None:
    write(offline, {"train/metadata.jsonl": line + "\n"})
    failed(gas(offline, "add", "-A", check=False), message)


@pytest.mark.parametrize("path, message", [
    ("../elsewhere.jpg", "is outside the workspace"),
    (".gas/state.sqlite", "is not inside a segment folder"),
])
def test_path_not_allowed(gas: Gas, offline: Path, path: str, message: str) -> None:
    failed(gas(offline, "add", path, check=False), message)


def test_unknown_revision(gas: Gas, offline: Path) -> None:
    gas(offline, "add", "-A")
    gas(offline, "commit", "-m", "first")
    for args in (["checkout", "no-such-rev"], ["log", "no-such-rev"],
                 ["branch", "b", "no-such-rev"]):
        failed(gas(offline, *args, check=False), "unknown revision 'no-such-rev'")


def test_debug_shows_the_traceback(gas: Gas, tmp_path: Path) -> None:
    result = gas(tmp_path, "--debug", "status", check=False)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "NotAWorkspace" in result.stderr


# docs -----------------------------------------------------------------------------------
def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"`gas {' '.join((*path, name))}` does not load"
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


@pytest.mark.parametrize("path", list(_commands(main)), ids=lambda p: " ".join(p) or "gas")
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`gas {' '.join(path)} --help` shows no example"
