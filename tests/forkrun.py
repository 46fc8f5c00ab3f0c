"""Run `python -m gasvc ARGS` as a forked child of the test process: a real process (its own pid,
cwd, environment, stdio and exit code) without the ~0.4 s of interpreter start-up and imports.

The child undoes what pytest changed in the parent before running the command: stdio, logging
handlers, warning filters and the SIGALRM handler. `GASVC_TEST_SUBPROCESS=1` makes `Gas` start a
fresh interpreter per command instead (to rule the fork out when something looks odd).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import gasvc

FRESH_INTERPRETER = os.environ.get("GASVC_TEST_SUBPROCESS", "") not in ("", "0")
MAIN = str(Path(gasvc.__file__).with_name("__main__.py"))  # sys.argv[0] under `python -m gasvc`

#: Imported once in the parent so that children start warm (commands import them lazily).
_WARM = ("work", "branching", "sync", "setup", "drafts", "diffing", "connect", "helping",
         "tensorbay")


def preload() -> None:
    for name in _WARM:
        importlib.import_module(f"gasvc.cli.{name}")


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float,
        no_stdin: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `gas ARGS` in a child process; like `subprocess.run(..., capture_output=True)`.
    `no_stdin`: stdin is /dev/null (else it is the test process's)."""
    command = [sys.executable, "-m", "gasvc", *args]
    if FRESH_INTERPRETER:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL if no_stdin else None)
    preload()
    with tempfile.TemporaryDirectory() as folder:
        out_path, err_path = Path(folder) / "out", Path(folder) / "err"
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                if no_stdin:
                    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                code = _child(args, cwd, env, out_path, err_path, timeout)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        raise subprocess.TimeoutExpired(command, timeout, stdout, stderr)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return subprocess.CompletedProcess(command, code, stdout, stderr)


def _child(args: list[str], cwd: Path, env: dict[str, str], out_path: Path, err_path: Path,
           timeout: float) -> int:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # pytest-timeout's handler is the parent's
    signal.alarm(max(1, int(timeout)))
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o600), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT, 0o600), 2)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    _fresh_stdio(env)
    _fresh_logging_and_warnings()
    sys.argv = [MAIN, *args]
    from gasvc.cli import main

    try:
        main.main(args=args, prog_name="gas", standalone_mode=True)
        code: object = 0
    except SystemExit as done:
        code = done.code
    except BaseException:  # as an uncaught exception ends an interpreter
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    sys.stderr.flush()
    return 1


def _fresh_stdio(env: dict[str, str]) -> None:
    """stdio as a new interpreter opens it for pipes: stdout strict, stderr backslashreplace."""
    encoding, _, errors = env.get("PYTHONIOENCODING", "").partition(":")
    encoding = encoding or "utf-8"
    sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding=encoding, errors=errors or "strict",  # noqa: SIM115
                      closefd=False)
    sys.stderr = open(2, "w", encoding=encoding,  # noqa: SIM115
                      errors=errors or "backslashreplace", closefd=False, buffering=1)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _fresh_logging_and_warnings() -> None:
    """No pytest log handlers on the root logger; Python's default warning filters, printed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning):
        warnings.simplefilter("ignore", category, append=True)
    import urllib3.exceptions as urllib3_errors  # urllib3 adds these when first imported

    warnings.simplefilter("always", urllib3_errors.SecurityWarning, append=True)
    warnings.simplefilter("default", urllib3_errors.InsecurePlatformWarning, append=True)
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
