"""git's habits in the `gas` command: help, -h, "did you mean", log -N / --graph, the pager,
colour only on a terminal, output that survives a non-UTF-8 terminal, the `gasvc` alias."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from gascli import Gas, write

from gasvc.cli import COMMANDS

ESC = "\x1b["


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def branched(tmp_path: Path, gas: Gas) -> Path:
    """An offline workspace: main has commits 1, 2; `exp` branched at 1 has commit 3."""
    root = tmp_path / "ws"
    write(root, {"train/a.jpg": "A"})
    gas(root, "init", "--no-remote")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "one", GAS_COMMIT_DATE="1000")
    gas(root, "branch", "exp")
    write(root, {"train/b.jpg": "B"})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "two", GAS_COMMIT_DATE="2000")
    gas(root, "checkout", "exp")
    label = '{"CLASSIFICATION": {"category": "café → ☕"}}'
    write(root, {"train/c.jpg": "C",
                 "train/metadata.jsonl": f'{{"file_name": "c.jpg", "label": {label}}}\n'})
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "three ☕", GAS_COMMIT_DATE="3000")
    return root


def test_help_lists_every_command_with_a_summary_and_an_example(tmp_path: Path, gas: Gas
                                                                ) -> None:
    text = gas(tmp_path, "help").stdout
    lines = text.splitlines()
    for name in COMMANDS:
        [row] = [n for n, line in enumerate(lines) if line.startswith(f"  {name} ")]
        assert len(lines[row].split()) > 1, lines[row]
        assert lines[row + 1].strip().startswith("e.g. gas "), (name, lines[row + 1])
    assert gas(tmp_path, "help", "push").stdout == gas(tmp_path, "push", "--help").stdout
    assert gas(tmp_path, "push", "-h").stdout == gas(tmp_path, "push", "--help").stdout
    assert "Usage: gas push" in gas(tmp_path, "push", "-h").stdout
    assert "Commands:" in gas(tmp_path, "-h").stdout


def test_a_mistyped_command_suggests_the_right_one(tmp_path: Path, gas: Gas) -> None:
    result = gas(tmp_path, "stauts", check=False)
    assert result.returncode == 2
    assert "'stauts' is not a gas command" in result.stderr
    # `gas stash` is close too: status comes first
    assert "The most similar commands are: status, stash" in result.stderr
    result = gas(tmp_path, "help", "comit", check=False)
    assert result.returncode == 2 and "commit" in result.stderr


def test_gasvc_is_the_same_command(tmp_path: Path) -> None:
    gasvc = Path(sys.executable).parent / "gasvc"
    result = subprocess.run([str(gasvc), "help"], capture_output=True, text=True, check=True)
    assert "Commands:" in result.stdout and "  push " in result.stdout


def test_log_counts_and_graph(branched: Path, gas: Gas) -> None:
    oneline = gas(branched, "log", "--oneline").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in oneline] == ["(HEAD -> exp) three ☕", "one"]
    assert gas(branched, "log", "-1", "--oneline").stdout.splitlines() == oneline[:1]
    assert gas(branched, "log", "-n", "1", "--oneline").stdout.splitlines() == oneline[:1]
    assert len(gas(branched, "log", "-2").stdout.split("\ncommit ")) == 2
    graph = gas(branched, "log", "--graph", "--all", "--oneline").stdout.splitlines()
    shapes = [line.split(" ")[0] if not line.startswith("| *") else "| *" for line in graph]
    assert shapes == ["*", "| *", "|/", "*"], graph
    assert graph[0].endswith("(HEAD -> exp) three ☕")
    assert graph[1].endswith("(main) two")
    assert graph[3].endswith(" one")
    long = gas(branched, "log", "--graph").stdout.splitlines()
    assert long[0].startswith("* commit ")
    assert long[1] == "| Author: tester"
    assert gas(branched, "log", "--all", "main", check=False).returncode == 2


def run_in_terminal(cwd: Path, gas: Gas, *args: str, **env: str) -> tuple[int, str]:
    """Run `gas ARGS` with stdin and stdout on a pseudo-terminal; (exit code, what it showed)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "gasvc", *args],
                  {**gas.env, "TERM": "dumb", **env})
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def test_long_output_goes_through_the_pager_on_a_terminal(branched: Path, gas: Gas,
                                                          tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    code, shown = run_in_terminal(branched, gas, "log", GAS_PAGER=f"cat > {paged}")
    assert code == 0
    assert "three ☕" in paged.read_text() and "three" not in shown
    code, shown = run_in_terminal(branched, gas, "--no-pager", "diff", "main", "exp",
                                  GAS_PAGER=f"cat > {paged}.2")
    assert code == 0 and "c.jpg" in shown and not Path(f"{paged}.2").exists()
    code, _ = run_in_terminal(branched, gas, "diff", "main", "exp", PAGER=f"cat > {paged}.3")
    assert code == 0 and "c.jpg" in Path(f"{paged}.3").read_text()
    piped = gas(branched, "log", GAS_PAGER=f"cat > {paged}.4")  # not a terminal: no pager
    assert "three" in piped.stdout and not Path(f"{paged}.4").exists()


def test_colour_only_on_a_terminal(branched: Path, gas: Gas) -> None:
    _, shown = run_in_terminal(branched, gas, "--no-pager", "log", "--oneline")
    assert ESC in shown
    _, shown = run_in_terminal(branched, gas, "--no-pager", "--no-color", "log", "--oneline")
    assert ESC not in shown and "three" in shown
    _, shown = run_in_terminal(branched, gas, "--no-pager", "log", "--oneline", NO_COLOR="1")
    assert ESC not in shown and "three" in shown
    assert ESC not in gas(branched, "log", "--oneline").stdout
    write(branched, {"train/new.jpg": "N"})
    _, shown = run_in_terminal(branched, gas, "status")
    assert f"{ESC}31m\ttrain/new.jpg" in shown  # untracked: red
    _, shown = run_in_terminal(branched, gas, "--no-pager", "diff", "main", "exp")
    assert f"{ESC}32m" in shown and f"{ESC}31m" in shown  # added green, deleted red
    _, shown = run_in_terminal(branched, gas, "--no-color", "--no-pager", "diff", "main", "exp")
    assert ESC not in shown and "c.jpg" in shown
    assert ESC not in gas(branched, "status").stdout


def test_output_survives_a_terminal_that_is_not_utf8(branched: Path, gas: Gas) -> None:
    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "gasvc", *args], cwd=branched,
                                env={**gas.env, "PYTHONIOENCODING": "cp1252"},
                                capture_output=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout.decode("cp1252")

    for args in (["log"], ["show"], ["status"]):
        run(*args)
    assert "three \\u2615" in run("log", "--oneline")
    assert "caf\u00e9 \\u2192 \\u2615" in run("diff", "main", "exp")


def test_a_mistyped_branch_suggests_the_right_one(branched: Path, gas: Gas) -> None:
    result = gas(branched, "checkout", "mian", check=False)
    assert result.returncode == 1
    assert "unknown revision 'mian'; did you mean 'main'?" in result.stderr
    result = gas(branched, "branch", "-d", "exq", check=False)
    assert "branch 'exq' not found; did you mean 'exp'?" in result.stderr
    result = gas(branched, "checkout", "zzzz-unrelated", check=False)
    assert "did you mean" not in result.stderr and "unknown revision" in result.stderr
