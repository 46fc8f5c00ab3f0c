"""The tools under test, as real subprocesses: gas (and its server), git, and DVC in its own venv.

Every tool gets the same private environment: a HOME of its own (no user config leaks in), a
private `GAS_CONFIG`, fixed author names, and DVC's analytics and update checks off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import measure
from measure import AccessLog, Done
from server_bench import Server

HERE = Path(__file__).resolve().parent
DVC_VENV = HERE / ".venv-dvc"
#: Variables that would point a tool at another server, profile, config or proxy.
CLEARED_PREFIXES = ("GAS_", "GIT_", "DVC_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
CLEARED = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def environment(home: Path) -> dict[str, str]:
    """The environment every tool runs in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(CLEARED_PREFIXES) and k not in CLEARED}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home), GAS_CONFIG=str(home / ".gasconfig"), GAS_AUTHOR="bench",
        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
        # No automatic `git gc`: it packs 100,000 loose objects in a detached background
        # process after `git commit`, untimed for git and stealing the CPU of whatever runs next.
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0="gc.auto",
        GIT_CONFIG_VALUE_0="0", GIT_CONFIG_KEY_1="maintenance.auto", GIT_CONFIG_VALUE_1="false",
        DVC_NO_ANALYTICS="1", DVC_SITE_CACHE_DIR=str(home / "dvc-site"),
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
    )
    return env


class Tool:
    """`tool(cwd, *args)` runs the tool's command with `args` in `cwd` (measured)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env

    def __call__(self, cwd: Path, *args: str | Path, check: bool = True) -> Done:
        return measure.run([*self.command, *map(str, args)], cwd, self.env, check=check)

    def version(self) -> str:
        return self(Path.cwd(), "--version").stdout.strip().splitlines()[0]


def gas_command() -> list[str]:
    """The installed `gas` script beside this interpreter (`.venv/bin/gas`)."""
    beside = Path(sys.executable).with_name("gas")
    found = str(beside) if beside.exists() else shutil.which("gas")
    if not found:
        raise SystemExit("no `gas` command: run scripts/bootstrap (or pip install -e .) first")
    return [found]


def compile_gas(gas: Tool) -> str:
    """Write the bytecode of the gasvc that `gas` runs, as an installation does (pip compiles
    what it installs, and Python caches what it imports): with PYTHONDONTWRITEBYTECODE set, as
    in some sandboxes, every gas command would compile its modules again (~0.06 s), which no
    installed gas pays. Returns the package's folder."""
    python = str(Path(gas.command[0]).with_name("python"))
    script = ("import compileall, os, gasvc; folder = os.path.dirname(gasvc.__file__); "
              "compileall.compile_dir(folder, quiet=1); print(folder)")
    done = subprocess.run([python, "-c", script], env=gas.env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def ensure_dvc(venv: Path = DVC_VENV) -> list[str]:
    """DVC in its own venv (made once, then reused): the `dvc` command."""
    dvc = venv / "bin" / "dvc"
    if not dvc.exists():
        print(f"installing DVC into {venv.relative_to(HERE.parent)} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "dvc"], check=True)
    return [str(dvc)]


class GasServer:
    """`gas server start` on 127.0.0.1 (plain HTTP); `fresh()` replaces it with an empty one."""

    def __init__(self, home: Path, gas: Tool) -> None:
        self.home = home
        self.gas = gas
        self.number = 0
        self.key = ""
        self.server: Server | None = None
        self.log = AccessLog(home / "none")

    def fresh(self) -> None:
        """Stop the running server (if any), remove its data, and start one on a new, empty
        data dir."""
        self.stop()
        if self.number:
            measure.discard(self.home / f"server-{self.number}" / "data")
        self.number += 1
        data_dir = self.home / f"server-{self.number}" / "data"
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.key = self.gas(self.home, "server", "add-user", "bench", "--data-dir",
                            data_dir).stdout.strip()
        self.server = Server(data_dir)
        self.server.start(self.key)
        self.log = AccessLog(self.server.log)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/"

    def env(self) -> dict[str, str]:
        """What a gas command needs to reach this server."""
        return {"GAS_URL": self.url, "GAS_ACCESS_KEY": self.key}

    def peak_rss(self) -> float:
        assert self.server is not None
        return self.server.memory()["VmHWM"]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
