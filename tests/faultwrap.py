"""Run one `gas` command and kill it (SIGKILL to itself) right after its N-th durable step.

A durable step is a file rename (`os.replace`, `os.rename`), a committed transaction of the
workspace's state database (`State.transaction`) or an HTTP response received
(`requests.Session.send`). A rename of a file from outside `.gas/` counts twice: the moment
before it (its temporary file written, not yet in place: a temporary file in the working tree
would show then) and the moment after; from inside `.gas/`, killed before the rename is the same
workspace as killed after the step before. The product code has no hooks: these are
patched from outside.

    python tests/faultwrap.py N gas-args…   # killed after step N; N = 0: never (the count of
                                            # steps is printed on stderr at the end)

Tests call `run()`, which forks the test process itself (gasvc already imported, so a run costs
no interpreter start-up) and runs the command in the child.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GAS_DIR = ".gas"
#: Every command module, imported before forking.
COMMAND_MODULES = ("work", "branching", "sync", "setup", "drafts", "diffing", "connect")


class Steps:
    """Counts durable steps (from any thread); at step `kill_at` the process kills itself."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at, self.count = kill_at, 0
        self.lock = threading.Lock()

    def step(self) -> None:
        with self.lock:
            self.count += 1
            if self.count == self.kill_at:
                if os.environ.get("FAULTWRAP_TRACE"):  # where it dies, for debugging
                    import traceback

                    traceback.print_stack(file=sys.stderr)
                    sys.stderr.flush()
                os.kill(os.getpid(), signal.SIGKILL)


def install(steps: Steps) -> None:
    """Patch the three kinds of durable step to count (and maybe kill) after each."""
    import requests

    from gasvc.workspace.store.state import State

    real_replace, real_rename, real_send = os.replace, os.rename, requests.Session.send
    real_transaction = State.transaction

    def replace(source: Any, *args: Any, **kwargs: Any) -> None:
        if GAS_DIR not in Path(source).parts:
            steps.step()
        real_replace(source, *args, **kwargs)
        steps.step()

    def rename(source: Any, *args: Any, **kwargs: Any) -> None:
        if GAS_DIR not in Path(source).parts:
            steps.step()
        real_rename(source, *args, **kwargs)
        steps.step()

    def send(self: requests.Session, *args: Any, **kwargs: Any) -> requests.Response:
        response = real_send(self, *args, **kwargs)
        steps.step()
        return response

    @contextmanager
    def transaction(self: State) -> Iterator[None]:
        with real_transaction(self):
            yield
        steps.step()

    for owner, name, patched in ((os, "replace", replace), (os, "rename", rename),
                                 (requests.Session, "send", send),
                                 (State, "transaction", transaction)):
        setattr(owner, name, patched)


def preload() -> None:
    """Import everything a command may need, so that forked children start warm."""
    import importlib

    import requests  # noqa: F401

    for name in COMMAND_MODULES:
        importlib.import_module(f"gasvc.cli.{name}")
    for name in ("sync.clone", "sync.pull", "sync.push", "sync.fetch", "worktree.stage",
                 "versions.commit", "versions.branches", "sync.remote_blobs", "sync.remote_state",
                 "versions.merge", "sync.upload", "worktree.status"):
        importlib.import_module(f"gasvc.workspace.{name}")


def _main(args: list[str], kill_at: int) -> int:
    """Run `gas ARGS` here with the steps counted; returns the exit code and the step count."""
    from gasvc.cli import main

    steps = Steps(kill_at)
    install(steps)
    code: Any = 0
    try:
        main.main(args=args, prog_name="gas", standalone_mode=True)
    except SystemExit as done:
        code = done.code
    _STEPS[0] = steps.count
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


_STEPS = [0]


@dataclass(frozen=True)
class Outcome:
    code: int  # exit code; -9 when killed
    steps: int  # durable steps made (the kill point when killed)
    out: str
    err: str

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


def run(kill_at: int, cwd: Path, args: list[str], env: dict[str, str]) -> Outcome:
    """Fork; the child runs `gas ARGS` in `cwd` with `env`, killed after step `kill_at`."""
    with tempfile.TemporaryDirectory() as folder:
        out_path, err_path, count_path = (Path(folder) / n for n in ("out", "err", "count"))
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 99
            try:
                out = os.open(out_path, os.O_WRONLY | os.O_CREAT)
                err = os.open(err_path, os.O_WRONLY | os.O_CREAT)
                os.dup2(out, 1)
                os.dup2(err, 2)
                sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env)
                code = _main(args, kill_at)
                count_path.write_text(str(_STEPS[0]))
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        steps = int(count_path.read_text()) if count_path.exists() else kill_at
        return Outcome(code, steps, out_path.read_text(errors="replace"),
                       err_path.read_text(errors="replace"))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    exit_code = _main(sys.argv[2:], int(sys.argv[1]))
    print(f"faultwrap: {_STEPS[0]} durable steps", file=sys.stderr)
    sys.exit(exit_code)
